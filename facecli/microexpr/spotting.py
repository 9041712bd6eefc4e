"""Apex spotting: per-frame change relative to the onset frame, in units of the
clip's frame-to-frame noise.

``residual`` (the default) works on head-stabilised residual images and fits an
onset–apex–offset envelope; it is described in :mod:`facecli.microexpr.residual`.
The cell-based methods:

For every ROI cell c and frame t:

* ``lbp``: d(t, c) = χ²(H_t,c, H_onset,c) between uniform-LBP histograms (P = 8,
  R = 1, skimage) of the cell; the noise n(c) is the median of χ²(H_t,c, H_t−1,c).
  The relative change d / n is pooled as the mean over the ``top_share`` of cells
  that change most over the clip, minus the median over all cells (a change every
  cell shares, such as lighting or a head turn, is not an expression).
* ``flow``: dense optical flow from the onset frame to frame t (OpenCV DIS, one flow
  per frame), averaged per cell. The head's motion is taken out by subtracting a
  smooth motion field (quadratic in the image coordinates: a rotating, translating
  3D head seen in the image is close to it) fitted robustly to the cells' flows,
  so the few cells an expression moves do not pull the fit. Each cell's two flow
  components are divided by their noise (the median absolute change between
  consecutive frames). A micro-expression moves every cell along its own direction,
  scaled by one intensity curve, so the score is the clip's first principal
  component over [onset, offset]: the noise-weighted projection of all cells onto
  the dominant motion pattern, signed so that it rises after the onset. Unlike a
  pooled magnitude it is linear in the intensity and has no noise floor.

Whatever is left at the offset frame (where the face is neutral again) is drift, and
is removed as a change growing linearly from onset to offset (on the LBP distances,
and on the flow vectors).

Both curves are smoothed with a Gaussian (σ in frames). ``both`` averages the two
curves, each divided by its maximum. The apex is the argmax inside [onset, offset]
when they are known, else over the whole clip. The reference frame is the onset
(the first frame when unknown).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError
from facecli.microexpr.motion import dis_flow, flow_cell_motion
from facecli.microexpr.rois import FaceBox, grid_rois

__all__ = ["SpotResult", "SpotSettings", "chi2", "expression_component", "lbp_histograms", "spot_apex"]

METHODS = ("lbp", "flow", "both", "residual")


@dataclass
class SpotSettings:
    """Spotting settings.

    Attributes:
        method: ``residual`` (the default: head-stabilised residual images and an
            envelope fit, :mod:`facecli.microexpr.residual`), ``flow``, ``lbp`` or ``both``.
        cells: ROI grid cells per side of the face box (``residual``: of the
            head-motion fit).
        lbp_size: the face box is resized to this many pixels per side for LBP.
        top_share: share of cells pooled into the LBP score.
        smooth: Gaussian σ of the temporal smoothing, frames (0: none; ``lbp``, ``flow``
            and ``both`` only: ``residual`` fits an envelope instead).
        components: free head-motion components of the ``residual`` fit (the centre of
            the five counts whose costs it sums: 8, 12, 16, 20, 24 by default).
    """

    method: str = "residual"
    cells: int = 8
    lbp_size: int = 128
    top_share: float = 0.25
    smooth: float = 3.0
    components: int = 16

    def check(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"expected --method lbp|flow|both|residual, got {self.method!r}")
        if self.components < 0:
            raise InputError(f"expected at least 0 head-motion components, got {self.components}")
        if not 0 < self.top_share <= 1:
            raise InputError(f"expected a pooled share in (0, 1], got {self.top_share}")


@dataclass
class SpotResult:
    """Apex of one clip.

    Attributes:
        apex_index: 0-based position of the apex frame in the clip.
        score: (T,) float32 smoothed spotting score.
        window: (first, last) positions searched (inclusive).
    """

    apex_index: int
    score: np.ndarray
    window: tuple[int, int]


def chi2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """χ² distance ½ Σ (a − b)² / (a + b) over the last axis (0/0 counts 0)."""
    s = a + b
    return 0.5 * np.where(s > 0, (a - b) ** 2 / np.where(s > 0, s, 1.0), 0.0).sum(axis=-1)


def lbp_histograms(frames: np.ndarray, box: FaceBox, cells: int, size: int) -> np.ndarray:
    """Uniform LBP (P = 8, R = 1) histograms per grid cell of the face box.

    Args:
        frames: (T, H, W) uint8 grey frames.
        box: the face box.
        cells: grid cells per side.
        size: the box is resized to size × size first.

    Returns:
        (T, cells², 10) float32 histograms, each summing to 1.
    """
    import cv2
    from skimage.feature import local_binary_pattern

    rois = grid_rois(FaceBox(0, 0, size, size), cells)
    out = np.empty((len(frames), len(rois), 10), dtype=np.float32)
    for t, f in enumerate(frames):
        crop = cv2.resize(f[box.y : box.y + box.h, box.x : box.x + box.w], (size, size), interpolation=cv2.INTER_AREA)
        codes = local_binary_pattern(crop, 8, 1, method="uniform").astype(np.int64)
        for c, (x0, y0, x1, y1) in enumerate(rois):
            h = np.bincount(codes[y0:y1, x0:x1].ravel(), minlength=10)[:10].astype(np.float32)
            out[t, c] = h / max(h.sum(), 1.0)
    return out


def expression_component(motion: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The intensity curve shared by all cells' motions: the first principal
    component of the noise-weighted cell flows over frames ``lo..hi``.

    Args:
        motion: (T, C, 2) cell flows from the reference frame, px (drift removed).
        lo, hi: the window the component is fitted on (inclusive positions).

    Returns:
        (T,) float64 projection of every frame on the component, in noise units,
        signed so that its mean over the window is positive (an expression is a
        bump above the neutral reference).
    """
    t_n = len(motion)
    x = motion.reshape(t_n, -1).astype(np.float64)
    step = np.abs(np.diff(x, axis=0))
    noise = np.median(step, axis=0) if len(step) else np.ones(x.shape[1])
    x = x / (noise + 1e-6 + 1e-3 * float(np.median(noise)))
    win = x[lo : hi + 1]
    if len(win) < 2 or not np.any(win):
        return np.zeros(t_n)
    _, _, vt = np.linalg.svd(win, full_matrices=False)
    curve = x @ vt[0]
    return -curve if curve[lo : hi + 1].mean() < 0 else curve


def _detrend(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Remove the change that grows linearly from the onset to the offset frame.

    The face is neutral at both ends of an expression, so what is left at the offset
    is drift (the head settling, lighting); it is assumed to build up linearly and is
    subtracted: x(t) − (t − lo) / (hi − lo) · x(hi).
    """
    if hi <= lo:
        return x
    alpha = (np.arange(len(x)) - lo) / float(hi - lo)
    return x - alpha.reshape((-1,) + (1,) * (x.ndim - 1)) * x[hi][None]


def _pool(rel: np.ndarray, top_share: float) -> np.ndarray:
    c = rel.shape[1]
    k = max(1, int(round(top_share * c)))
    top = np.argsort(-rel.mean(axis=0))[:k]
    return rel[:, top].mean(axis=1) - np.median(rel, axis=1)


def _relative(d_on: np.ndarray, d_nb: np.ndarray) -> np.ndarray:
    noise = np.median(d_nb, axis=0) if len(d_nb) else np.ones(d_on.shape[1])
    return d_on / (noise + 1e-6 + 1e-3 * float(np.median(noise)))


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    if sigma <= 0 or len(x) < 3:
        return x
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(x.astype(np.float64), sigma, mode="nearest")


def lbp_curve(frames: np.ndarray, box: FaceBox, ref: int, end: int, st: SpotSettings) -> np.ndarray:
    """(T,) raw LBP spotting curve (before smoothing); ``ref``/``end``: onset/offset positions."""
    h = lbp_histograms(frames, box, st.cells, st.lbp_size).astype(np.float64)
    d_on = _detrend(chi2(h, h[ref][None]), ref, end)
    d_nb = chi2(h[1:], h[:-1])
    return _pool(_relative(d_on, d_nb), st.top_share)


def flow_curve(frames: np.ndarray, box: FaceBox, ref: int, end: int, st: SpotSettings) -> np.ndarray:
    """(T,) raw optical-flow spotting curve (before smoothing); ``ref``/``end``: onset/offset positions."""
    crops = np.ascontiguousarray(frames[:, box.y : box.y + box.h, box.x : box.x + box.w])
    rois = grid_rois(FaceBox(0, 0, box.w, box.h), st.cells)
    dis = dis_flow("ultrafast")
    m_on = np.zeros((len(crops), len(rois), 2), dtype=np.float64)
    for t in range(len(crops)):
        if t != ref:
            m_on[t] = flow_cell_motion(crops[ref], crops[t], rois, dis)
    return expression_component(_detrend(m_on, ref, end), ref, end)


def spot_apex(
    frames: np.ndarray,
    *,
    onset: int | None = None,
    offset: int | None = None,
    box: FaceBox | None = None,
    settings: SpotSettings | None = None,
    source: str = "",
) -> SpotResult:
    """Find the apex of one clip.

    Args:
        frames: (T, H, W) uint8 grey frames.
        onset, offset: 0-based positions of the coded onset and offset (None: unknown).
        box: the face box (None: the whole frame).
        settings: spotting settings.
        source: the clip's name for error messages.

    Returns:
        The apex position, the smoothed score curve and the window searched.

    Raises:
        InputError: fewer than 3 frames, or onset/offset outside the clip or reversed.
    """
    st = settings or SpotSettings()
    st.check()
    t_n, hgt, wid = frames.shape
    where = f" in {source}" if source else ""
    if t_n < 3:
        raise InputError(f"expected a clip of at least 3 frames, got {t_n}{where}")
    lo = 0 if onset is None else onset
    hi = t_n - 1 if offset is None else offset
    if not 0 <= lo < t_n or not 0 <= hi < t_n:
        raise InputError(
            f"expected onset and offset inside the clip's {t_n} frames, got positions {lo} and {hi}{where}"
        )
    if lo > hi:
        raise InputError(f"expected onset <= offset, got onset at position {lo} after offset at {hi}{where}")
    b = (box or FaceBox(0, 0, wid, hgt)).clip_to(wid, hgt, source=source)
    if st.cells > min(b.w, b.h) // 2:
        raise InputError(
            f"expected at most {min(b.w, b.h) // 2} grid cells per side for a {b.w}x{b.h} face box, "
            f"got {st.cells}{where}"
        )
    if st.method == "residual":
        from facecli.microexpr.residual import MAX_FRAMES, fit_envelope, stabilised_residuals

        if t_n > MAX_FRAMES:
            raise InputError(
                f"expected at most {MAX_FRAMES} frames for --method residual (its fit is a T x T "
                f"problem per candidate apex), got {t_n}{where}; trim the clip or use --method flow"
            )

        x = stabilised_residuals(frames, b, lo, cells=st.cells)
        fit = fit_envelope(
            x, lo, onset if offset is not None else None, offset if onset is not None else None, k=st.components
        )
        if onset is None or offset is None:
            lo, hi = 0, t_n - 1
        apex = int(min(max(round(fit.apex), lo), hi))
        return SpotResult(apex_index=apex, score=fit.score, window=(lo, hi))
    curves = []
    if st.method in ("lbp", "both"):
        curves.append(_smooth(lbp_curve(frames, b, lo, hi, st), st.smooth))
    if st.method in ("flow", "both"):
        curves.append(_smooth(flow_curve(frames, b, lo, hi, st), st.smooth))
    if len(curves) == 1:
        score = curves[0]
    else:
        score = np.mean([c / max(float(np.abs(c[lo : hi + 1]).max()), 1e-9) for c in curves], axis=0)
    apex = lo + int(np.argmax(score[lo : hi + 1]))
    return SpotResult(apex_index=apex, score=score.astype(np.float32), window=(lo, hi))
