"""Apex spotting from head-stabilised residual images and an envelope fit
(``--method residual``).

Optical flow per cell is too noisy at micro amplitudes: a cell that moves 0.3 px
carries a flow error of the same size. The change an expression makes to the
*pixels* is summed over thousands of them, so this method works on images:

1. **Stabilise.** Every frame is warped onto the reference frame (the onset) by the
   head's motion: the quadratic motion field of :func:`fit_head_motion`, fitted
   robustly to the grid cells' mean optical flow. Both are blurred (Gaussian,
   σ = 1 px: bilinear resampling smooths by an amount that depends on the sub-pixel
   shift, and the blur makes that difference negligible) and subtracted, giving a
   residual image per frame. Blurring commutes with a near-identity warp, so each
   frame is blurred first and sampled only at the pixels kept (every other pixel of
   every other row).
2. **Take out what is left of the head's motion, to first order.** The registration
   is never exact; an error δ in the field's 12 coefficients changes the residual by
   ∇I · basis · δ. Those 12 images are projected out of every residual.
3. **Weight the pixels.** What remains of the head (parallax the quadratic field
   cannot follow, shading as the head turns, the face outline against the
   background) follows the head's random walk: it changes a little every frame. An
   expression changes slowly and only inside [onset, offset]. Each pixel is divided
   by the root mean square of its frame-to-frame change, so pixels dominated by the
   head's motion count less than pixels where only the expression and the sensor
   noise act.
4. **Fit the envelope.** With onset and offset known, the intensity curve of an
   expression is a rise from 0 at the onset to a peak at the apex and a fall back to
   0 at the offset. For a candidate apex ``a`` the residuals ``X`` (frames × pixels)
   are explained by a constant image, the envelope ``e_a(t)`` times an unknown
   expression image, and ``k`` free components for what the head's motion leaves:
   the cost is the energy of ``X`` outside the span of ``[1, e_a]``, less its ``k``
   largest eigenvalues (the Gram matrix ``X Xᵀ`` makes this a T × T problem), summed
   over k = 8, 12, 16, 20, 24 (each relative to its least value), since no one count
   suits every clip. The apex is the candidate of least cost (1-frame steps, refined
   in quarter frames).
   The envelope is a raised-cosine rise and fall: what the synthetic clips use, and
   close to the smooth bump of a real micro-expression (not yet checked on real
   clips, whose rise and fall may have other shapes).

Without a coded onset and offset the envelope's onset and offset are searched too
(coarse to fine), with the first frame as the reference; this is slower.

The score curve returned is the expression's intensity seen in the data: the
dominant temporal component of the residuals once the constant and the ``k``
(the centre count, 16) head-motion components of the chosen fit are taken out,
signed to rise after the onset, shifted so that its mean over the frames outside
the envelope is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facecli.microexpr.motion import cell_centres, cell_means, dis_flow, poly_basis, robust_poly_fit
from facecli.microexpr.rois import FaceBox, grid_rois

__all__ = ["MAX_FRAMES", "ResidualFit", "envelope", "envelope_cost", "fit_envelope", "stabilised_residuals"]

#: Longest clip ``spot_apex`` fits with this method: the cost is an eigen-decomposition
#: of a T × T matrix per candidate (micro-expression clips are 30–300 frames).
MAX_FRAMES = 1000


def envelope(n: int, onset: float, apex: float, offset: float) -> np.ndarray:
    """(n,) float64 raised-cosine envelope: 0 up to ``onset``, rising to 1 at
    ``apex``, falling to 0 at ``offset``, 0 after (positions may be fractional)."""
    t = np.arange(n, dtype=np.float64)
    e = np.zeros(n)
    rise = (t >= onset) & (t <= apex)
    e[rise] = 0.5 - 0.5 * np.cos(np.pi * (t[rise] - onset) / max(apex - onset, 1e-6))
    fall = (t > apex) & (t <= offset)
    e[fall] = 0.5 + 0.5 * np.cos(np.pi * (t[fall] - apex) / max(offset - apex, 1e-6))
    return e


def _field_basis(height: int, width: int, centres: np.ndarray) -> np.ndarray:

    yy, xx = np.mgrid[0:height, 0:width]
    pts = np.stack([xx.ravel() + 0.5, yy.ravel() + 0.5], axis=1).astype(np.float64)
    return poly_basis(pts, centres.min(axis=0), centres.max(axis=0), 2)


def stabilised_residuals(
    frames: np.ndarray,
    box: FaceBox,
    ref: int,
    cells: int = 8,
    blur: float = 1.0,
    margin: int | None = None,
    threads: int | None = None,
    stride: int = 2,
    weighted: bool = True,
) -> np.ndarray:
    """Head-stabilised, pixel-weighted residual images (steps 1–3 of the module text).

    Args:
        frames: (T, H, W) uint8 grey frames.
        box: the face box (inside the frame).
        ref: position of the reference frame (the onset).
        cells: grid cells per side for the head-motion fit.
        blur: Gaussian σ applied to both images before subtracting, px.
        margin: pixels dropped at each side of the box (None: 1/25 of its shorter side,
            at least 2), where the warp reaches outside what was seen.
        stride: keep every ``stride``-th pixel of every ``stride``-th row (after the
            σ = 1 px blur neighbouring pixels carry little new information; 2 is as
            accurate as 1 on the synthetic clips and 4 times less work downstream).
        threads: frames registered in parallel (None: OpenCV's thread count,
            ``cv2.getNumThreads()``); the result is the same for any number.
        weighted: divide each pixel by its frame-to-frame change (step 3); False
            leaves grey levels, for inspection.

    Returns:
        (T, P) float32 residuals (noise units; grey levels when not ``weighted``),
        P the pixels kept; the row of ``ref`` is 0.
    """
    import cv2

    t_n = len(frames)
    bx, by, bw, bh = box.x, box.y, box.w, box.h
    m = max(2, min(bw, bh) // 25) if margin is None else margin
    rois = grid_rois(FaceBox(0, 0, bw, bh), cells)
    cen = cell_centres(rois)
    basis = _field_basis(bh, bw, cen).astype(np.float32)  # (bh*bw, 6)
    ref8 = np.ascontiguousarray(frames[ref, by : by + bh, bx : bx + bw])
    # Blurring commutes with the near-identity warp, so each frame is blurred once around the
    # box and sampled only at the kept points (grid + field), not warped whole and then blurred.
    fh, fw = frames.shape[1:]
    pad = int(np.ceil(4 * blur)) + 8
    rx0, ry0, rx1, ry1 = max(0, bx - pad), max(0, by - pad), min(fw, bx + bw + pad), min(fh, by + bh + pad)

    def blurred_region(t: int) -> np.ndarray:
        region = frames[t, ry0:ry1, rx0:rx1].astype(np.float32)
        return cv2.GaussianBlur(region, (0, 0), blur) if blur > 0 else region

    ref_b = np.ascontiguousarray(blurred_region(ref)[by - ry0 : by - ry0 + bh, bx - rx0 : bx - rx0 + bw])
    inner = (slice(m, bh - m, stride), slice(m, bw - m, stride))
    # the 12 images a small error in the field's coefficients adds to a residual
    gx = cv2.Sobel(ref_b, cv2.CV_32F, 1, 0, ksize=1, scale=0.5)[inner].reshape(-1, 1)
    gy = cv2.Sobel(ref_b, cv2.CV_32F, 0, 1, ksize=1, scale=0.5)[inner].reshape(-1, 1)
    b_in = basis.reshape(bh, bw, 6)[inner].reshape(-1, 6)
    jac, _ = np.linalg.qr(np.concatenate([b_in * gx, b_in * gy], axis=1).astype(np.float64))
    jac = jac.astype(np.float32)
    a_cells = poly_basis(cen, cen.min(axis=0), cen.max(axis=0), 2)
    gy_, gx_ = np.mgrid[0:bh, 0:bw].astype(np.float32)
    grid = np.ascontiguousarray(np.stack([gx_[inner] + (bx - rx0), gy_[inner] + (by - ry0)], axis=-1))
    ph, pw = grid.shape[:2]
    ref_in = ref_b[inner]
    x = np.zeros((t_n, ref_in.size), dtype=np.float32)

    def work(positions: np.ndarray) -> None:
        dis = dis_flow("ultrafast")  # one per thread
        for t in positions:
            flow = dis.calc(ref8, np.ascontiguousarray(frames[t, by : by + bh, bx : bx + bw]), None)
            coef = robust_poly_fit(a_cells, cell_means(flow, rois)).astype(np.float32)
            where = grid + (b_in @ coef).reshape(ph, pw, 2)
            x[t] = (
                cv2.remap(blurred_region(t), where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) - ref_in
            ).ravel()

    todo = np.array([t for t in range(t_n) if t != ref], dtype=np.int64)
    n_threads = max(1, min(cv2.getNumThreads() if threads is None else threads, len(todo) // 8, 8))
    if n_threads == 1:
        work(todo)
    else:  # frames are independent (no flow is reused), so the result does not depend on the split
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(work, np.array_split(todo, n_threads)))
    x -= (x @ jac) @ jac.T
    keep = np.arange(t_n) != ref
    if weighted and keep.sum() >= 2:
        step = np.diff(x[keep], axis=0)
        var = np.mean(step * step, axis=0)
        x /= np.sqrt(var + 1e-3 * float(np.median(var)) + 1e-12)[None]
    x[ref] = 0.0
    return x


def _costs(gram: np.ndarray, designs: np.ndarray, ks: Sequence[int]) -> np.ndarray:
    """Energy outside span(design) less the k largest eigenvalues, per design and k.

    Args:
        gram: (n, n) float64 Gram matrix of the residuals.
        designs: (B, n, 2) columns [1, e_a] per candidate.
        ks: numbers of free components.

    Returns:
        (B, len(ks)) costs.
    """
    q, _ = np.linalg.qr(designs)  # (B, n, 2)
    qt = q.transpose(0, 2, 1)
    gq = gram[None] @ q  # G Q
    qg = gq.transpose(0, 2, 1)  # Qᵀ G (G is symmetric)
    # (I − QQᵀ) G (I − QQᵀ) = G − GQQᵀ − QQᵀG + Q(QᵀGQ)Qᵀ
    proj = gram[None] - gq @ qt - q @ qg + q @ ((qt @ gq) @ qt)
    w = np.linalg.eigvalsh(proj)  # ascending
    return np.stack([w[:, : max(w.shape[1] - k, 0)].sum(axis=1) for k in ks], axis=1)


def envelope_cost(
    gram: np.ndarray, candidates: np.ndarray, rows: np.ndarray, n: int, k: int | Sequence[int], chunk: int | None = None
) -> np.ndarray:
    """The fit cost (step 4) of each (onset, apex, offset) candidate.

    Args:
        gram: (R, R) Gram matrix of the residual rows used.
        candidates: (B, 3) float onset, apex, offset positions.
        rows: (R,) clip positions of the rows in ``gram``.
        n: frames in the clip.
        k: free head-motion components, or several (one cost column each).
        chunk: candidates per batched eigen-decomposition (None: as many as keep each
            batch's matrices near 200 MB).

    Returns:
        (B,) costs, or (B, len(k)) for several k.
    """
    ks = [k] if isinstance(k, (int, np.integer)) else list(k)
    out = np.empty((len(candidates), len(ks)))
    ones = np.ones(len(rows))
    if chunk is None:
        chunk = int(max(1, min(256, 2e8 // (8 * 5 * len(rows) ** 2))))
    for s in range(0, len(candidates), chunk):
        part = candidates[s : s + chunk]
        designs = np.stack([np.stack([ones, envelope(n, *c)[rows]], axis=1) for c in part])
        out[s : s + chunk] = _costs(gram, designs, ks)
    return out[:, 0] if isinstance(k, (int, np.integer)) else out


@dataclass
class ResidualFit:
    """The envelope fit of one clip.

    Attributes:
        onset, apex, offset: fitted positions (fractional; onset/offset are the coded
            ones when given).
        score: (T,) float32 expression intensity curve.
        components: the free head-motion components used.
    """

    onset: float
    apex: float
    offset: float
    score: np.ndarray
    components: int


def _expression_curve(gram: np.ndarray, rows: np.ndarray, n: int, env: np.ndarray, k: int) -> np.ndarray:
    designs = np.stack([np.ones(len(rows)), env[rows]], axis=1)
    q, _ = np.linalg.qr(designs)
    p = np.eye(len(rows)) - q @ q.T
    w, v = np.linalg.eigh(p @ gram @ p)
    head = v[:, len(w) - k :] if k > 0 else np.zeros((len(rows), 0))
    c = np.eye(len(rows)) - np.full((len(rows),) * 2, 1.0 / len(rows))  # the constant image out
    r = c - head @ (head.T @ c)
    w2, v2 = np.linalg.eigh(r @ gram @ r.T)
    comp = v2[:, -1] * np.sqrt(max(float(w2[-1]), 0.0))
    if np.dot(comp, env[rows] - env[rows].mean()) < 0:
        comp = -comp
    score = np.zeros(n)
    score[rows] = comp
    zero = rows[env[rows] == 0]
    if len(zero):
        score[rows] -= score[zero].mean()
    missing = np.setdiff1d(np.arange(n), rows)
    if len(missing):
        score[missing] = np.interp(missing, rows, score[rows])
    return score.astype(np.float32)


def fit_envelope(
    x: np.ndarray, ref: int, onset: int | None, offset: int | None, k: int = 16, spread: int = 4
) -> ResidualFit:
    """Fit the envelope to residuals (step 4): apex, and onset/offset when unknown.

    The cost is summed over ``k − 2·spread``, ``k − spread``, …, ``k + 2·spread`` free
    components (8, 12, 16, 20, 24 by default), each divided by its least value over
    the first candidates searched: which eigenvalue happens to be the k-th can tip a
    weak expression's fit, and no one number of components is right for every clip.

    Args:
        x: (T, P) residuals from :func:`stabilised_residuals` (row ``ref`` unused).
        ref: the reference frame's position.
        onset, offset: coded positions, or None to search them.
        k: free head-motion components (fewer on short clips: at most R − 3 for R rows).
        spread: step between the component counts summed (0: ``k`` alone).

    Returns:
        The fit.
    """
    n = len(x)
    rows = np.flatnonzero(np.arange(n) != ref)
    xr = x[rows].astype(np.float64)
    gram = xr @ xr.T
    top = max(0, len(rows) - 3)
    k = int(max(0, min(k, top)))
    ks = sorted({int(min(max(k + j * spread, 0), top)) for j in (-2, -1, 0, 1, 2)})
    scale: np.ndarray | None = None

    def cost(cands: np.ndarray) -> np.ndarray:
        nonlocal scale
        c = envelope_cost(gram, cands, rows, n, ks)
        if scale is None:
            scale = np.maximum(c.min(axis=0), 1e-300)
        return (c / scale).sum(axis=1)

    if onset is not None and offset is not None:
        if offset - onset < 2:
            apex = float(onset)
            return ResidualFit(
                float(onset),
                apex,
                float(offset),
                _expression_curve(gram, rows, n, envelope(n, onset, apex + 0.5, offset + 1), k),
                k,
            )
        coarse = np.array([(onset, a, offset) for a in range(onset + 1, offset)], dtype=np.float64)
    else:
        step = max(1, int(np.ceil(n / 24)))
        coarse = np.array(
            [
                (o, a, f)
                for o in range(0, n - 2, step)
                for f in range(o + 2, n, step)
                for a in range(o + 1, f, max(1, step // 2))
            ],
            dtype=np.float64,
        )
        best = coarse[int(np.argmin(cost(coarse)))]
        o0, a0, f0 = (int(v) for v in best)
        coarse = np.array(
            [
                (o, a, f)
                for o in range(max(0, o0 - step), min(n - 2, o0 + step) + 1)
                for f in range(max(o + 2, f0 - step), min(n - 1, f0 + step) + 1)
                for a in range(max(o + 1, a0 - step), min(f - 1, a0 + step) + 1)
            ],
            dtype=np.float64,
        )
    o, a, f = coarse[int(np.argmin(cost(coarse)))]
    fine = np.array([(o, a + d, f) for d in np.arange(-0.75, 0.76, 0.25) if o < a + d < f], dtype=np.float64)
    o, a, f = fine[int(np.argmin(cost(fine)))]
    return ResidualFit(float(o), float(a), float(f), _expression_curve(gram, rows, n, envelope(n, o, a, f), k), k)
