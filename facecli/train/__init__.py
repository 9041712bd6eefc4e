"""The training loop (DDP-aware, fixed budget, per-epoch checkpoints, resume), subject-wise
splits and the model-file format."""

from facecli.train.checkpoint import MODEL_FORMAT, load_checkpoint, load_model_file, save_atomic, save_model_file
from facecli.train.determinism import deterministic_cuda
from facecli.train.distributed import DistContext, resolve_device, setup_distributed, teardown_distributed
from facecli.train.loop import TrainConfig, fit
from facecli.train.splits import group_split, subject_of

__all__ = [
    "MODEL_FORMAT",
    "load_checkpoint",
    "load_model_file",
    "save_atomic",
    "save_model_file",
    "DistContext",
    "deterministic_cuda",
    "resolve_device",
    "setup_distributed",
    "teardown_distributed",
    "TrainConfig",
    "fit",
    "group_split",
    "subject_of",
]
