"""Synthetic faces and datasets in the real layouts."""

__all__: list[str] = []
