"""MuSiCa: real-time 2D face alignment by selective cascaded regression.

The face box is cut out as a C × C grey crop (C = 142 as in the source) and a
3-level Gaussian pyramid is built from it. Starting from the mean shape, each
iteration (one per pyramid level, coarse to fine, weights not shared) does:

1. cut a P × P patch (P = 14) at every second landmark (49 patches for WFLW's 98
   points, 34 for iBUG's 68) from its pyramid level, by bilinear sampling;
2. per patch: conv 3×3×32 → ReLU → max-pool 2 → conv 3×3×32 → ReLU → max-pool 2
   (valid convolutions), and the centre crop of the second conv's output next to the
   pooled output → a 256-d feature for P = 14;
3. patch attention: sigmoid(FC 256→256) multiplied onto each patch feature;
4. the patch features and the previous 512-d hidden state → FC-512 (tanh) → the new
   hidden state, from which one linear layer gives every landmark's displacement and
   another the predicted NME of the updated shape (softplus, ≥ 0).

Training minimises, summed over iterations, 0.95 · NME + 0.05 · |NME − predicted NME|.
At inference a face leaves the cascade after the first iteration whose predicted NME
is below the exit threshold (faces in a batch leave independently); threshold 0 runs
the full cascade.

**Size.** The source feeds the concatenated patch features (49 × 256 = 12,544 values)
straight into the FC-512, about 6.7 M weights per iteration and 82 MB in float32 for
the cascade. Here each patch's attended feature is first projected to ``bottleneck``
values (12 by default, one linear map shared by the patches of an iteration), so the
FC-512 sees 49 × 12 = 588 values: the same information path (every patch still
reaches every hidden unit) with ~21× fewer weights in that layer; the WFLW model has
2.23 M parameters (8.9 MB in float32).

Coordinates are normalised crop coordinates in [-1, 1] (x right, y down), as
``torch.nn.functional.grid_sample`` uses them.

Example:
    >>> net = MuSiCa(MuSiCaConfig(n_landmarks=68, crop=64, patch=14))
    >>> out = net(torch.rand(2, 1, 64, 64))
    >>> out.shapes[-1].shape, out.errors[-1].shape
    (torch.Size([2, 68, 2]), torch.Size([2]))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from facecli.configs import MuSiCaConfig
from facecli.schemes import IBUG68, WFLW98

__all__ = ["MuSiCa", "MuSiCaConfig", "MuSiCaOutput", "gaussian_pyramid", "musica_loss", "normalised_nme"]

#: Outer eye corners per landmark count (0-based): the NME normaliser (from :mod:`facecli.schemes`).
EYE_CORNERS = {s.points: s.eye_corners for s in (WFLW98, IBUG68)}


@dataclass
class MuSiCaOutput:
    """Shapes and predicted errors after each iteration.

    Attributes:
        shapes: per iteration, (B, L, 2) landmarks, normalised crop coordinates.
        errors: per iteration, (B,) predicted NME of that iteration's shape.
        exit_iteration: (B,) int64, 1-based iteration each face left at (early exit).
        final: (B, L, 2) the shape each face left with.
    """

    shapes: list[Tensor]
    errors: list[Tensor]
    exit_iteration: Tensor
    final: Tensor


def gaussian_pyramid(image: Tensor, levels: int) -> list[Tensor]:
    """Levels of a Gaussian pyramid, finest first (5-tap binomial blur, then halve).

    Args:
        image: (B, C, H, W).
        levels: number of levels (≥ 1).
    """
    c = image.shape[1]
    k1 = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=image.dtype, device=image.device) / 16.0
    kv, kh = k1.reshape(1, 1, 5, 1).expand(c, 1, 5, 1), k1.reshape(1, 1, 1, 5).expand(c, 1, 1, 5)
    out = [image]
    for _ in range(levels - 1):
        # the binomial blur is separable; blur only where the halved level samples it (stride 2):
        # the same values as blurring the whole level, then decimating, at a fraction of the work
        x = F.conv2d(F.pad(out[-1], (2, 2, 2, 2), mode="replicate"), kv, groups=c, stride=(2, 1))
        out.append(F.conv2d(x, kh, groups=c, stride=(1, 2)))
    return out


def normalised_nme(pred: Tensor, gt: Tensor) -> Tensor:
    """(B,) NME normalised by the true outer-eye-corner distance.

    Args:
        pred, gt: (B, L, 2), any common unit (L = 98 or 68).
    """
    a, b = EYE_CORNERS[gt.shape[1]]
    d = (gt[:, a] - gt[:, b]).norm(dim=-1).clamp_min(1e-6)
    return (pred - gt).norm(dim=-1).mean(dim=1) / d


def musica_loss(out: MuSiCaOutput, gt: Tensor, *, weight: float = 0.95) -> tuple[Tensor, dict[str, float]]:
    """Σ over iterations of weight · NME + (1 − weight) · |NME − predicted NME|, batch mean.

    Args:
        out: the network's output.
        gt: (B, L, 2) true landmarks, normalised crop coordinates.

    Returns:
        ``(loss, metrics)``; metrics has the last iteration's mean NME.
    """
    total = gt.new_zeros(())
    last = None
    for shape, err in zip(out.shapes, out.errors):
        e = normalised_nme(shape, gt)
        total = total + (weight * e + (1 - weight) * (e.detach() - err).abs()).mean()
        last = e
    assert last is not None
    return total, {"nme": float(last.detach().mean())}


def _max_pool2(x: Tensor) -> Tensor:
    """2 × 2 max-pooling, stride 2 (as ``F.max_pool2d(x, 2)``), as the maximum of four
    strided views: on the many tiny maps of the patches it is ~6× faster on CPU than
    the pooling kernel, which also computes indices. With autograd on (training) the
    kernel is used: its backward is the faster one."""
    if torch.is_grad_enabled() and x.requires_grad:
        return F.max_pool2d(x, 2)
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    x = x[..., :h, :w]
    return torch.maximum(
        torch.maximum(x[..., 0::2, 0::2], x[..., 0::2, 1::2]), torch.maximum(x[..., 1::2, 0::2], x[..., 1::2, 1::2])
    )


def _version(t: Tensor) -> int:
    """A tensor's in-place version counter (-1 for inference tensors, which have none)."""
    try:
        return int(t._version)
    except RuntimeError:
        return -1


class _PatchNet(nn.Module):
    """The per-iteration patch feature extractor with patch attention.

    Two forward paths compute the same function: :meth:`reference` (``nn.Conv2d``,
    NCHW; used whenever autograd is on, i.e. in training) and :meth:`fast` (inference:
    each valid 3 × 3 convolution as one matrix product over channels-last windows, and
    the attention/projection weights permuted once to the channels-last feature order,
    so no activation is transposed), with every intermediate in a reusable work buffer
    (on CPU, allocating fresh maps per call cost more in page faults than the
    arithmetic on the 49 tiny patch maps of one face). ``benchmarks/align`` times both
    paths. The permuted weights are cached and rebuilt when a parameter changes
    (optimiser step, ``load_state_dict``).
    """

    def __init__(self, patch: int, channels: int, bottleneck: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3)
        self.conv2 = nn.Conv2d(channels, channels, 3)
        s1 = (patch - 2) // 2
        s2 = s1 - 2
        self.pooled = s2 // 2
        self.crop_at = (s2 - self.pooled) // 2
        self.dim = 2 * channels * self.pooled * self.pooled
        if self.pooled < 1:
            raise ValueError(f"patch {patch} px is too small for two conv+pool stages")
        self.attention = nn.Linear(self.dim, self.dim)
        self.project = nn.Linear(self.dim, bottleneck)
        self._packed: tuple[tuple[Any, ...], dict[str, Tensor]] | None = None
        #: work buffers of :meth:`fast`; MuSiCa gives all its iterations one dict
        self.workspace: dict[str, Tensor] = {}

    def forward(self, patches: Tensor) -> Tensor:
        """(B, N, P, P) patches → (B, N, bottleneck) features."""
        if torch.is_grad_enabled():
            return self.reference(patches)
        return self.fast(patches)

    def reference(self, patches: Tensor) -> Tensor:
        """The NCHW definition (see the class docstring): (B, N, P, P) → (B, N, bottleneck)."""
        b, n, p, _ = patches.shape
        # max-pooling and ReLU commute: pooling first applies ReLU to 4x fewer values
        x = F.relu(_max_pool2(self.conv1(patches.reshape(b * n, 1, p, p))))
        c2 = self.conv2(x)
        pooled = F.relu(_max_pool2(c2))
        o = self.crop_at
        centre = F.relu(c2[..., o : o + self.pooled, o : o + self.pooled])
        f = torch.cat([centre, pooled], dim=1).reshape(b * n, -1)
        f = f * torch.sigmoid(self.attention(f))
        return self.project(f).reshape(b, n, -1)

    def _weights(self) -> dict[str, Tensor]:
        params = (
            self.conv1.weight,
            self.conv1.bias,
            self.conv2.weight,
            self.conv2.bias,
            self.attention.weight,
            self.attention.bias,
            self.project.weight,
            self.project.bias,
        )
        key = tuple((q.data_ptr(), _version(q), q.device, q.dtype) for q in params)
        if self._packed is not None and self._packed[0] == key:
            return self._packed[1]
        with torch.no_grad():
            c, k = self.conv1.out_channels, self.pooled
            # channels-last feature j = (part, y, x, c) is the reference's (part, c, y, x)
            perm = (
                torch.arange(self.dim, device=self.attention.weight.device)
                .reshape(2, c, k, k)
                .permute(0, 2, 3, 1)
                .reshape(-1)
            )
            packed = {
                "w1": self.conv1.weight.reshape(c, 9).t().contiguous(),
                "b1": self.conv1.bias.detach().clone(),
                "w2": self.conv2.weight.permute(2, 3, 1, 0).reshape(9 * c, c).contiguous(),
                "b2": self.conv2.bias.detach().clone(),
                "wa": self.attention.weight[perm][:, perm].t().contiguous(),
                "ba": self.attention.bias[perm].contiguous(),
                "wp": self.project.weight[:, perm].t().contiguous(),
                "bp": self.project.bias.detach().clone(),
            }
        self._packed = (key, packed)
        return packed

    #: work buffers larger than this many bytes are not kept (big batches allocate per call)
    KEEP_BYTES = 16 * 2**20

    def _buffer(self, name: str, shape: tuple[int, ...], like: Tensor) -> Tensor:
        """A reusable work buffer: on CPU a fresh tensor per call costs more in page faults
        than the arithmetic on these small maps (one face's largest map is 0.9 MB)."""
        b = self.workspace.get(name)
        if b is not None and b.shape == shape and b.dtype == like.dtype and b.device == like.device:
            return b
        b = torch.empty(shape, dtype=like.dtype, device=like.device)
        if b.numel() * b.element_size() <= self.KEEP_BYTES:
            self.workspace[name] = b
        else:
            self.workspace.pop(name, None)
        return b

    def fast(self, patches: Tensor) -> Tensor:
        """Inference path (no autograd), equal to :meth:`reference` up to float rounding:
        (B, N, P, P) → (B, N, bottleneck)."""
        w = self._weights()
        b, n, p, _ = patches.shape
        m, c, h = b * n, self.conv1.out_channels, (p - 2) // 2
        # conv 3x3 (1 -> C) + 2x2 max-pool: im2col rows ordered (dy, dx, patch, y', x') for the output
        # pixel (2y' + dy, 2x' + dx), so the pooling is a maximum over 4 contiguous blocks. The 16 distinct
        # (ky + dy, kx + dx) sub-grids are gathered once, then spread to the 36 (ky, kx, dy, dx) slots.
        x = patches.reshape(m, p, p)
        if not x.is_contiguous():
            x = x.contiguous()
        hw = m * h * h
        sub = self._buffer("sub", (4, 4, m, h, h), x)
        sub.copy_(x.as_strided((4, 4, m, h, h), (p, 1, p * p, 2 * p, 2)))
        col1 = self._buffer("col1", (3, 3, 2, 2, m, h, h), x)
        col1.copy_(sub.as_strided((3, 3, 2, 2, m, h, h), (4 * hw, hw, 4 * hw, hw, h * h, h, 1)))
        c1 = torch.addmm(w["b1"], col1.view(9, 4 * hw).t(), w["w1"], out=self._buffer("c1", (4 * hw, c), x)).view(
            4, hw * c
        )
        x1 = self._buffer("p1", (m, h, h, c), x)
        t1 = self._buffer("p1_t", (m, h, h, c), x)
        torch.maximum(c1[0], c1[1], out=x1.view(-1))
        torch.maximum(c1[2], c1[3], out=t1.view(-1))
        torch.maximum(x1, t1, out=x1).clamp_(min=0)
        # conv 3x3 (C -> C): im2col of the channels-last pooled map (rows (patch, y, x), columns (ky, kx, c))
        s2 = h - 2
        st = x1.stride()
        col2 = self._buffer("col2", (m, s2, s2, 3, 3, c), x)
        col2.copy_(x1.as_strided((m, s2, s2, 3, 3, c), (st[0], st[1], st[2], st[1], st[2], st[3])))
        c2 = torch.addmm(w["b2"], col2.view(m * s2 * s2, 9 * c), w["w2"], out=self._buffer("c2", (m * s2 * s2, c), x))
        c2 = c2.view(m, s2, s2, c)
        o, k = self.crop_at, self.pooled
        feat = self._buffer("feat", (m, 2, k, k, c), x)
        feat[:, 0].copy_(c2[:, o : o + k, o : o + k])
        self._pool_relu(c2, "p2", out=feat[:, 1])
        f = feat.view(m, -1).clamp_(min=0)
        att = torch.addmm(w["ba"], f, w["wa"], out=self._buffer("att", (m, f.shape[1]), x))
        att.sigmoid_().mul_(f)
        return torch.addmm(w["bp"], att, w["wp"]).reshape(b, n, -1)

    def _pool_relu(self, x: Tensor, name: str, out: Tensor | None = None) -> Tensor:
        """2 × 2 max-pooling (stride 2, odd edges dropped) then ReLU of a channels-last
        (M, H, W, C) map, into a work buffer (or ``out``)."""
        m, hh, ww, c = x.shape
        h, wd = hh // 2, ww // 2
        x = x[:, : 2 * h, : 2 * wd]
        a = self._buffer(name, (m, h, wd, c), x) if out is None else out
        t = self._buffer(name + "_t", (m, h, wd, c), x)
        torch.maximum(x[:, 0::2, 0::2], x[:, 0::2, 1::2], out=a)
        torch.maximum(x[:, 1::2, 0::2], x[:, 1::2, 1::2], out=t)
        return torch.maximum(a, t, out=a).clamp_(min=0)


class MuSiCa(nn.Module):
    """Selective cascaded regression (see the module docstring).

    Args:
        config: hyper-parameters; ``mean_shape`` empty means a centred unit template
            is used until one is set with :meth:`set_mean_shape`.
    """

    def __init__(self, config: MuSiCaConfig) -> None:
        super().__init__()
        self.config = config
        L = config.n_landmarks
        self.patch_index = list(range(0, L, config.patch_every))
        n_p = len(self.patch_index)
        self.features = nn.ModuleList(
            _PatchNet(config.patch, config.channels, config.bottleneck) for _ in range(config.iterations)
        )
        shared: dict[str, Tensor] = {}  # the iterations run one after another: one set of work buffers
        for f in self.features:
            f.workspace = shared
        self.rnn = nn.ModuleList(
            nn.Linear(n_p * config.bottleneck + config.hidden, config.hidden) for _ in range(config.iterations)
        )
        self.delta = nn.ModuleList(nn.Linear(config.hidden, 2 * L) for _ in range(config.iterations))
        self.error = nn.ModuleList(nn.Linear(config.hidden, 1) for _ in range(config.iterations))
        for d in self.delta:
            nn.init.zeros_(d.weight)
            nn.init.zeros_(d.bias)
        mean = torch.tensor(config.mean_shape, dtype=torch.float32) if config.mean_shape else torch.zeros(L, 2)
        self.register_buffer("mean_shape", mean.reshape(L, 2))
        # patch sampling offsets, in pixels of a level, centred on the landmark
        r = torch.arange(config.patch, dtype=torch.float32) - (config.patch - 1) / 2.0
        gy, gx = torch.meshgrid(r, r, indexing="ij")
        self.register_buffer("offsets", torch.stack([gx, gy], dim=-1))  # (P, P, 2)

    def set_mean_shape(self, shape: Tensor) -> None:
        """Set the initial shape: (L, 2) normalised crop coordinates."""
        self.mean_shape.copy_(shape.reshape_as(self.mean_shape))
        self.config.mean_shape = shape.reshape(-1, 2).tolist()

    def _patches(self, level: Tensor, points: Tensor) -> Tensor:
        """(B, N, P, P) bilinear patches of ``level`` (B, 1, h, w) at ``points`` (B, N, 2)."""
        b, _, h, w = level.shape
        scale = torch.tensor([2.0 / w, 2.0 / h], dtype=level.dtype, device=level.device)
        n, p = points.shape[1], self.config.patch
        grid = points[:, :, None, :] + (self.offsets * scale).reshape(1, 1, p * p, 2)  # (B, N, P·P, 2)
        out = F.grid_sample(
            level, grid.reshape(b, n * p, p, 2), mode="bilinear", padding_mode="border", align_corners=False
        )
        return out.reshape(b, n, p, p)

    def forward(
        self, images: Tensor, *, init: Tensor | None = None, exit_threshold: float | None = None
    ) -> MuSiCaOutput:
        """Run the cascade.

        Args:
            images: (B, 1, C, C) grey crops, normalised (zero mean, unit std per crop).
            init: (B, L, 2) initial shapes (default: the mean shape).
            exit_threshold: with a value, a face stops after the first iteration whose
                predicted NME is below it (its shape is then kept); None or 0 runs all.

        Returns:
            The per-iteration shapes and predicted errors, each face's exit iteration
            and final shape.
        """
        b = images.shape[0]
        pyr = gaussian_pyramid(images, self.config.levels)  # finest first
        shape = self.mean_shape.expand(b, -1, -1).clone() if init is None else init
        hidden = images.new_zeros(b, self.config.hidden)
        n_it = self.config.iterations
        exit_it = torch.full((b,), n_it, dtype=torch.int64, device=images.device)
        shapes, errors = [], []
        if not exit_threshold:
            for it in range(n_it):
                shape, hidden, err = self._step(it, pyr[self.config.level_of(it)], shape, hidden)
                shapes.append(shape)
                errors.append(err)
            return MuSiCaOutput(shapes, errors, exit_it, shape)
        # early exit: only the faces still in the cascade are computed
        active = torch.arange(b, device=images.device)
        err_all = images.new_zeros(b)
        for it in range(n_it):
            level = pyr[self.config.level_of(it)]
            if active.numel() == b:  # nobody has left yet: no gathering needed
                shape, hidden, err_all = self._step(it, level, shape, hidden)
                e_new = err_all
            else:
                s_new, h_new, e_new = self._step(it, level[active], shape[active], hidden[active])
                shape = shape.index_copy(0, active, s_new)
                hidden = hidden.index_copy(0, active, h_new)
                err_all = err_all.index_copy(0, active, e_new)
            shapes.append(shape)
            errors.append(err_all)
            leaving = e_new < exit_threshold
            if it == n_it - 1 or not bool(leaving.any()):  # nobody leaves here: no bookkeeping
                continue
            exit_it = exit_it.index_copy(0, active[leaving], torch.full_like(active[leaving], it + 1))
            active = active[~leaving]
            if active.numel() == 0:
                break
        return MuSiCaOutput(shapes, errors, exit_it, shape)

    def _step(self, it: int, level: Tensor, shape: Tensor, hidden: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        b = shape.shape[0]
        feats = self.features[it](self._patches(level, shape[:, :: self.config.patch_every]))  # = patch_index
        hidden = torch.tanh(self.rnn[it](torch.cat([feats.reshape(b, -1), hidden], dim=1)))
        shape = shape + self.delta[it](hidden).reshape(b, -1, 2)
        err = F.softplus(self.error[it](hidden)).squeeze(1)
        return shape, hidden, err
