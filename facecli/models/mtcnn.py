"""MTCNN's three networks (Zhang et al., "Joint face detection and alignment using multitask
cascaded convolutional networks", IEEE SPL 2016), for the face detector.

The trained weights are not the project's: they come from the ``mtcnn`` package on PyPI
(MIT licence; installed with the project, no tensorflow needed), which ships them as lists of
Keras arrays. :func:`load_mtcnn` turns those lists into these modules. (The original Caffe
models took the image transposed; the ``mtcnn`` package's arrays are arranged for images the
usual way round.) Inputs are ``(N, 3, H, W)`` RGB scaled to ``(x - 127.5) / 128``; the
modules are channels-last, which halves the pooling time on a CPU.

* P-Net: fully convolutional, a 12 x 12 window per output cell (stride 2): face score and
  box offsets.
* R-Net: 24 x 24 crops → score and box offsets.
* O-Net: 48 x 48 crops → score, box offsets and five landmarks.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from facecli.errors import DependencyError

__all__ = ["MTCNN_PACKAGE", "ONet", "PNet", "RNet", "load_mtcnn", "mtcnn_weights_dir"]

#: the PyPI package whose wheel holds the trained weights.
MTCNN_PACKAGE = "mtcnn"


class PNet(nn.Module):
    """Proposal network: ``(N, 3, W, H)`` → scores ``(N, W', H')`` and offsets ``(N, 4, W', H')``."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 10, 3),
            nn.PReLU(10),
            nn.MaxPool2d(2, 2, ceil_mode=True),
            nn.Conv2d(10, 16, 3),
            nn.PReLU(16),
            nn.Conv2d(16, 32, 3),
            nn.PReLU(32),
        )
        self.box = nn.Conv2d(32, 4, 1)
        self.score = nn.Conv2d(32, 2, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return torch.softmax(self.score(h), dim=1)[:, 1], self.box(h)


class _CropNet(nn.Module):
    """R-Net and O-Net share a shape: convolutions, a flatten in Caffe's order, dense heads."""

    def __init__(self, body: nn.Sequential, flat: int, hidden: int, n_points: int) -> None:
        super().__init__()
        self.body = body
        self.fc = nn.Linear(flat, hidden)
        self.act = nn.PReLU(hidden)
        self.box = nn.Linear(hidden, 4)
        self.points = nn.Linear(hidden, 2 * n_points) if n_points else None
        self.score = nn.Linear(hidden, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        h = self.body(x)  # (N, C, W', H')
        h = h.permute(0, 3, 2, 1).flatten(1)  # the Keras/Caffe flatten order: H', W', C
        h = self.act(self.fc(h))
        points = self.points(h) if self.points is not None else None
        return torch.softmax(self.score(h), dim=1)[:, 1], self.box(h), points


class RNet(_CropNet):
    """Refinement network on 24 x 24 crops ``(N, 3, 24, 24)``."""

    def __init__(self) -> None:
        body = nn.Sequential(
            nn.Conv2d(3, 28, 3),
            nn.PReLU(28),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.Conv2d(28, 48, 3),
            nn.PReLU(48),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(48, 64, 2),
            nn.PReLU(64),
        )
        super().__init__(body, 576, 128, 0)


class ONet(_CropNet):
    """Output network on 48 x 48 crops ``(N, 3, 48, 48)``; also five landmarks."""

    def __init__(self) -> None:
        body = nn.Sequential(
            nn.Conv2d(3, 32, 3),
            nn.PReLU(32),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.Conv2d(32, 64, 3),
            nn.PReLU(64),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 64, 3),
            nn.PReLU(64),
            nn.MaxPool2d(2, 2, ceil_mode=True),
            nn.Conv2d(64, 128, 2),
            nn.PReLU(128),
        )
        super().__init__(body, 1152, 256, 5)


def mtcnn_weights_dir() -> Path:
    """The folder of the ``mtcnn`` package's weight files, found without importing it.

    Importing ``mtcnn`` itself would import tensorflow; only its data files are used.

    Raises:
        DependencyError: the package is not installed.
    """
    spec = importlib.util.find_spec(MTCNN_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DependencyError(
            f"the face detector needs the '{MTCNN_PACKAGE}' package's weights: pip install {MTCNN_PACKAGE}"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "assets" / "weights"
    if not (folder / "pnet.lz4").is_file():
        raise DependencyError(f"no MTCNN weights in {folder}: reinstall the '{MTCNN_PACKAGE}' package")
    return folder


def _set_conv(conv: nn.Conv2d, kernel: np.ndarray, bias: np.ndarray) -> None:
    # Keras (kh, kw, in, out) → torch (out, in, kh, kw); the input is transposed the same way.
    conv.weight.data = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))).float()
    conv.bias.data = torch.from_numpy(np.asarray(bias)).float()


def _set_prelu(act: nn.PReLU, alpha: np.ndarray) -> None:
    act.weight.data = torch.from_numpy(np.asarray(alpha).reshape(-1)).float()


def _set_dense(fc: nn.Linear, weight: np.ndarray, bias: np.ndarray) -> None:
    fc.weight.data = torch.from_numpy(np.ascontiguousarray(np.asarray(weight).T)).float()
    fc.bias.data = torch.from_numpy(np.asarray(bias)).float()


def _fill_body(body: nn.Sequential, arrays: Sequence[np.ndarray]) -> int:
    i = 0
    for layer in body:
        if isinstance(layer, nn.Conv2d):
            _set_conv(layer, arrays[i], arrays[i + 1])
            i += 2
        elif isinstance(layer, nn.PReLU):
            _set_prelu(layer, arrays[i])
            i += 1
    return i


def _expect(name: str, arrays: Sequence[np.ndarray], n: int, path: Path) -> None:
    from facecli.errors import FormatError

    if not isinstance(arrays, list) or len(arrays) != n:
        got = len(arrays) if isinstance(arrays, list) else type(arrays).__name__
        raise FormatError(f"{path}: expected {n} weight arrays for MTCNN's {name}, got {got}")


def load_mtcnn(folder: Path | None = None) -> tuple[PNet, RNet, ONet]:
    """The three networks with the ``mtcnn`` package's trained weights, in eval mode.

    Args:
        folder: where ``pnet.lz4``, ``rnet.lz4``, ``onet.lz4`` are (default: the package's).

    Raises:
        DependencyError: the weights (or ``joblib``/``lz4`` to read them) are missing.
        FormatError: a weight file of another layout.
    """
    try:
        import joblib
    except ImportError as exc:  # pragma: no cover - joblib comes with mtcnn
        raise DependencyError("reading MTCNN's weights needs joblib and lz4: pip install mtcnn") from exc
    folder = Path(folder) if folder is not None else mtcnn_weights_dir()
    arrays = {n: joblib.load(folder / f"{n}.lz4") for n in ("pnet", "rnet", "onet")}
    pnet, rnet, onet = PNet(), RNet(), ONet()
    _expect("P-Net", arrays["pnet"], 13, folder / "pnet.lz4")
    _expect("R-Net", arrays["rnet"], 16, folder / "rnet.lz4")
    _expect("O-Net", arrays["onet"], 21, folder / "onet.lz4")
    w = arrays["pnet"]
    i = _fill_body(pnet.body, w)
    _set_conv(pnet.box, w[i], w[i + 1])
    _set_conv(pnet.score, w[i + 2], w[i + 3])
    for net, w in ((rnet, arrays["rnet"]), (onet, arrays["onet"])):
        i = _fill_body(net.body, w)
        _set_dense(net.fc, w[i], w[i + 1])
        _set_prelu(net.act, w[i + 2])
        _set_dense(net.box, w[i + 3], w[i + 4])
        i += 5
        if net.points is not None:
            _set_dense(net.points, w[i], w[i + 1])
            i += 2
        _set_dense(net.score, w[i], w[i + 1])
    for net in (pnet, rnet, onet):
        net.eval()
        net.requires_grad_(False)
        net.to(memory_format=torch.channels_last)  # 2x faster pooling on a CPU; inputs follow
    return pnet, rnet, onet
