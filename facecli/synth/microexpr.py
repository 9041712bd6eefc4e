"""``synth microexpr``: micro-expression clips in the CASME II, SAMM or SMIC layout.

Each clip is one person with an emotion's action units following a smooth envelope
(onset → apex → offset) at micro amplitude (landmarks move about 0.5–3 mm), plus
slow head jitter and pixel noise. The ground-truth apex is the frame whose landmarks
(in the head frame, jitter excluded) are displaced most from the onset frame.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from facecli.errors import InputError
from facecli.io.atomic import write_text
from facecli.io.image import write_image
from facecli.io.microexpr import MEClip, normalise_subject, write_coding_sheet
from facecli.seeding import rng_for
from facecli.synth.expressions import EMOTION_AUS
from facecli.synth.face_model import build_vertices, sample_identity
from facecli.synth.scene import Pose, SceneOptions, make_background, render_person, sample_light
from facecli.synth.template import get_template

__all__ = ["write_microexpr", "LAYOUT_EMOTIONS", "clip_envelope"]

LAYOUT_EMOTIONS: dict[str, tuple[str, ...]] = {
    "casme2": ("happiness", "surprise", "disgust", "repression", "others", "fear", "sadness"),
    "samm": ("Anger", "Contempt", "Happiness", "Surprise", "Fear", "Sadness", "Disgust", "Other"),
    "smic": ("positive", "negative", "surprise"),
}
_SHEETS = {"casme2": "CASME2-coding-synth", "samm": "SAMM_Micro_FACS_Codes_synth", "smic": "SMIC-HS-coding-synth"}


def clip_envelope(n_frames: int, onset: int, apex: int, offset: int) -> np.ndarray:
    """(n_frames,) intensity in [0, 1] of the generated expression: 0 up to ``onset``,
    a raised-cosine rise to 1 at ``apex`` and fall to 0 at ``offset`` (0-based frame
    positions, onset < apex < offset).

    The generator owns this curve (the clips' ground truth); the apex spotter has its own
    model of it (:func:`facecli.microexpr.residual.envelope`), and a test checks that the
    two agree, so the spotter is tested against the data rather than against itself.
    """
    out = np.zeros(n_frames)
    up = np.arange(max(onset, 0), min(apex, n_frames - 1) + 1)
    down = np.arange(apex + 1, min(offset, n_frames - 1) + 1)
    out[up] = 0.5 - 0.5 * np.cos(np.pi * (up - onset) / (apex - onset))
    out[down] = 0.5 + 0.5 * np.cos(np.pi * (down - apex) / (offset - apex))
    return out


def _names(layout: str, subj: int, clip: int, emotion: str, start: int) -> tuple[str, str, Callable[[int], str]]:
    if layout == "casme2":
        return f"sub{subj:02d}", f"EP{clip + 1:02d}_{subj:02d}", lambda n: f"img{n}.jpg"
    if layout == "samm":
        s = f"{subj + 5:03d}"
        return s, f"{s}_{clip % 7 + 1}_{clip // 7 + 1}", lambda n: f"{s}_{n:05d}.jpg"
    short = {"positive": "po", "negative": "ne", "surprise": "sur"}[emotion]
    return f"s{subj}", f"s{subj}_{short}_{clip + 1:02d}", lambda n: f"image{n:06d}.jpg"


def write_microexpr(
    out: Path,
    *,
    subjects: int,
    clips: int,
    seed: int,
    layout: str = "casme2",
    size: int = 256,
    frames: tuple[int, int] = (60, 100),
    fps: float = 200.0,
    head_jitter: float = 1.0,
    noise: float = 2.0,
    progress: Callable[[Iterable], Iterable] = lambda x: x,
) -> list[Path]:
    """Write clips and the layout's coding sheet (.xlsx and .csv).

    Args:
        out: dataset root.
        subjects, clips: people, and clips per person.
        layout: ``casme2`` (``sub01/EP01_01/img<n>.jpg``), ``samm``
            (``006/006_1_1/006_<nnnnn>.jpg``, header on row 14 of ``MICRO_ONLY``) or
            ``smic`` (``s1/s1_po_01/image<nnnnnn>.jpg``, onset/offset only; the sheet
            writes subjects as ``s01`` while folders say ``s1``, as in the real set).
        size: frame width and height in pixels.
        frames: (min, max) clip length in frames.
        fps: frame rate (sets the apex timing: 0.2–0.5 s rise+fall).
        head_jitter: scale of the head's slow random walk (1: rotation steps of 0.04°
            and shifts of 0.03 px per frame, s.d.; 0: a still head). The same draws
            are scaled, so the clips differ from the default only in the head's motion.
        noise: pixel noise s.d., grey levels (0–255).

    Returns:
        The sheets and ``synth_microexpr.json`` (per-clip truth incl. the true apex
        for SMIC, which its sheet does not carry).
    """
    if layout not in LAYOUT_EMOTIONS:
        raise InputError(f"expected --layout {'|'.join(LAYOUT_EMOTIONS)} (the layouts synth can write), got {layout!r}")
    if head_jitter < 0 or noise < 0:
        raise InputError(f"expected --head-jitter >= 0 and --noise >= 0, got {head_jitter} and {noise}")
    if subjects < 1 or clips < 1:
        raise InputError(f"expected --subjects >= 1 and --clips >= 1, got {subjects} and {clips}")
    lo, hi = frames
    if lo < 8 or hi < lo:
        raise InputError(f"expected --frames MIN,MAX with 8 <= MIN <= MAX, got {lo},{hi}")
    tpl = get_template()
    out.mkdir(parents=True, exist_ok=True)
    coded: list[MEClip] = []
    truth: dict[str, dict] = {}
    jobs = [(s, c) for s in range(1, subjects + 1) for c in range(clips)]
    for s, c in progress(jobs):
        ident = sample_identity(rng_for(seed, "me-subject", layout, s))
        rng = rng_for(seed, "me-clip", layout, s, c)
        emotion = str(rng.choice(LAYOUT_EMOTIONS[layout]))
        aus = EMOTION_AUS[emotion.lower()]
        n = int(rng.integers(lo, hi + 1))
        onset = int(rng.integers(2, max(3, n // 5)))
        span = n - onset - 2
        apex = onset + int(round(span * rng.uniform(0.3, 0.55)))
        offset = min(n - 2, apex + int(round(span * rng.uniform(0.35, 0.45))))
        amp = float(rng.uniform(0.12, 0.4))
        env = clip_envelope(n, onset, apex, offset) * amp
        start = int(rng.integers(1, 400)) if layout != "samm" else int(rng.integers(1000, 9000))
        subj_dir, clip_name, frame_name = _names(layout, s, c, emotion, start)
        base_pose = Pose(float(rng.normal(0, 5)), float(rng.normal(0, 4)), float(rng.normal(0, 3)), scale=1.05)
        walk = head_jitter * np.cumsum(rng.normal(0, 0.04, size=(n, 3)), axis=0)
        shift = head_jitter * np.cumsum(rng.normal(0, 0.03, size=(n, 2)), axis=0)
        scene_rng = rng_for(seed, "me-scene", layout, s, c)
        opts = SceneOptions(
            light=sample_light(scene_rng), background=make_background(scene_rng, size, size), noise=noise
        )
        neutral = build_vertices(ident, {})[tpl.ibug68]
        disp = np.zeros(n)
        for t in range(n):
            expr = {k: v * env[t] for k, v in aus.items()}
            verts = build_vertices(ident, expr)
            disp[t] = np.linalg.norm(verts[tpl.ibug68] - neutral, axis=1).max()
            pose = Pose(
                base_pose.yaw + walk[t, 0],
                base_pose.pitch + walk[t, 1],
                base_pose.roll + walk[t, 2],
                shift=(float(shift[t, 0]), float(shift[t, 1])),
                scale=base_pose.scale,
            )
            res, _ = render_person(
                ident,
                None,
                pose,
                rng_for(seed, "me-frame", layout, s, c, t),
                size=(size, size),
                options=opts,
                vertices=verts,
            )
            write_image(out / subj_dir / clip_name / frame_name(start + t), res.image, quality=95)
        true_apex = int(np.argmax(disp))
        clip = MEClip(
            layout,
            normalise_subject(layout, subj_dir),
            clip_name,
            start + onset,
            None if layout == "smic" else start + true_apex,
            start + offset,
            emotion,
            "+".join(a.removeprefix("AU") for a in aus),
        )
        coded.append(clip)
        truth[f"{subj_dir}/{clip_name}"] = {
            "emotion": emotion,
            "onset": start + onset,
            "apex": start + true_apex,
            "offset": start + offset,
            "first_frame": start,
            "n_frames": n,
            "fps": fps,
            "max_displacement_mm": float(disp.max()),
            "displacement_mm": [round(float(d), 4) for d in disp],
        }
    sheets = []
    for suffix in (".xlsx", ".csv"):
        sheets.append(write_coding_sheet(out / f"{_SHEETS[layout]}{suffix}", coded, layout))
    meta = out / "synth_microexpr.json"
    write_text(
        meta,
        json.dumps(
            {"layout": layout, "seed": seed, "size": size, "head_jitter": head_jitter, "noise": noise, "clips": truth},
            indent=1,
        ),
    )
    return sheets + [meta]
