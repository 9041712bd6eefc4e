"""Scan pairs for the registration and FPFH tests."""

from __future__ import annotations


def make_scan_pair(*, angle_deg: float, outliers: float, seed: int = 0, spacing: float = 2.0):
    """A small scan pair of the mean face: (source, target, true 4x4 source→target).

    The target is one ray-cast view, the source a second view moved by a rotation of
    ``angle_deg`` about a random axis, with ``outliers`` x N uniform outliers added.
    """
    import numpy as np

    from facecli.geometry.transforms import euler_to_matrix
    from facecli.synth.face_model import build_vertices, mean_identity
    from facecli.synth.pairs import scan_points
    from facecli.synth.template import get_template

    rng = np.random.default_rng(seed)
    tpl = get_template()
    verts = build_vertices(mean_identity(), {})
    tgt = scan_points(verts, tpl.faces, euler_to_matrix(10, 0, 0), spacing)
    src = scan_points(verts, tpl.faces, euler_to_matrix(-15, 5, 0), spacing * 1.1)
    src = src + rng.normal(0, 0.2, src.shape)
    n_out = int(outliers * len(src))
    src = np.concatenate([src, rng.uniform(src.min(0), src.max(0), size=(n_out, 3))])
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    ang = np.deg2rad(angle_deg)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rot = np.eye(3) + np.sin(ang) * k + (1 - np.cos(ang)) * k @ k
    move = np.eye(4)
    move[:3, :3] = rot
    move[:3, 3] = rng.uniform(-100, 100, 3)
    src_moved = src @ rot.T + move[:3, 3]
    return src_moved, tgt, np.linalg.inv(move)
