"""Point and image features: FPFH (`fpfh`, with its CUDA kernel behind `facecli.kernels`) and
LBP/GLCM texture (`texture`).

Optical flow is OpenCV's DIS, called where it is used (`facecli.microexpr.motion`, `facecli.microexpr.inputs`).
"""

from facecli.features.texture import (
    GLCM_PROPS,
    TEXTURE_CHANNELS,
    glcm_maps,
    normals_to_grey,
    normals_to_rgb,
    texture_channels,
    uniform_lbp,
)

__all__ = [
    "GLCM_PROPS",
    "TEXTURE_CHANNELS",
    "glcm_maps",
    "normals_to_grey",
    "normals_to_rgb",
    "texture_channels",
    "uniform_lbp",
]
