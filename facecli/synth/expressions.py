"""Named expressions as action-unit mixtures: FaceScape's and the emotions'."""

from __future__ import annotations

import numpy as np

__all__ = ["FACESCAPE_SET", "EMOTION_AUS", "random_expression"]

#: FaceScape expression (index, name) → action units, in the order ``--expressions`` takes them.
FACESCAPE_SET: list[tuple[int, str, dict[str, float]]] = [
    (1, "neutral", {}),
    (2, "smile", {"AU6": 1.0, "AU12": 1.0}),
    (3, "mouth_stretch", {"AU26": 1.0}),
    (4, "anger", {"AU4": 1.0, "AU7": 0.8, "AU9": 0.3}),
    (14, "sadness", {"AU1": 0.8, "AU4": 0.6, "AU15": 1.0}),
    (18, "eye_closed", {"AU43": 1.0}),
    (19, "brow_raiser", {"AU1": 1.0, "AU2": 1.0}),
    (20, "brow_lower", {"AU4": 1.0}),
]

#: Emotion label (lower case, any dataset) → action units of its prototype.
EMOTION_AUS: dict[str, dict[str, float]] = {
    "happiness": {"AU6": 0.8, "AU12": 1.0},
    "positive": {"AU6": 0.8, "AU12": 1.0},
    "surprise": {"AU1": 1.0, "AU2": 1.0, "AU26": 0.25},
    "disgust": {"AU9": 1.0, "AU4": 0.5},
    "repression": {"AU15": 0.8, "AU7": 0.3},
    "fear": {"AU1": 1.0, "AU2": 0.5, "AU4": 0.7, "AU7": 0.4},
    "sadness": {"AU1": 0.8, "AU4": 0.7, "AU15": 1.0},
    "negative": {"AU4": 1.0, "AU15": 0.6},
    "anger": {"AU4": 1.0, "AU7": 1.0},
    "contempt": {"AU12R": 1.0},
    "others": {"AU7": 0.8},
    "other": {"AU7": 0.8},
}


def random_expression(rng: np.random.Generator, *, strong: float = 0.5) -> dict[str, float]:
    """A random mixture for in-the-wild images: neutral with probability 1 − strong,
    else one or two emotions at random intensity."""
    if rng.random() > strong:
        return {}
    out: dict[str, float] = {}
    names = ["happiness", "surprise", "disgust", "fear", "sadness", "anger"]
    for name in rng.choice(names, size=int(rng.integers(1, 3)), replace=False):
        k = float(rng.uniform(0.3, 1.0))
        for au, v in EMOTION_AUS[str(name)].items():
            out[au] = max(out.get(au, 0.0), v * k)
    if rng.random() < 0.3:
        out["AU26"] = max(out.get("AU26", 0.0), float(rng.uniform(0.2, 1.0)))
    return out
