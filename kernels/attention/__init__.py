"""The fused DGPA dual-path attention forward, with the backward through the PyTorch reference.

:func:`fused_dual_path_attention` has the signature of
:func:`facecli.models.attention.dual_path_attention_reference`; its forward is one kernel
launch (one block per sample, intermediates in shared memory) and its backward recomputes the
reference (passed in by the caller as ``reference=``: the kernels never import the library)
under autograd, so training works on the GPU with the kernel in the forward pass.
With the host backend the same per-phase code runs on CPU tensors (the tests).
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from facecli.kernels.build import Backend, build_cuda, build_host, load_library, on_device, ptr

__all__ = ["MAX_SMEM_BYTES", "cuda_backend", "fits", "forward", "fused_dual_path_attention", "host_backend"]

HERE = Path(__file__).resolve().parent
#: Shared memory one block may use without opting in (the static limit on every CUDA GPU).
MAX_SMEM_BYTES = 48 * 1024


@functools.lru_cache(maxsize=1)
def cuda_backend() -> Backend:
    """The CUDA build (compiled at first use, cached). Raises KernelUnavailable."""
    return Backend(load_library(build_cuda("attention", HERE / "attention.cu")), host=False)


@functools.lru_cache(maxsize=1)
def host_backend() -> Backend:
    """The host build of the kernel's phases (tests). Raises KernelUnavailable."""
    return Backend(load_library(build_host("attention", HERE / "attention_host.cpp")), host=True)


def fits(x: Tensor, w1: Tensor) -> bool:
    """Whether one sample's scratch (3C + 2R + 3HW floats) fits a block's shared memory."""
    _, c, h, w = x.shape
    return 4 * (3 * c + 2 * w1.shape[0] + 3 * h * w) <= MAX_SMEM_BYTES


def forward(
    x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, ws: Tensor, bs: Tensor, backend: Backend
) -> tuple[Tensor, Tensor, Tensor]:
    """The kernel's forward (no autograd): see the reference for shapes; float32 only."""
    b, c, h, w = x.shape
    r, k = w1.shape[0], ws.shape[-1]
    args = [t.detach() for t in (x, w1, b1, w2, b2, ws, bs)]
    if not all(t.dtype == torch.float32 and t.is_contiguous() for t in args):
        args = [t.to(torch.float32).contiguous() for t in args]
    y = torch.empty_like(args[0])
    channel = torch.empty((b, c), dtype=torch.float32, device=x.device)
    spatial = torch.empty((b, 1, h, w), dtype=torch.float32, device=x.device)
    if b:
        with on_device(x):
            backend.call(
                "attention_forward",
                *(ptr(t) for t in args),
                *(ctypes.c_int(v) for v in (b, c, r, h, w, k)),
                ptr(y),
                ptr(channel),
                ptr(spatial),
            )
    return y, channel, spatial


class _Fused(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w1, b1, w2, b2, ws, bs, backend, reference):  # type: ignore[override]
        ctx.save_for_backward(x, w1, b1, w2, b2, ws, bs)
        ctx.reference = reference
        return forward(x, w1, b1, w2, b2, ws, bs, backend)

    @staticmethod
    def backward(ctx, gy, gch, gsp):  # type: ignore[override]
        if ctx.reference is None:
            raise RuntimeError(
                "the fused attention forward has no backward of its own: pass reference= (the "
                "PyTorch reference, facecli.models.attention.dual_path_attention_reference)"
            )
        inputs = [t.detach().requires_grad_(need) for t, need in zip(ctx.saved_tensors, ctx.needs_input_grad[:7])]
        with torch.enable_grad():
            outs = ctx.reference(*inputs)
        grads_out = [g if g is not None else torch.zeros_like(o) for g, o in zip((gy, gch, gsp), outs)]
        wanted = [t for t in inputs if t.requires_grad]
        got = iter(torch.autograd.grad(outs, wanted, grads_out, allow_unused=True)) if wanted else iter(())
        return (*(next(got) if t.requires_grad else None for t in inputs), None, None)


def fused_dual_path_attention(
    x: Tensor,
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
    ws: Tensor,
    bs: Tensor,
    *,
    backend: Backend | None = None,
    reference: Callable[..., tuple[Tensor, Tensor, Tensor]] | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Dual-path attention with the fused forward (CUDA build unless ``backend`` is given).

    Gradients go through ``reference`` (the PyTorch implementation with the same
    signature, which the caller passes: the kernels never import the library's models);
    without it the result can be used for inference only.
    """
    return _Fused.apply(x, w1, b1, w2, b2, ws, bs, backend or cuda_backend(), reference)
