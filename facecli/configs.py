"""Hyper-parameters of every model, torch-free.

Each model file (``facecli/models/``) builds its network from one of these dataclasses
and stores it in its model files. They live here, apart from torch, so that the training
options classes and the command-line options read their defaults from them without
importing torch: every default is written once.

Example:
    >>> DGPAConfig().dim
    512
    >>> MuSiCaConfig(levels=2, extra_fine=1).iterations
    3
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "STREAM_CHANNELS",
    "CAPConfig",
    "DGPAConfig",
    "HDDescriptorConfig",
    "MECapsConfig",
    "MuSiCaConfig",
    "SGCNConfig",
]


@dataclass
class CAPConfig:
    """Hyper-parameters of :class:`CAPNet` (stored in checkpoints)."""

    width: int = 12  # the shipped model's width
    dilations: tuple[int, ...] = (1, 2, 4, 8)
    in_channels: int = 3

    def as_dict(self) -> dict:
        d = asdict(self)
        d["dilations"] = list(self.dilations)
        return d


@dataclass
class MuSiCaConfig:
    """Hyper-parameters of :class:`MuSiCa` (stored in model files).

    Attributes:
        n_landmarks: 98 (WFLW) or 68 (iBUG).
        crop: C, the side of the face crop, px.
        margin: the crop side is (1 + margin) × the face box's larger side.
        patch: P, patch side, px.
        patch_every: a patch at every k-th landmark.
        levels: pyramid levels.
        extra_fine: iterations added at the finest level after the one-per-level
            coarse-to-fine sweep (0, the source's cascade: iterations = levels).
        channels: conv channels.
        hidden: hidden-state size.
        bottleneck: per-patch projection before the FC.
        mean_shape: (L, 2) initial shape, normalised crop coordinates (set from the
            training set).
    """

    n_landmarks: int = 98
    crop: int = 142
    margin: float = 0.3
    patch: int = 14
    patch_every: int = 2
    levels: int = 3
    extra_fine: int = 0
    channels: int = 32
    hidden: int = 512
    bottleneck: int = 12
    mean_shape: list[list[float]] = field(default_factory=list)

    @property
    def iterations(self) -> int:
        return self.levels + self.extra_fine

    def level_of(self, iteration: int) -> int:
        """Pyramid level (0 = finest) an iteration (0-based) works on."""
        return max(self.levels - 1 - iteration, 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MuSiCaConfig:
        return cls(**dict(d))


@dataclass
class DGPAConfig:
    """Hyper-parameters of :class:`DGPANet` (stored in model files).

    Attributes:
        in_channels: C of the input.
        width: channels after the stem (the cell features have 2 × width).
        cells: G, grid cells per side.
        patch: P, samples per cell side.
        grid: ``dynamic`` (gradient-driven) or ``uniform``.
        uniform_share: share of the energy profile spread evenly (dynamic grid only).
        attention: dual-path attention per cell on/off.
        cell_dim: vector size per cell.
        dim: embedding size.
        input_size: S the network was trained at (inputs are resized to it).
        inputs: names of the input channel groups, in order (e.g. ``["normals"]``).
    """

    in_channels: int = 3
    width: int = 32
    cells: int = 4
    patch: int = 6
    grid: str = "dynamic"
    uniform_share: float = 0.3
    attention: bool = True
    cell_dim: int = 96
    dim: int = 512
    input_size: int = 96
    inputs: tuple[str, ...] = ("normals",)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["inputs"] = list(self.inputs)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DGPAConfig:
        d = dict(d)
        d["inputs"] = tuple(d.get("inputs", ("normals",)))
        return cls(**d)


@dataclass
class SGCNConfig:
    """Hyper-parameters of :class:`SGCN` (stored in model files).

    Attributes:
        in_channels: per-point input features (xyz + normal: 6).
        hidden: channels of every layer.
        depth: number of stratified layers.
        n_landmarks: heatmaps per point (68 for ``facescape-v10`` / iBUG 68).
        k: neighbours per point in the local graph (itself included).
        points: points sampled per mesh.
        sigma: heatmap Gaussian σ in normalised units (see ``frame``).
        top_k: points used by the softmax-weighted decoding.
        xyz_scale: the coordinates are multiplied by this before the first layer
            (the same as a larger initial scale of the position weights): features
            as sharp as σ need weights of order 1/σ, which AdamW's bounded steps
            would otherwise take thousands of iterations to grow.
        frame: the input's frame: ``extent`` (centred on the sample's centroid, the largest
            centred coordinate = 1: the source system's) or ``nose`` (centred on the nose
            tip, 100 mm = 1: the face keeps its place whatever surrounds it); see
            :mod:`facecli.landmarks3d.data`.
    """

    in_channels: int = 6
    hidden: int = 64
    depth: int = 4
    n_landmarks: int = 68
    k: int = 32
    points: int = 32768
    sigma: float = 0.03
    top_k: int = 7
    xyz_scale: float = 10.0
    frame: str = "extent"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SGCNConfig:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


#: Input channels of each stream.
STREAM_CHANNELS: dict[str, int] = {"flow": 3, "apex": 1, "normals": 3}


@dataclass
class MECapsConfig:
    """Hyper-parameters of :class:`MECapsNet` (stored in model files).

    Attributes:
        streams: input streams, a subset of ``flow``, ``apex``, ``normals``.
        n_classes: K.
        size: S, the input side (a multiple of 8).
        width: channels of each stream's first conv.
        primary_types: primary capsule types per position.
        primary_dim: primary capsule size.
        class_dim: class capsule size.
        routing: dynamic-routing iterations.
        dropout: dropout on the fused features during training.
        stream_dropout: during training, the probability that one of the streams
            (chosen at random) is blanked for a sample, so the network cannot lean on
            one stream alone (no effect with a single stream).
    """

    streams: tuple[str, ...] = ("flow", "apex")
    n_classes: int = 3
    size: int = 64
    width: int = 16
    primary_types: int = 8
    primary_dim: int = 8
    class_dim: int = 16
    routing: int = 3
    dropout: float = 0.2
    stream_dropout: float = 0.0

    def check(self) -> None:
        from facecli.errors import InputError

        bad = [s for s in self.streams if s not in STREAM_CHANNELS]
        if not self.streams or bad or len(set(self.streams)) != len(self.streams):
            raise InputError(
                f"expected streams from {', '.join(STREAM_CHANNELS)} (each once), got "
                f"{','.join(self.streams) or 'none'}"
            )
        if self.size < 16 or self.size % 8:
            raise InputError(f"expected an input size that is a multiple of 8 and >= 16, got {self.size}")
        if self.n_classes < 2:
            raise InputError(f"expected at least 2 classes, got {self.n_classes}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["streams"] = list(self.streams)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MECapsConfig:
        d = dict(d)
        d["streams"] = tuple(d.get("streams", ("flow", "apex")))
        return cls(**d)


@dataclass(frozen=True)
class HDDescriptorConfig:
    """Parts and sizes of an :class:`HDDescriptorLDA`.

    Attributes:
        parts: descriptors (``lbp1``, ``lbp2``, ``sift``, ``gabor``), one projection each.
        blocks: (point, scale) blocks of each part's descriptor.
        per_block: PCA dimensions per block.
        dim: embedding dimensions per part.
    """

    parts: tuple[str, ...] = ("lbp1", "sift", "gabor")
    blocks: tuple[int, ...] = (104, 104, 52)
    per_block: int = 48
    dim: int = 400

    def as_dict(self) -> dict[str, Any]:
        return {"parts": list(self.parts), "blocks": list(self.blocks), "per_block": self.per_block, "dim": self.dim}

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any]) -> HDDescriptorConfig:
        return cls(
            parts=tuple(str(p) for p in cfg["parts"]),
            blocks=tuple(int(b) for b in cfg["blocks"]),
            per_block=int(cfg["per_block"]),
            dim=int(cfg["dim"]),
        )
