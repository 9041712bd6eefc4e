"""Scene dressing and the one-call renderer of a person: pose, light, background
clutter, occluders, blur."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from facecli.errors import InputError
from facecli.geometry.transforms import euler_to_matrix
from facecli.synth import template as T
from facecli.synth.face_model import Identity, build_vertices
from facecli.synth.render import Camera, Light, Occluder, RenderResult, project_points, render_face

__all__ = [
    "Pose",
    "SceneOptions",
    "sample_light",
    "make_background",
    "make_occluders",
    "march_contour",
    "render_person",
]


@dataclass
class Pose:
    """Head pose in degrees (see :func:`facecli.geometry.transforms.euler_to_matrix`)
    and image-plane placement: ``shift`` (x, y) in mm at the head, ``scale`` of the
    face in the image (1 = the face's 200 mm height fills 80 % of the image)."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    shift: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0

    def matrix(self) -> np.ndarray:
        return euler_to_matrix(self.yaw, self.pitch, self.roll)


@dataclass
class SceneOptions:
    """Extra scene content: occluders (``glasses``, ``hand``, ``block``), blur sigma in
    pixels, pixel noise sigma (0–255 scale), clutter on/off."""

    occluders: Sequence[str] = ()
    blur: float = 0.0
    noise: float = 0.0
    clutter: bool = True
    light: Light | None = None
    background: np.ndarray | None = field(default=None, repr=False)


def sample_light(rng: np.random.Generator) -> Light:
    """A random light from the viewer's hemisphere, slightly tinted."""
    d = rng.normal(size=3)
    d[2] = abs(d[2]) + 0.6
    tint = 1.0 + rng.uniform(-0.08, 0.08, size=3)
    return Light(
        direction=tuple(d / np.linalg.norm(d)),
        color=tuple(tint * rng.uniform(0.85, 1.15)),
        ambient=float(rng.uniform(0.22, 0.45)),
        diffuse=float(rng.uniform(0.6, 0.9)),
        specular=float(rng.uniform(0.05, 0.25)),
        shininess=float(rng.uniform(12.0, 40.0)),
    )


def make_background(rng: np.random.Generator, height: int, width: int, *, clutter: bool = True) -> np.ndarray:
    """Linear-RGB (H, W, 3) float background: a gradient plus random shapes."""
    import cv2

    c0, c1 = rng.uniform(0.05, 0.8, size=(2, 3))
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    angle = rng.uniform(0, np.pi)
    gx = np.linspace(0.0, 1.0, width)[None, :, None]
    mix = np.clip(np.cos(angle) * t + np.sin(angle) * gx, 0, 1)
    bg = (c0 * (1 - mix) + c1 * mix).astype(np.float32)
    if clutter:
        canvas = (bg * 255).astype(np.uint8).copy()
        for _ in range(int(rng.integers(4, 14))):
            col = tuple(int(c) for c in rng.integers(0, 256, size=3))
            kind = rng.integers(3)
            p = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            if kind == 0:
                q = (int(rng.integers(0, width)), int(rng.integers(0, height)))
                cv2.rectangle(canvas, p, q, col, thickness=-1 if rng.random() < 0.7 else 2)
            elif kind == 1:
                cv2.circle(canvas, p, int(rng.integers(3, max(4, width // 5))), col, thickness=-1)
            else:
                q = (int(rng.integers(0, width)), int(rng.integers(0, height)))
                cv2.line(canvas, p, q, col, thickness=int(rng.integers(1, 5)))
        canvas = cv2.GaussianBlur(canvas, (0, 0), 1.2)
        bg = canvas.astype(np.float32) / 255.0
    return np.clip(bg, 0, 1) ** 2.2


def _box(extents: Sequence[float], centre: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    import trimesh

    b = trimesh.creation.box(extents=extents)
    return np.asarray(b.vertices) + np.asarray(centre), np.asarray(b.faces)


def make_occluders(
    kinds: Sequence[str], rng: np.random.Generator, rotation: np.ndarray, translation: np.ndarray, skin: Sequence[float]
) -> list[Occluder]:
    """Occluders in face coordinates, posed with the head.

    Args:
        kinds: any of ``glasses`` (two rims and a bridge in front of the eyes),
            ``hand`` (a skin-coloured slab over the mouth or a cheek), ``block``
            (a coloured box over a random part of the face).
        rng: random stream.
        rotation: (3, 3) head rotation.
        translation: (3,) head translation (mm).
        skin: the person's skin albedo (for hands).
    """
    out: list[Occluder] = []
    for kind in kinds:
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        if kind == "glasses":
            z = 118.0
            col = tuple(rng.uniform(0.02, 0.3, size=3))
            parts = [_box((120.0, 3.0, 4.0), (0.0, 9.0, z)), _box((110.0, 2.5, 4.0), (0.0, -8.0, z - 1.0))]
            parts += [_box((3.0, 17.0, 4.0), (sx * 55.0, 0.5, z - 1.0)) for sx in (-1, 1)]
            parts += [_box((3.0, 17.0, 4.0), (sx * 7.5, 0.5, z)) for sx in (-1, 1)]
        elif kind in ("hand", "block"):
            target = [(0.0, -65.0), (-40.0, -40.0), (40.0, -40.0), (-30.0, 0.0), (30.0, 0.0), (0.0, -95.0)][
                int(rng.integers(6))
            ]
            size = rng.uniform(35.0, 70.0, size=2)
            parts = [
                _box((size[0], size[1], 18.0), (target[0] + rng.uniform(-8, 8), target[1] + rng.uniform(-8, 8), 135.0))
            ]
            col = (
                tuple(np.asarray(skin) * rng.uniform(0.9, 1.1))
                if kind == "hand"
                else tuple(rng.uniform(0.05, 0.9, size=3))
            )
        else:
            from facecli.errors import InputError

            raise InputError(f"expected occluder kinds among glasses, hand, block; got {kind!r}")
        verts = np.concatenate([p[0] for p in parts])
        offs = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
        faces = np.concatenate([p[1] + o for p, o in zip(parts, offs)])
        out.append(Occluder(verts @ rotation.T + translation, faces, color=col, kind=kind))
    return out


def march_contour(
    landmark_index: np.ndarray, marching: T.ContourMarching, world: np.ndarray, rotation: np.ndarray, camera: Camera
) -> np.ndarray:
    """The landmark vertices of one pose, the face outline marched to where it is seen.

    Each outline landmark becomes the vertex of its parallel (:class:`ContourMarching`) that
    projects furthest along the landmark's outward direction in the image: its own vertex on
    a frontal face and on the side turned towards the camera, the silhouette on the side
    turned away.

    Args:
        landmark_index: (K,) int vertex index of each landmark at rest.
        marching: the scheme's outline parallels.
        world: (V, 3) float posed vertices, mm. rotation: (3, 3) the head's rotation.
        camera: the camera that sees them.

    Returns:
        (K,) int64 vertex indices.
    """
    idx = np.array(landmark_index, dtype=np.int64, copy=True)
    sizes = [len(p) for p in marching.parallels]
    cand = project_points(world[np.concatenate(marching.parallels)], camera)
    own = world[[p[0] for p in marching.parallels]]
    step = np.concatenate([marching.directions, np.zeros((len(own), 1))], axis=1) @ rotation.T * 10.0
    a = project_points(own, camera)
    u = project_points(own + step, camera) - a
    start = 0
    for k, n in enumerate(sizes):
        par = marching.parallels[k]
        length = float(np.hypot(*u[k]))
        if length > 1e-9:
            idx[marching.slots[k]] = par[int(np.argmax(cand[start : start + n] @ (u[k] / length)))]
        start += n
    return idx


def render_person(
    identity: Identity,
    expression: Mapping[str, float] | None,
    pose: Pose,
    rng: np.random.Generator,
    *,
    size: tuple[int, int] = (256, 256),
    options: SceneOptions | None = None,
    landmark_index: np.ndarray | None = None,
    vertices: np.ndarray | None = None,
    scheme: str = "ibug68",
) -> tuple[RenderResult, dict[str, np.ndarray]]:
    """Render one person in one pose with scene dressing.

    Args:
        identity, expression: the person and action-unit intensities.
        pose: head pose and framing.
        rng: random stream for light, background and occluders.
        size: (width, height) in pixels.
        options: occluders, blur, noise, clutter, fixed light/background.
        landmark_index: vertex indices to project as they are (default: the scheme's
            landmarks, with the outline marched: :func:`march_contour`).
        vertices: precomputed (V, 3) vertices (skips :func:`build_vertices`).
        scheme: ``ibug68`` or ``wflw98``, the landmarks rendered when ``landmark_index`` is None.

    Returns:
        The render and a dict with ``rotation`` (3, 3), ``translation`` (3,),
        ``intrinsics`` (3, 3) and ``vertices_world`` (V, 3).
    """
    import cv2

    opts = options or SceneOptions()
    tpl = T.get_template()
    if scheme not in tpl.marching:
        raise InputError(f"expected scheme {' or '.join(tpl.marching)}, got {scheme!r}")
    v = build_vertices(identity, expression) if vertices is None else vertices
    rot = pose.matrix()
    posed = v @ rot.T
    centre = posed[tpl.ibug68].mean(axis=0)
    trans = np.array([-centre[0] + pose.shift[0], -centre[1] + pose.shift[1], 0.0])
    world = posed + trans
    w, h = size
    cam_dist = 650.0
    focal = pose.scale * 0.8 * min(w, h) * (cam_dist - 110.0) / 200.0
    cam = Camera(width=w, height=h, focal=focal, distance=cam_dist)
    light = opts.light or sample_light(rng)
    bg = opts.background if opts.background is not None else make_background(rng, h, w, clutter=opts.clutter)
    occ = make_occluders(opts.occluders, rng, rot, trans, identity.albedo["skin"]) if opts.occluders else []
    outline = None
    if landmark_index is None:
        marching = tpl.marching[scheme]
        lm_idx = march_contour(getattr(tpl, scheme), marching, world, rot, cam)
        outline = np.zeros(len(lm_idx), bool)
        outline[marching.slots] = True
    else:
        lm_idx = np.asarray(landmark_index)
    res = render_face(
        world,
        tpl.faces,
        np.stack([tpl.x, tpl.y], 1),
        identity.albedo,
        cam,
        light=light,
        occluders=occ,
        background=bg,
        landmark_index=lm_idx,
        outline=outline,
    )
    img = res.image
    if opts.blur > 0:
        img = cv2.GaussianBlur(img, (0, 0), opts.blur)
    if opts.noise > 0:
        img = np.clip(img.astype(np.float32) + rng.normal(0, opts.noise, img.shape), 0, 255).astype(np.uint8)
    res.image = img
    return res, {"rotation": rot, "translation": trans, "intrinsics": cam.intrinsics(), "vertices_world": world}
