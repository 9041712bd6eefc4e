"""Point and image features: FPFH (issue #4), LBP/GLCM texture (issue #7), optical flow (issue #9)."""

from facecli.features.texture import (
    GLCM_PROPS,
    TEXTURE_CHANNELS,
    glcm_maps,
    normals_to_grey,
    normals_to_rgb,
    texture_channels,
    uniform_lbp,
)

__all__ = ["GLCM_PROPS", "TEXTURE_CHANNELS", "glcm_maps", "normals_to_grey", "normals_to_rgb", "texture_channels",
           "uniform_lbp"]
