"""2D facial landmarks on images: data, crops, MuSiCa training and prediction (issue #6)."""

__all__: list[str] = []
