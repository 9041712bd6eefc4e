"""One torch model per file: cap (issue #7), dgpa with its grid, attention and ArcFace
parts (issue #8), sgcn (issue #5), musica (issue #6), capsnet (issue #10), hd_lda (the
high-dimensional LBP, SIFT and Gabor projection for real photos, issue #29).

Importing this package imports torch.
"""

from facecli.models.arcface import ArcFaceHead, arcface_logits
from facecli.models.attention import (
    DualPathAttention,
    dual_path_attention,
    dual_path_attention_reference,
    set_attention_impl,
)
from facecli.models.cap import CAPConfig, CAPNet, CAPOutput, CascadedAtrousPyramid, angular_loss
from facecli.models.capsnet import STREAM_CHANNELS, MECapsConfig, MECapsNet, margin_loss, squash
from facecli.models.dgpa import DGPAConfig, DGPANet
from facecli.models.grid import gradient_energy, grid_boundaries, sample_cells
from facecli.models.hd_lda import HDDescriptorConfig, HDDescriptorLDA
from facecli.models.musica import MuSiCa, MuSiCaConfig, MuSiCaOutput, musica_loss
from facecli.models.registry import BUILDERS, build, load
from facecli.models.sgcn import SGCN, SGCNConfig, SparseAdjacency, spmm

__all__ = [
    "ArcFaceHead",
    "CAPConfig",
    "CAPNet",
    "CAPOutput",
    "CascadedAtrousPyramid",
    "DGPAConfig",
    "DGPANet",
    "DualPathAttention",
    "angular_loss",
    "arcface_logits",
    "dual_path_attention",
    "dual_path_attention_reference",
    "gradient_energy",
    "HDDescriptorConfig",
    "HDDescriptorLDA",
    "grid_boundaries",
    "sample_cells",
    "set_attention_impl",
    "SGCN",
    "SGCNConfig",
    "SparseAdjacency",
    "spmm",
    "STREAM_CHANNELS",
    "MECapsConfig",
    "MECapsNet",
    "margin_loss",
    "squash",
    "MuSiCa",
    "MuSiCaConfig",
    "MuSiCaOutput",
    "musica_loss",
    "BUILDERS",
    "build",
    "load",
]
