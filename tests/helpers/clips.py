"""Synthetic clips with a planted micro-expression, for the apex tests."""

import numpy as np


def planted_clip(n=50, onset=8, apex=20, offset=44, amp=2.5, jitter=0.15, noise=2.0, seed=0, size=96):
    """Frames of a smooth texture where one region bulges with a raised-cosine
    envelope peaking at ``apex``, while the whole image drifts and carries noise."""
    import cv2

    from facecli.synth.microexpr import clip_envelope

    rng = np.random.default_rng(seed)
    tex = cv2.GaussianBlur(rng.normal(128, 60, (size, size)), (0, 0), 2.0)
    env = clip_envelope(n, onset, apex, offset)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    cx, cy = 0.3 * size, 0.65 * size  # a "mouth corner"
    blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.08 * size) ** 2)).astype(np.float32)
    drift = np.cumsum(rng.normal(0, jitter, (n, 2)), axis=0)
    frames = []
    for t in range(n):
        mx = (xx - drift[t, 0] - amp * env[t] * blob).astype(np.float32)
        my = (yy - drift[t, 1] + 0.5 * amp * env[t] * blob).astype(np.float32)
        f = cv2.remap(tex.astype(np.float32), mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        frames.append(np.clip(f + rng.normal(0, noise, f.shape), 0, 255).astype(np.uint8))
    return np.stack(frames)
