"""Procedural albedo of the synthetic face, evaluated at template coordinates.

The renderer interpolates each hit's template coordinates (X_t, Y_t) and calls
:func:`evaluate_albedo`, so texture is crisp at any image size and moves exactly with
the geometry (eyelids, lips, the opened mouth). Regions: skin with low-frequency
variation and freckles, eyebrows, eyelid margins, sclera/iris/pupil, lips, nostrils,
the mouth interior (the stomion seam), and an optional hairline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from facecli.synth import template as T

__all__ = ["sample_albedo", "mean_albedo", "evaluate_albedo"]

_SKIN_TONES = np.array(
    [
        [0.78, 0.57, 0.45],
        [0.70, 0.48, 0.36],
        [0.58, 0.38, 0.27],
        [0.42, 0.27, 0.18],
        [0.27, 0.17, 0.11],
        [0.84, 0.65, 0.55],
    ]
)
_IRIS = np.array([[0.25, 0.14, 0.06], [0.12, 0.07, 0.03], [0.22, 0.35, 0.50], [0.25, 0.35, 0.18], [0.35, 0.25, 0.12]])
_HAIR = np.array([[0.05, 0.04, 0.03], [0.18, 0.11, 0.06], [0.35, 0.24, 0.12], [0.55, 0.42, 0.25], [0.30, 0.28, 0.27]])


def sample_albedo(rng: np.random.Generator) -> dict[str, Any]:
    """Random colour parameters of one person."""
    i = rng.integers(len(_SKIN_TONES))
    j = (i + rng.choice([-1, 1])) % len(_SKIN_TONES)
    t = rng.uniform(0.0, 1.0)
    skin = (1 - t) * _SKIN_TONES[i] + t * _SKIN_TONES[j]
    hair = _HAIR[rng.integers(len(_HAIR))] * rng.uniform(0.8, 1.2)
    return {
        "skin": skin.tolist(),
        "lip": (skin * np.array([0.82, 0.52, 0.52]) * rng.uniform(0.85, 1.05)).tolist(),
        "iris": (_IRIS[rng.integers(len(_IRIS))] * rng.uniform(0.8, 1.2)).tolist(),
        "brow": (hair * rng.uniform(0.7, 1.0)).tolist(),
        "hair": hair.tolist(),
        "hairline": float(rng.uniform(52.0, 80.0)),
        "brow_density": float(rng.uniform(0.6, 1.0)),
        "blush": float(rng.uniform(0.0, 0.12)),
        "freckles": float(rng.uniform(0.0, 1.0) ** 3),
        "noise_phase": rng.uniform(0.0, 2 * np.pi, size=(6,)).tolist(),
        "noise_freq": rng.uniform(0.04, 0.16, size=(6, 2)).tolist(),
    }


def mean_albedo() -> dict[str, Any]:
    """A neutral mid skin tone with no texture noise."""
    skin = _SKIN_TONES[1]
    return {
        "skin": skin.tolist(),
        "lip": (skin * np.array([0.82, 0.52, 0.52])).tolist(),
        "iris": _IRIS[0].tolist(),
        "brow": _HAIR[1].tolist(),
        "hair": _HAIR[1].tolist(),
        "hairline": 90.0,
        "brow_density": 0.9,
        "blush": 0.05,
        "freckles": 0.0,
        "noise_phase": [0.0] * 6,
        "noise_freq": [[0.0, 0.0]] * 6,
    }


def _soft(d: np.ndarray, width: float) -> np.ndarray:
    """1 inside (d < 0), 0 outside, linear ramp of ``width`` mm across the edge."""
    return np.clip(0.5 - d / width, 0.0, 1.0)


def _hash_noise(x: np.ndarray, y: np.ndarray, seed: float) -> np.ndarray:
    """Deterministic value noise on a 1.3 mm lattice, in [0, 1)."""
    xi = np.floor(x / 1.3)
    yi = np.floor(y / 1.3)
    h = np.sin(xi * 127.1 + yi * 311.7 + seed * 74.7) * 43758.5453
    return h - np.floor(h)


def evaluate_albedo(params: Mapping[str, Any], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Linear-RGB albedo at template coordinates.

    Args:
        params: colour parameters from :func:`sample_albedo`.
        x: (N,) float template X (mm).
        y: (N,) float template Y (mm).

    Returns:
        (N, 3) float32 albedo in [0, 1].
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ax = np.abs(x)
    skin = np.asarray(params["skin"])[None, :] * np.ones((x.size, 1))
    # low-frequency variation and blush
    var = np.zeros_like(x)
    for ph, (fx, fy) in zip(params["noise_phase"], params["noise_freq"]):
        var += np.sin(fx * x + fy * y + ph)
    skin = skin * (1.0 + 0.035 * var)[:, None]
    blush = params["blush"] * np.exp(-0.5 * (((ax - 45.0) / 14.0) ** 2 + ((y + 25.0) / 12.0) ** 2))
    skin = skin * (1.0 - blush[:, None] * np.array([0.0, 0.6, 0.5]))
    if params["freckles"] > 0.05:
        fr = (_hash_noise(x, y, 1.0) > 1.0 - 0.08 * params["freckles"]) & (y > -45) & (y < 20)
        skin[fr] *= 0.8
    col = skin
    # hair above the hairline (follows a shallow arc)
    hairline = params["hairline"] - 0.004 * x**2
    w_hair = _soft(hairline - y, 3.0)
    col = col * (1 - w_hair[:, None]) + np.asarray(params["hair"])[None, :] * w_hair[:, None]
    # eyebrows
    bc, bt = T.brow_curve(ax)
    in_span = _soft(np.maximum(11.5 - ax, ax - 55.0), 2.0)
    w_brow = _soft(np.abs(y - bc) - bt / 2.0, 1.2) * in_span * params["brow_density"]
    strands = 0.75 + 0.25 * _hash_noise(x * 2.5, y * 0.7, 2.0)
    w_brow = w_brow * strands
    col = col * (1 - w_brow[:, None]) + np.asarray(params["brow"])[None, :] * w_brow[:, None]
    # lips and mouth interior
    up, lo = T.lip_outline(ax)
    in_mouth_x = _soft(ax - T.MOUTH_HALF_WIDTH, 1.0)
    w_lip = _soft(np.maximum(y - up, lo - y), 0.9) * in_mouth_x
    col = col * (1 - w_lip[:, None]) + np.asarray(params["lip"])[None, :] * w_lip[:, None]
    w_in = _soft(np.abs(y - T.STOMION_Y) - 0.42, 0.12) * _soft(ax - (T.MOUTH_HALF_WIDTH - 1.0), 1.0)
    col = col * (1 - w_in[:, None]) + np.array([0.10, 0.03, 0.03])[None, :] * w_in[:, None]
    # nostrils
    nos = ((ax - 6.3) / 3.4) ** 2 + ((y + 40.3) / 1.9) ** 2 - 1.0
    w_nos = _soft(nos, 0.5)
    col = col * (1 - 0.8 * w_nos[:, None])
    # eyes: fissure (sclera, iris, pupil), lid margins
    line, upl, lol = T.eye_lids(ax)
    in_eye_x = ax - T.EYE_X
    inside = np.maximum(y - upl, lol - y)
    inside = np.where(np.abs(in_eye_x) <= T.EYE_HALF_WIDTH, inside, 1.0)
    w_eye = _soft(inside, 0.5)
    r = np.hypot(in_eye_x, y - T.PUPIL_Y)
    sclera = np.array([0.80, 0.76, 0.72])
    iris = np.asarray(params["iris"])
    eye_col = np.where(
        (r < T.IRIS_RADIUS)[:, None], iris[None, :] * (0.8 + 0.4 * (r / T.IRIS_RADIUS))[:, None], sclera[None, :]
    )
    eye_col = np.where((r < T.PUPIL_RADIUS)[:, None], np.array([0.02, 0.02, 0.02])[None, :], eye_col)
    col = col * (1 - w_eye[:, None]) + eye_col * w_eye[:, None]
    margin = _soft(np.abs(y - upl) - 0.45, 0.4) * (np.abs(in_eye_x) <= T.EYE_HALF_WIDTH + 1.0)
    col = col * (1 - 0.75 * margin[:, None])
    lower_margin = _soft(np.abs(y - lol) - 0.25, 0.3) * (np.abs(in_eye_x) <= T.EYE_HALF_WIDTH)
    col = col * (1 - 0.3 * lower_margin[:, None])
    return np.clip(col, 0.0, 1.0).astype(np.float32)
