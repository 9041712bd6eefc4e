"""The parametric synthetic face: identity + expression → vertices (mm).

Geometry = a head-shaped base surface over the template grid, plus depth features
(nose, brow ridge, eye sockets and eyeballs, cheekbones, lips, chin) whose sizes are
identity parameters, plus in-plane warps (vertical proportions, face/jaw width, eye
spacing and size, nose and mouth width). Expressions are action-unit displacement
fields with continuous intensity. All fields are evaluated in template coordinates,
so every vertex keeps its meaning across people and expressions.

Example:
    >>> import numpy as np
    >>> from facecli.synth.face_model import sample_identity, build_vertices
    >>> ident = sample_identity(np.random.default_rng(0))
    >>> build_vertices(ident, {"AU12": 1.0}).shape
    (29141, 3)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from facecli.errors import ValidationError
from facecli.synth import template as T

__all__ = [
    "Identity",
    "SHAPE_PARAMS",
    "ACTION_UNITS",
    "sample_identity",
    "mean_identity",
    "build_vertices",
]

# name → standard deviation in the parameter's own unit (documented in Identity)
SHAPE_PARAMS: dict[str, float] = {
    "eye_level": 1.5,  # mm, vertical position of the eyes
    "brow_height": 1.8,  # mm, eye → brow distance change
    "forehead_height": 4.0,  # mm
    "nose_length": 3.0,  # mm, eye line → subnasale
    "upper_lip_height": 1.8,  # mm, subnasale → stomion
    "lower_lip_height": 1.2,  # mm
    "chin_height": 3.5,  # mm, lower lip → menton
    "face_width": 0.05,  # relative, cheek level
    "forehead_width": 0.04,  # relative
    "jaw_width": 0.06,  # relative
    "chin_width": 0.08,  # relative
    "eye_spacing": 1.6,  # mm per eye (lateral shift)
    "eye_width": 0.07,  # relative fissure length
    "eye_height": 0.10,  # relative fissure height
    "eye_tilt": 1.0,  # mm, outer corner up
    "nose_width": 0.08,  # relative
    "mouth_width": 0.07,  # relative
    "face_depth": 0.04,  # relative head depth
    "nose_protrusion": 0.14,  # relative
    "nose_bridge": 0.25,  # relative bridge height
    "nose_tip_droop": 1.5,  # mm
    "alar_flare": 0.2,  # relative
    "brow_ridge": 0.3,  # relative
    "socket_depth": 0.25,  # relative
    "cheekbones": 0.35,  # relative
    "cheek_fullness": 0.35,  # relative
    "upper_lip_thickness": 0.25,  # relative
    "lower_lip_thickness": 0.25,  # relative
    "chin_protrusion": 0.35,  # relative
    "muzzle": 0.3,  # relative mouth-region protrusion
    "forehead_slope": 0.3,  # relative
    "temple_depth": 0.3,  # relative
    "asymmetry": 0.6,  # mm, left/right height difference of eyes and brows
}

#: Action units with a displacement field, and what they do.
ACTION_UNITS: dict[str, str] = {
    "AU1": "inner brow raiser",
    "AU2": "outer brow raiser",
    "AU4": "brow lowerer",
    "AU6": "cheek raiser",
    "AU7": "lid tightener",
    "AU9": "nose wrinkler",
    "AU12": "lip corner puller",
    "AU15": "lip corner depressor",
    "AU26": "jaw drop",
    "AU43": "eyes closed",
}


@dataclass
class Identity:
    """One synthetic person.

    Attributes:
        shape: parameter name → value (see :data:`SHAPE_PARAMS`; 0 is the mean).
        albedo: colour parameters (skin tone, lip, iris, brow and hair colours, RGB in
            [0, 1] linear) and texture variation; see :mod:`facecli.synth.albedo`.
        sex_scale: overall size factor (about 1 ± 0.04).
    """

    shape: dict[str, float] = field(default_factory=dict)
    albedo: dict[str, object] = field(default_factory=dict)
    sex_scale: float = 1.0


def sample_identity(rng: np.random.Generator, *, spread: float = 1.0) -> Identity:
    """Draw a random person (shape ~ N(0, σ) per parameter, clipped to ±2.5σ).

    Args:
        rng: the person's generator.
        spread: multiplies every shape σ (the clip follows): 1 is the model's own range; more
            draws rarer proportions (a wider mouth, a shorter upper lip, a flatter face) for
            training data that must cover real people at the model's edges. The same ``rng``
            draws the same person, only exaggerated.

    Example:
        >>> import numpy as np
        >>> a = sample_identity(np.random.default_rng(3))
        >>> b = sample_identity(np.random.default_rng(3), spread=2.0)
        >>> bool(np.isclose(b.shape["mouth_width"], 2 * a.shape["mouth_width"]))
        True
    """
    from facecli.synth.albedo import sample_albedo

    if not 0.0 < spread <= 3.0:
        raise ValidationError(f"expected a shape spread in (0, 3], got {spread}")
    shape = {k: float(np.clip(rng.standard_normal(), -2.5, 2.5) * s * spread) for k, s in SHAPE_PARAMS.items()}
    scale = float(1.0 + np.clip(rng.standard_normal(), -2.0, 2.0) * 0.04)
    return Identity(shape=shape, albedo=sample_albedo(rng), sex_scale=scale)


def mean_identity() -> Identity:
    """The mean face with a neutral albedo."""
    from facecli.synth.albedo import mean_albedo

    return Identity(shape=dict.fromkeys(SHAPE_PARAMS, 0.0), albedo=mean_albedo(), sex_scale=1.0)


# --- small helpers ------------------------------------------------------------------
def _g(x: np.ndarray, s: float) -> np.ndarray:
    return np.exp(-0.5 * (x / s) ** 2)


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _box(x: np.ndarray, lo: float, hi: float, soft: float) -> np.ndarray:
    return _smoothstep(x, lo - soft, lo + soft) * (1.0 - _smoothstep(x, hi - soft, hi + soft))


def _pchip(x_knots: np.ndarray, y_knots: np.ndarray, x: np.ndarray) -> np.ndarray:
    from scipy.interpolate import PchipInterpolator

    order = np.argsort(x_knots)
    return PchipInterpolator(x_knots[order], y_knots[order], extrapolate=True)(x)


# --- geometry -----------------------------------------------------------------------
def _vertical_warp(y: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    """Monotone remapping of heights: the person's vertical proportions."""
    e = p["eye_level"]
    knots_t = np.array(
        [T.Y_MAX, 40.0, 18.0, T.EYE_Y, T.NOSE_TIP_Y, T.SUBNASALE_Y, T.STOMION_Y, -75.0, T.MENTON_Y, T.Y_MIN]
    )
    nose = p["nose_length"]
    lip = p["upper_lip_height"]
    lower = p["lower_lip_height"]
    chin = p["chin_height"]
    brow = 18.0 + e + p["brow_height"]
    knots_i = np.array(
        [
            T.Y_MAX + e + p["brow_height"] + p["forehead_height"],
            40.0 + e + p["brow_height"] + 0.5 * p["forehead_height"],
            brow,
            T.EYE_Y + e,
            T.NOSE_TIP_Y + e - 0.75 * nose - p["nose_tip_droop"],
            T.SUBNASALE_Y + e - nose,
            T.STOMION_Y + e - nose - lip,
            -75.0 + e - nose - lip - lower,
            T.MENTON_Y + e - nose - lip - lower - chin,
            T.Y_MIN + e - nose - lip - lower - chin,
        ]
    )
    # keep strictly decreasing (tiny gaps can never invert)
    for i in range(1, knots_i.size):
        knots_i[i] = min(knots_i[i], knots_i[i - 1] - 2.0)
    return _pchip(knots_t, knots_i, y)


def _width_scale(y: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    ky = np.array([T.Y_MAX, 45.0, -10.0, -80.0, T.MENTON_Y, T.Y_MIN])
    kv = 1.0 + np.array(
        [
            p["forehead_width"],
            p["forehead_width"],
            p["face_width"],
            p["jaw_width"],
            p["chin_width"],
            p["chin_width"],
        ]
    )
    return _pchip(ky, kv, y)


def _in_plane(x: np.ndarray, y: np.ndarray, p: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """In-plane identity displacement (dx, dy) at template coordinates."""
    ax = np.abs(x)
    sgn = np.sign(x)
    dx = np.zeros_like(x)
    dy = np.zeros_like(y)
    # eye spacing: the whole eye region shifts laterally
    w_eye_region = _g(ax - T.EYE_X, 14.0) * _g(y - T.EYE_Y, 14.0) * _smoothstep(ax, 0.0, 9.0)
    dx += sgn * p["eye_spacing"] * w_eye_region
    # eye size and tilt
    w_eye = _g(ax - T.EYE_X, 12.0) * _g(y - T.EYE_Y, 8.0)
    dx += p["eye_width"] * (x - sgn * T.EYE_X) * w_eye
    dy += p["eye_height"] * (y - T.EYE_Y) * w_eye
    dy += p["eye_tilt"] * np.clip((ax - T.EYE_X) / T.EYE_HALF_WIDTH, -1.0, 1.0) * w_eye
    dy += p["asymmetry"] * sgn * _g(ax - 32.0, 18.0) * _g(y - 8.0, 14.0)
    # nose and mouth width
    dx += p["nose_width"] * x * _g(x, 14.0) * _box(y, -46.0, 6.0, 5.0)
    dx += p["mouth_width"] * x * _g(x, 26.0) * _g(y - T.STOMION_Y, 11.0)
    # lateral face width (leaves the central features alone)
    lat = np.minimum(1.0, (x / 40.0) ** 2)
    dx += x * (_width_scale(y, p) - 1.0) * lat
    return dx, dy


def _depth_features(x: np.ndarray, y: np.ndarray, theta: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    """Depth relief (mm, along +Z) of the facial features at template coordinates."""
    ax = np.abs(x)
    front = np.clip(np.cos(theta), 0.0, 1.0) ** 2
    z = np.zeros_like(x)
    # nose: ridge profile and cross-section width along Y
    prof_y = np.array([16.0, T.NASION_Y, -4.0, -17.5, T.NOSE_TIP_Y, -37.0, T.SUBNASALE_Y, -47.0])
    prof_v = np.array([1.0, 2.5, 7.5, 13.0, 20.5, 13.0, 2.0, 0.0])
    bridge = 1.0 + p["nose_bridge"]
    prof_v = prof_v * np.array([bridge, bridge, bridge, 0.5 + 0.5 * bridge, 1.0, 1.0, 1.0, 1.0])
    prof = np.interp(-y, -prof_y, prof_v) * (1.0 + p["nose_protrusion"])
    wid = np.interp(-y, -prof_y, np.array([7.0, 5.5, 4.8, 5.2, 6.2, 7.5, 8.0, 8.0]))
    z += prof * np.exp(-0.5 * (x / wid) ** 4 * 0.6 - 0.5 * (x / wid) ** 2 * 0.4)
    alar = 6.5 * (1.0 + p["alar_flare"])
    z += alar * _g(ax - 13.0, 4.5) * _g(y + 36.5, 4.5)
    # eye sockets, eyeballs, brow ridge, glabella, temples
    sock = 7.5 * (1.0 + p["socket_depth"])
    z -= sock * _g(ax - T.EYE_X, 12.0) * _g(y - 2.0, 9.0)
    line, up, lo = T.eye_lids(ax)
    xi = np.clip((ax - T.EYE_X) / T.EYE_HALF_WIDTH, -1.2, 1.2)
    eyeball = np.sqrt(np.clip(1.0 - xi**2 - ((y - T.EYE_Y) / 9.0) ** 2, 0.0, None))
    z += 5.2 * eyeball
    # the upper lid overhangs the eyeball a little
    z += 1.2 * _g(y - (up + 1.2), 1.4) * (np.abs(xi) < 1.0)
    ridge = 4.5 * (1.0 + p["brow_ridge"])
    z += ridge * _g(ax - 27.0, 15.0) * _g(y - 15.0, 5.5)
    z += 2.5 * (1.0 + p["brow_ridge"]) * _g(x, 8.0) * _g(y - 13.0, 6.0)
    z -= 3.0 * (1.0 + p["temple_depth"]) * _g(ax - 64.0, 9.0) * _g(y - 22.0, 14.0)
    # cheeks
    z += 5.0 * (1.0 + p["cheekbones"]) * _g(ax - 50.0, 12.0) * _g(y + 20.0, 11.0)
    z += 3.0 * (1.0 + p["cheek_fullness"]) * _g(ax - 40.0, 14.0) * _g(y + 48.0, 14.0)
    # mouth region, lips, stomion crease, mentolabial sulcus, chin
    z += 7.0 * (1.0 + p["muzzle"]) * _g(x, 24.0) * _g(y + 60.0, 17.0)
    up_lip, lo_lip = T.lip_outline(ax)
    in_mouth = _smoothstep(T.MOUTH_HALF_WIDTH + 1.5 - ax, 0.0, 4.0)
    z += 2.8 * (1.0 + p["upper_lip_thickness"]) * _box(y, T.STOMION_Y, up_lip, 1.8) * in_mouth
    z += 3.4 * (1.0 + p["lower_lip_thickness"]) * _box(y, lo_lip, T.STOMION_Y, 2.2) * in_mouth
    z -= 1.6 * _g(y - T.STOMION_Y, 0.9) * in_mouth
    z -= 1.2 * _g(x, 3.0) * _box(y, -54.0, T.SUBNASALE_Y - 1.0, 1.5)  # philtrum
    z -= 3.0 * _g(x, 12.0) * _g(y + 81.0, 3.5)
    z += 6.0 * (1.0 + p["chin_protrusion"]) * _g(x, 13.0) * _g(y + 99.0, 8.0)
    return z * front


def _base_depth(y_t: np.ndarray, theta: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    ky = np.array([T.Y_MAX, 50.0, 25.0, 0.0, -40.0, -65.0, -90.0, T.MENTON_Y, T.Y_MIN])
    kv = np.array([78.0, 89.0, 95.0, 92.0, 94.0, 94.0, 90.0, 86.0, 62.0])
    slope = 1.0 + p["forehead_slope"]
    kv = kv.copy()
    kv[:2] = 95.0 - (95.0 - kv[:2]) * slope
    c = np.interp(-y_t, -ky, kv) * (1.0 + p["face_depth"])
    ct = np.cos(theta)
    return c * np.sign(ct) * np.abs(ct) ** 0.8


# --- expressions ----------------------------------------------------------------------
def _expression(x: np.ndarray, y: np.ndarray, au: Mapping[str, float]) -> np.ndarray:
    """Summed action-unit displacement (V, 3) mm at template coordinates."""
    ax = np.abs(x)
    sgn = np.sign(x)
    d = np.zeros((x.size, 3))
    unknown = set(au) - set(ACTION_UNITS) - {"AU12L", "AU12R"}
    if unknown:
        raise ValidationError(f"expected action units among {sorted(ACTION_UNITS)}, got {sorted(unknown)}")
    line, up, lo = T.eye_lids(ax)
    # vertical profile shared by brow movements: 0 at the eye, 1 at the brow, fading up
    brow_w = _smoothstep(y, T.EYE_Y + 4.0, 14.0) * (0.35 + 0.65 * (1.0 - _smoothstep(y, 24.0, 55.0)))
    if au.get("AU1"):
        d[:, 1] += 6.0 * au["AU1"] * _g(ax - 17.0, 11.0) * brow_w
    if au.get("AU2"):
        d[:, 1] += 6.0 * au["AU2"] * _g(ax - 43.0, 12.0) * brow_w
    if au.get("AU4"):
        w = _g(ax - 19.0, 13.0) * _g(y - 15.0, 9.0)
        d[:, 1] -= 4.0 * au["AU4"] * w
        d[:, 0] -= 3.0 * au["AU4"] * sgn * w * _smoothstep(ax, 0.0, 6.0)
        d[:, 2] += 1.2 * au["AU4"] * _g(x, 7.0) * _g(y - 12.0, 6.0)
    for name, strength, centre in (
        ("AU7", 0.45, -1.0),
        ("AU43", 0.93, -T.LOWER_LID + 0.6),
        ("AU6", 0.18, -T.LOWER_LID),
    ):
        k = au.get(name)
        if not k:
            continue
        y0 = T.EYE_Y + centre
        wx = np.exp(-(((ax - T.EYE_X) / 17.0) ** 4))
        wy = _smoothstep(y, T.EYE_Y - T.LOWER_LID - 7.0, T.EYE_Y - T.LOWER_LID - 1.0) * (
            1.0 - _smoothstep(y, T.EYE_Y + T.UPPER_LID + 1.0, T.EYE_Y + T.UPPER_LID + 8.0)
        )
        d[:, 1] -= min(strength * k, 0.97) * (y - y0) * wx * wy
    if au.get("AU6"):
        w = _g(ax - 42.0, 13.0) * _g(y + 24.0, 11.0)
        d[:, 1] += 3.0 * au["AU6"] * w
        d[:, 2] += 1.5 * au["AU6"] * w
    if au.get("AU9"):
        w = _g(ax - 10.0, 7.0) * _g(y + 26.0, 10.0)
        d[:, 1] += 3.0 * au["AU9"] * w
        d[:, 2] += 1.0 * au["AU9"] * w
        d[:, 1] += 1.5 * au["AU9"] * _g(x, 20.0) * _g(y + 50.0, 6.0)
        d[:, 1] -= 1.5 * au["AU9"] * _g(ax - 17.0, 10.0) * _g(y - 15.0, 7.0)
    corner = _g(ax - T.MOUTH_HALF_WIDTH, 11.0) * _g(y - T.STOMION_Y, 9.0)
    for name, side in (("AU12", 0.0), ("AU12L", 1.0), ("AU12R", -1.0)):
        k = au.get(name)
        if not k:
            continue
        w = corner * (1.0 if side == 0.0 else _smoothstep(side * x, -4.0, 4.0))
        d[:, 0] += 5.0 * k * sgn * w
        d[:, 1] += 4.0 * k * w
        d[:, 2] -= 2.0 * k * w
    if au.get("AU15"):
        d[:, 0] += 1.0 * au["AU15"] * sgn * corner
        d[:, 1] -= 4.0 * au["AU15"] * corner
    if au.get("AU26"):
        jaw = 14.0 * au["AU26"]
        width = 0.5 + 0.8 * np.clip(ax - 0.9 * T.MOUTH_HALF_WIDTH, 0.0, None)
        s = 1.0 - _smoothstep(y, T.STOMION_Y - width, T.STOMION_Y + width)
        lateral = 1.0 - 0.8 * _smoothstep(ax, 40.0, 75.0)
        d[:, 1] -= jaw * s * lateral
        d[:, 2] -= 0.25 * jaw * s * lateral * _smoothstep(T.STOMION_Y - y, 0.0, 30.0)
        band = np.clip(1.0 - np.abs(y - T.STOMION_Y) / 0.6, 0.0, 1.0)
        mouth = _smoothstep(T.MOUTH_HALF_WIDTH - ax, -1.0, 3.0)
        d[:, 2] -= 0.8 * jaw * band * mouth
    return d


def build_vertices(identity: Identity, expression: Mapping[str, float] | None = None) -> np.ndarray:
    """Vertices of a person with an expression.

    Args:
        identity: the person.
        expression: action unit → intensity (0 = none, 1 = full; micro-expressions use
            about 0.1–0.4). ``AU12L``/``AU12R`` are one-sided lip-corner pullers.

    Returns:
        (V, 3) float64 vertices in mm, canonical frame (+X right as seen by a viewer
        facing the person, +Y up, +Z toward the viewer), head centre at the origin.
    """
    tpl = T.get_template()
    p = {k: float(identity.shape.get(k, 0.0)) for k in SHAPE_PARAMS}
    x_t, y_t, th = tpl.x, tpl.y, tpl.theta
    dx, dy = _in_plane(x_t, y_t, p)
    x = x_t + dx
    y = _vertical_warp(y_t + dy, p)
    z = _base_depth(y_t, th, p) + _depth_features(x_t, y_t, th, p)
    v = np.stack([x, y, z], axis=1)
    if expression:
        v = v + _expression(x_t, y_t, expression)
    return v * identity.sex_scale
