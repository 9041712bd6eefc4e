"""Scoring verification pairs (LFW ``pairs.txt``) with embedding cosines, and reading
the scores back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facecli.errors import InputError
from facecli.io.lfw import LFWPair

__all__ = ["PairScores", "match_ids", "pose_subsets", "score_pairs", "write_scores", "read_scores", "read_poses"]


@dataclass
class PairScores:
    """Scored pairs.

    Attributes:
        a, b: (N,) sample ids. score: (N,) float cosine similarity. same: (N,) bool.
        fold: (N,) int fold (0-based).
    """

    a: list[str]
    b: list[str]
    score: np.ndarray
    same: np.ndarray
    fold: np.ndarray

    def subset(self, keep: np.ndarray) -> PairScores:
        idx = np.flatnonzero(keep)
        return PairScores(
            [self.a[i] for i in idx], [self.b[i] for i in idx], self.score[idx], self.same[idx], self.fold[idx]
        )


def _stem(i: str) -> str:
    p = i.replace("\\", "/")
    base = p.rsplit("/", 1)[-1]
    return p[: len(p) - len(base)] + (base.rsplit(".", 1)[0] if "." in base else base)


def match_ids(wanted: Sequence[str], available: Sequence[str], source: str) -> dict[str, int]:
    """Map pair ids to rows of an embeddings file: exact id first, else the same path
    without its extension (``Ada/Ada_0001.jpg`` matches ``Ada/Ada_0001.png``).

    Raises:
        InputError: ids with no (or an ambiguous) match, counted, with an example.
    """
    exact = {k: i for i, k in enumerate(available)}
    by_stem: dict[str, list[int]] = {}
    for i, k in enumerate(available):
        by_stem.setdefault(_stem(k), []).append(i)
    out: dict[str, int] = {}
    missing: list[str] = []
    for w in dict.fromkeys(wanted):
        if w in exact:
            out[w] = exact[w]
        elif len(by_stem.get(_stem(w), [])) == 1:
            out[w] = by_stem[_stem(w)][0]
        else:
            missing.append(w)
    if missing:
        raise InputError(f"{source}: no embedding for {len(missing)} of the pairs' images, e.g. {missing[0]!r}")
    return out


def score_pairs(
    ids: Sequence[str], emb: np.ndarray, pairs: Sequence[LFWPair], source: str = "embeddings"
) -> PairScores:
    """Cosine similarity of each pair.

    Args:
        ids: (M,) the embeddings' ids. emb: (M, D) float embeddings. pairs: LFW pairs.
    """
    if not pairs:
        raise InputError("expected at least one pair, got none")
    rows = match_ids([p.a for p in pairs] + [p.b for p in pairs], ids, source)
    e = np.asarray(emb, np.float64)
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    ia = np.array([rows[p.a] for p in pairs])
    ib = np.array([rows[p.b] for p in pairs])
    score = np.einsum("nd,nd->n", e[ia], e[ib])
    return PairScores(
        [p.a for p in pairs],
        [p.b for p in pairs],
        score.astype(np.float32),
        np.array([p.same for p in pairs], bool),
        np.array([p.fold for p in pairs], np.int32),
    )


def write_scores(path: Path, scores: PairScores, *, params: dict[str, Any], argv: list[str] | None = None) -> Path:
    """Write a ``verification`` container: one sample per pair (``pair_00000``...)."""
    from facecli.io.container import ContainerWriter

    with ContainerWriter(
        path,
        "verification",
        producer="facecli grid-attn verify",
        params=params,
        argv=argv,
        array_attrs={"score": {"meaning": "cosine similarity, higher = same person"}},
    ) as w:
        w.write_many(
            [f"pair_{k:05d}" for k in range(len(scores.a))],
            {
                "score": scores.score.astype(np.float32),
                "same": scores.same.astype(bool),
                "fold": scores.fold.astype(np.int32),
                "a": np.asarray(scores.a),
                "b": np.asarray(scores.b),
            },
        )
    return Path(path)


def read_scores(path: Path) -> PairScores:
    """Read a ``verification`` container written by :func:`write_scores`."""
    from facecli.io.container import ContainerReader

    with ContainerReader(path, kind="verification") as r:
        need = {"score", "same", "fold", "a", "b"}
        if not need <= set(r.keys()):
            raise InputError(f"{path}: expected arrays {sorted(need)}, got {r.keys()}")
        return PairScores(
            [str(x) for x in r.read("a")],
            [str(x) for x in r.read("b")],
            np.asarray(r.read("score"), np.float64),
            np.asarray(r.read("same")).astype(bool),
            np.asarray(r.read("fold"), np.int64),
        )


def read_poses(path: Path) -> dict[str, float]:
    """``poses.csv`` (``id,yaw,pitch,roll``, degrees) → yaw per id.

    Raises:
        InputError: missing file. FormatError-like InputError: a bad line (numbered).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such poses file: {p}")
    from facecli.io.text import read_text

    lines = read_text(p, "a poses CSV (id,yaw,pitch,roll)").splitlines()
    if not lines or lines[0].split(",")[:2] != ["id", "yaw"]:
        raise InputError(f"{p}:1: expected the header 'id,yaw,pitch,roll'")
    out: dict[str, float] = {}
    for k, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        f = line.split(",")
        try:
            out[f[0]] = float(f[1])
        except (IndexError, ValueError):
            raise InputError(f"{p}:{k}: expected 'id,yaw,...' with a numeric yaw, got {line!r}") from None
    return out


def pose_subsets(
    scores: PairScores, yaw: dict[str, float], *, large_yaw: float = 45.0, source: str = "poses"
) -> dict[str, PairScores]:
    """The pairs split by pose: all, large pose (either face's |yaw| above ``large_yaw``), the other.

    Args:
        scores: the scored pairs. yaw: face id → yaw in degrees (:func:`read_poses`).
        large_yaw: the split, degrees. source: the poses file, for messages.

    Returns:
        ``{"all": ..., "large pose (|yaw|>45)": ..., "other (|yaw|<=45)": ...}``.

    Example:
        >>> import numpy as np
        >>> ps = PairScores(["a", "b"], ["c", "c"], np.array([0.9, 0.1]), np.array([True, False]), np.array([0, 1]))
        >>> {k: len(v.a) for k, v in pose_subsets(ps, {"a": 60.0, "b": 0.0, "c": 10.0}).items()}
        {'all': 2, 'large pose (|yaw|>45)': 1, 'other (|yaw|<=45)': 1}
    """
    ids = list(yaw)
    rows = match_ids(scores.a + scores.b, ids, source)
    ya = np.array([abs(yaw[ids[rows[a]]]) for a in scores.a])
    yb = np.array([abs(yaw[ids[rows[b]]]) for b in scores.b])
    large = (ya > large_yaw) | (yb > large_yaw)
    return {
        "all": scores,
        f"large pose (|yaw|>{large_yaw:g})": scores.subset(large),
        f"other (|yaw|<={large_yaw:g})": scores.subset(~large),
    }
