"""DDP set-up that works unchanged under ``torchrun`` (gloo on CPU, NCCL on GPU) and
as a plain single process."""

from __future__ import annotations

import os
from dataclasses import dataclass

from facecli.train.determinism import deterministic_cuda

__all__ = ["DistContext", "gpu_visible", "resolve_device", "setup_distributed", "teardown_distributed"]

#: Device nodes of a GPU driver (NVIDIA, NVIDIA under WSL, AMD ROCm).
_GPU_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg", "/dev/kfd")


@dataclass
class DistContext:
    """Where this process sits in a (possibly single-process) job.

    Attributes:
        rank, world_size, local_rank: from torchrun's environment (0, 1, 0 otherwise).
        device: ``cpu`` or ``cuda:<local_rank>``.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "cpu"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def gpu_visible() -> bool:
    """Whether a GPU driver is there at all, without importing torch (about a second).

    ``False`` for certain when no GPU device node exists or ``CUDA_VISIBLE_DEVICES``
    hides every device; ``True`` means torch must still be asked.
    """
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return any(os.path.exists(p) for p in _GPU_NODES)


def resolve_device(device: str = "auto") -> str:
    """``auto`` → ``cuda`` when a GPU is usable, else ``cpu``; other names pass through.
    Work sent to a GPU is made repeatable (:func:`facecli.train.determinism.deterministic_cuda`).
    On a machine without a GPU driver ``auto`` answers without importing torch."""
    if device == "auto" and not gpu_visible():
        return "cpu"
    if device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        deterministic_cuda()
    return device


def setup_distributed(device: str = "auto") -> DistContext:
    """Initialise the process group when launched by torchrun (``WORLD_SIZE`` > 1).

    Args:
        device: ``auto``, ``cpu`` or ``cuda``.
    """
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    dev = f"cuda:{local}" if use_cuda else "cpu"
    if use_cuda:
        deterministic_cuda()
        torch.cuda.set_device(local)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistContext(rank=rank, world_size=world, local_rank=local, device=dev)


def teardown_distributed() -> None:
    """Destroy the process group if one was created."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
