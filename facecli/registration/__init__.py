"""Correspondences, coarse (SVD/RANSAC/FGR) and fine (Geman-McClure) registration (issue #4)."""

__all__: list[str] = []
