"""The shared topology of the synthetic face and its semantic layout.

Every synthetic face has the same vertices and triangles (like FaceScape's registered
TU models). Vertices form a grid over the parameters (θ, Y): θ is the angle around the
head's vertical axis (0 at the midline, ±100° behind the cheeks), Y the height in mm
(0 at the inner eye corners, +Y up). The *template coordinates* of a vertex are
``(X_t, Y_t) = (a(Y) sin θ, Y)``: the mean face seen from the front, in mm. Identity
and expression are displacement fields evaluated in template coordinates, so a
vertex keeps its meaning (a landmark index stays on its feature) for every face.

The layout constants below follow adult anthropometric norms (DESIGN.md): inner eye
corners 32 mm apart, outer 90 mm, nose 52 mm from nasion to subnasale and 35 mm wide,
mouth 52 mm wide, upper lip 22 mm, nasion to chin 120 mm.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from facecli.geometry.mesh_ops import grid_faces

__all__ = [
    "Template",
    "ContourMarching",
    "get_template",
    "EYE_X",
    "EYE_Y",
    "EYE_HALF_WIDTH",
    "STOMION_Y",
    "MOUTH_HALF_WIDTH",
]

# --- layout (template coordinates, mm) ------------------------------------------
EYE_X = 30.5  # |X| of each eye's fissure centre
EYE_Y = 0.5  # height of the fissure centre line at the middle of the eye
EYE_HALF_WIDTH = 14.5  # fissure length 29 mm: corners at |X| = 16 and 45
EYE_INNER_Y = 0.0
EYE_OUTER_Y = 1.5  # slight positive canthal tilt
UPPER_LID = 5.0  # upper lid height above the corner line at the middle
LOWER_LID = 3.8  # lower lid depth below it
PUPIL_Y = 0.8
IRIS_RADIUS = 5.6
PUPIL_RADIUS = 2.0
STOMION_Y = -64.0
MOUTH_HALF_WIDTH = 26.0
NASION_Y = 9.0
#: iBUG point 27, the top of the annotated nose line: level with about the upper lids, below
#: the anatomical nasion. Annotators put it 2-5 mm above the inner eye corners (the FLAME
#: head scan's 51 hand-placed points: 1.8 mm; the published 68-point mean shapes, 2D and 3D:
#: 2.9 and 5.3 mm), and points 28-29 share the bridge equally down to the tip.
BRIDGE_TOP_Y = 3.5
NOSE_TIP_Y = -31.0
SUBNASALE_Y = -42.5
MENTON_Y = -112.0

Y_MIN, Y_MAX = -122.0, 78.0
THETA_MAX = np.deg2rad(100.0)
N_THETA = 161
ROW_STEP = 1.15
# extra rows at the stomion: the seam that opens when the jaw drops
STOMION_ROWS = (0.6, 0.45, 0.3, 0.15, 0.0, -0.15, -0.3, -0.45, -0.6)

# half-width a(Y) of the mean head (where θ = 90°), mm
_A_KNOTS_Y = np.array([-122.0, -112.0, -100.0, -80.0, -50.0, -20.0, 40.0, 78.0])
_A_KNOTS_V = np.array([28.0, 36.0, 46.0, 58.0, 70.0, 76.0, 76.0, 70.0])


def template_half_width(y: np.ndarray) -> np.ndarray:
    """a(Y): the mean head's half-width at height Y (mm)."""
    return np.interp(y, _A_KNOTS_Y, _A_KNOTS_V)


def eye_lids(x_abs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fissure of the mean eye at ``|X|``: (corner line, upper lid, lower lid) heights.

    ξ runs from -1 at the inner corner to +1 at the outer corner; outside the eye
    the lids meet the corner line.
    """
    xi = np.clip((x_abs - EYE_X) / EYE_HALF_WIDTH, -1.0, 1.0)
    line = EYE_INNER_Y + (EYE_OUTER_Y - EYE_INNER_Y) * (xi + 1.0) / 2.0
    bulge = 1.0 - xi**2
    return line, line + UPPER_LID * bulge * (1.0 - 0.12 * xi), line - LOWER_LID * bulge


def brow_curve(x_abs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre height and thickness of the mean eyebrow at ``|X|`` (12..54 mm)."""
    t = np.clip((x_abs - 12.0) / 42.0, 0.0, 1.0)
    centre = 16.0 + 4.5 * np.sin(np.pi * (0.15 + 0.85 * t))
    thick = 6.0 - 3.2 * t
    return centre, thick


# outer lip contour (X, Y) of the mean mouth, right half incl. the midline
_UPPER_LIP = np.array([[0.0, -55.5], [6.5, -54.5], [17.0, -57.5], [MOUTH_HALF_WIDTH, STOMION_Y]])
_LOWER_LIP = np.array([[0.0, -75.0], [9.0, -73.8], [18.0, -70.0], [MOUTH_HALF_WIDTH, STOMION_Y]])


def lip_outline(x_abs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heights of the outer upper and lower lip contours at ``|X|`` (mm)."""
    up = np.interp(x_abs, _UPPER_LIP[:, 0], _UPPER_LIP[:, 1])
    lo = np.interp(x_abs, _LOWER_LIP[:, 0], _LOWER_LIP[:, 1])
    return up, lo


def _jaw_contour_right() -> np.ndarray:
    """Face outline points 0..8 of iBUG (subject's right half, X < 0), (9, 2)."""
    xs = np.array([-71.0, -70.0, -68.0, -65.0, -60.0, -53.0, -44.0, -30.0, 0.0])
    ys = np.array([0.0, -14.0, -28.0, -42.0, -56.0, -70.0, -84.0, -97.0, MENTON_Y])
    return np.stack([xs, ys], 1)


def _resample_polyline(points: np.ndarray, n: int) -> np.ndarray:
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, points[:, 0]), np.interp(t, s, points[:, 1])], 1)


def ibug68_positions() -> np.ndarray:
    """Template coordinates of the 68 iBUG landmarks, (68, 2) mm.

    iBUG order: 0-16 face outline from the subject's right (X < 0) to left,
    17-21 right brow (outer→inner), 22-26 left brow (inner→outer), 27-30 nose bridge
    (nasion→tip), 31-35 nose base (right→left), 36-41 right eye (outer corner,
    clockwise in the image), 42-47 left eye (inner corner first), 48-59 outer lips,
    60-67 inner lips.
    """
    pts = np.zeros((68, 2))
    right = _jaw_contour_right()
    left = right[::-1][1:] * np.array([-1.0, 1.0])
    pts[0:17] = np.concatenate([right, left])
    bx = np.linspace(52.0, 14.0, 5)  # right brow outer → inner, on the upper edge
    c, th = brow_curve(bx)
    pts[17:22] = np.stack([-bx, c + th / 2.0], 1)
    pts[22:27] = np.stack([bx[::-1], (c + th / 2.0)[::-1]], 1)
    pts[27:31] = np.stack([np.zeros(4), np.linspace(BRIDGE_TOP_Y, NOSE_TIP_Y, 4)], 1)
    pts[31:36] = [[-12.0, -39.0], [-6.5, -41.2], [0.0, SUBNASALE_Y], [6.5, -41.2], [12.0, -39.0]]
    third = EYE_HALF_WIDTH / 3.0
    for side, base in ((-1.0, 36), (1.0, 42)):
        xs = np.array(
            [EYE_X + EYE_HALF_WIDTH, EYE_X + third, EYE_X - third, EYE_X - EYE_HALF_WIDTH, EYE_X - third, EYE_X + third]
        )
        line, up, lo = eye_lids(xs)
        ys = np.array([line[0], up[1], up[2], line[3], lo[4], lo[5]])
        eye = np.stack([side * xs, ys], 1)
        if side > 0:  # left eye starts at the inner corner and runs clockwise in the image
            eye = eye[[3, 2, 1, 0, 5, 4]]
        pts[base : base + 6] = eye
    up = _UPPER_LIP
    lo = _LOWER_LIP
    pts[48] = [-MOUTH_HALF_WIDTH, STOMION_Y]
    pts[49:52] = [[-up[2, 0], up[2, 1]], [-up[1, 0], up[1, 1]], [0.0, up[0, 1]]]
    pts[52:54] = [[up[1, 0], up[1, 1]], [up[2, 0], up[2, 1]]]
    pts[54] = [MOUTH_HALF_WIDTH, STOMION_Y]
    pts[55:58] = [[lo[2, 0], lo[2, 1]], [lo[1, 0], lo[1, 1]], [0.0, lo[0, 1]]]
    pts[58:60] = [[-lo[1, 0], lo[1, 1]], [-lo[2, 0], lo[2, 1]]]
    hi, lw = STOMION_Y + 0.6, STOMION_Y - 0.6
    pts[60:68] = [
        [-24.5, STOMION_Y],
        [-9.0, hi],
        [0.0, hi],
        [9.0, hi],
        [24.5, STOMION_Y],
        [9.0, lw],
        [0.0, lw],
        [-9.0, lw],
    ]
    return pts


def wflw98_positions() -> np.ndarray:
    """Template coordinates of the 98 WFLW landmarks, (98, 2) mm.

    WFLW order: 0-32 outline, 33-41 right brow (upper edge outer→inner, then lower
    edge inner→outer), 42-50 left brow (upper inner→outer, lower outer→inner),
    51-54 nose bridge, 55-59 nose base, 60-67 right eye (outer corner first),
    68-75 left eye (inner corner first), 76-95 lips (as iBUG 48-67), 96/97 pupils.

    The standard WFLW → iBUG subset (:data:`facecli.schemes.WFLW98_TO_IBUG68`) of these
    points is :func:`ibug68_positions` exactly: the outline's even points are iBUG's 17 and
    its odd points lie half-way between them, the eyes' upper and lower lid points are at
    the thirds (iBUG's) and the middle.
    """
    ib = ibug68_positions()
    pts = np.zeros((98, 2))
    pts[0:33:2] = ib[0:17]
    pts[1:33:2] = 0.5 * (ib[0:16] + ib[1:17])
    pts[33:38] = ib[17:22]
    lx = np.linspace(16.0, 50.0, 4)  # inner→outer along the lower edge
    lc, lth = brow_curve(lx)
    pts[38:42] = np.stack([-lx, lc - lth / 2.0], 1)
    pts[42:47] = ib[22:27]
    pts[47:51] = np.stack([lx[::-1], (lc - lth / 2.0)[::-1]], 1)
    pts[51:55] = ib[27:31]
    pts[55:60] = ib[31:36]
    third = EYE_HALF_WIDTH / 3.0
    for side, base in ((-1.0, 60), (1.0, 68)):
        xs = np.array(
            [
                EYE_X + EYE_HALF_WIDTH,
                EYE_X + third,
                EYE_X,
                EYE_X - third,
                EYE_X - EYE_HALF_WIDTH,
                EYE_X - third,
                EYE_X,
                EYE_X + third,
            ]
        )
        line, up, lo = eye_lids(xs)
        ys = np.array([line[0], up[1], up[2], up[3], line[4], lo[5], lo[6], lo[7]])
        eye = np.stack([side * xs, ys], 1)
        if side > 0:
            eye = eye[[4, 3, 2, 1, 0, 7, 6, 5]]
        pts[base : base + 8] = eye
    pts[76:96] = ib[48:68]
    pts[96] = [-EYE_X, PUPIL_Y]
    pts[97] = [EYE_X, PUPIL_Y]
    return pts


#: How far inside the face a contour landmark may march (mm along its inward normal).
MARCH_DEPTH = 80.0
MARCH_STEP = 0.5


def _outward_normals(contour: np.ndarray) -> np.ndarray:
    """(K, 2) unit normals of a face outline polyline, pointing away from the face."""
    tangent = np.gradient(contour, axis=0)
    normal = np.stack([tangent[:, 1], -tangent[:, 0]], 1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    centre = np.array([0.0, 0.5 * (contour[:, 1].max() + contour[:, 1].min())])
    flip = np.sum(normal * (contour - centre), axis=1) < 0
    normal[flip] *= -1.0
    return normal


@dataclass(frozen=True)
class ContourMarching:
    """Where the face-outline landmarks of a scheme may move (landmark marching).

    Each outline landmark has a *parallel*: the template vertices on the line from its own
    vertex inward along the outline's normal (horizontal at the sides, vertical at the
    chin), outermost first. At a pose, the landmark is the parallel's vertex that projects
    furthest outward: its own vertex where that is on the visible outline (frontal faces,
    and the side turned towards the camera), else the silhouette of the side turned away, as
    300W-LP / 3DDFA place their contour points and as people annotate them.

    Attributes:
        slots: (K,) int64 positions of the outline landmarks in the scheme's order.
        parallels: K arrays of vertex indices, the first being the landmark's own vertex.
        directions: (K, 2) float64 outward unit normals in template coordinates.
    """

    slots: np.ndarray
    parallels: tuple[np.ndarray, ...]
    directions: np.ndarray


def _parallels(contour: np.ndarray, theta: np.ndarray, y: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    normals = _outward_normals(contour)
    steps = np.arange(0.0, MARCH_DEPTH + 1e-9, MARCH_STEP)
    out = []
    for p, n in zip(contour, normals, strict=True):
        line = p[None, :] - steps[:, None] * n[None, :]
        line = line[np.sign(line[:, 0]) * np.sign(p[0]) >= 0] if p[0] != 0 else line  # not past the midline
        line = line[(line[:, 1] > Y_MIN) & (line[:, 1] < Y_MAX)]
        idx = _snap(line, theta, y)
        _, first = np.unique(idx, return_index=True)
        out.append(idx[np.sort(first)])
    return tuple(out), normals


def _rows() -> np.ndarray:
    ys = np.arange(Y_MAX, Y_MIN - 1e-9, -ROW_STEP)
    ys = ys[np.abs(ys - STOMION_Y) > 1.1]
    ys = np.concatenate([ys, STOMION_Y + np.asarray(STOMION_ROWS)])
    return np.sort(ys)[::-1]  # top to bottom


@dataclass(frozen=True)
class Template:
    """The shared topology.

    Attributes:
        theta: (V,) float64 angle of each vertex (rad).
        y: (V,) float64 template height (mm).
        x: (V,) float64 template X = a(Y) sin θ (mm).
        faces: (F, 3) int64 triangles (counter-clockwise seen from outside).
        rows, cols: grid size (V = rows × cols, row-major, top row first).
        ibug68: (68,) int64 vertex index of each iBUG landmark.
        wflw98: (98,) int64 vertex index of each WFLW landmark.
        marching: per scheme (``ibug68``, ``wflw98``), how its outline landmarks march.
    """

    theta: np.ndarray
    y: np.ndarray
    x: np.ndarray
    faces: np.ndarray
    rows: int
    cols: int
    ibug68: np.ndarray
    wflw98: np.ndarray
    marching: dict[str, ContourMarching]

    @property
    def n_vertices(self) -> int:
        return int(self.theta.size)


def _snap(points: np.ndarray, theta: np.ndarray, y: np.ndarray) -> np.ndarray:
    from scipy.spatial import cKDTree

    a = template_half_width(y)
    tree = cKDTree(np.stack([a * theta, y], 1))
    pa = template_half_width(points[:, 1])
    pth = np.arcsin(np.clip(points[:, 0] / pa, -1.0, 1.0))
    _, idx = tree.query(np.stack([pa * pth, points[:, 1]], 1))
    return np.asarray(idx, dtype=np.int64)


@lru_cache(maxsize=1)
def get_template() -> Template:
    """The (cached) template topology with its landmark vertex indices."""
    s = np.linspace(-1.0, 1.0, N_THETA)
    th = THETA_MAX * (0.6 * s + 0.4 * s**3)  # denser at the front of the face
    ys = _rows()
    yy, tt = np.meshgrid(ys, th, indexing="ij")
    theta = tt.ravel()
    y = yy.ravel()
    x = template_half_width(y) * np.sin(theta)
    faces = grid_faces(len(ys), len(th))
    ib = _snap(ibug68_positions(), theta, y)
    wf = _snap(wflw98_positions(), theta, y)
    if len(np.unique(ib)) != 68 or len(np.unique(wf)) != 98:
        raise RuntimeError("template landmark snapping produced duplicate vertices")
    parallels, normals = _parallels(wflw98_positions()[0:33], theta, y)
    marching = {  # iBUG's outline is WFLW's even points: the same parallels
        "wflw98": ContourMarching(np.arange(33), parallels, normals),
        "ibug68": ContourMarching(np.arange(17), parallels[::2], normals[::2]),
    }
    return Template(
        theta=theta, y=y, x=x, faces=faces, rows=len(ys), cols=len(th), ibug68=ib, wflw98=wf, marching=marching
    )
