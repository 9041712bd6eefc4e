"""Point and image features: FPFH (issue #4), LBP/GLCM (issue #7), optical flow (issue #9)."""

__all__: list[str] = []
