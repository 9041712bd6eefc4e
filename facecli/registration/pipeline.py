"""The registration pipeline: prepare → match → coarse (FGR or RANSAC) → fine (GM) → score."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from facecli.errors import InputError
from facecli.registration.correspondences import mutual_matches, tuple_test
from facecli.registration.fgr import fgr_multistart
from facecli.registration.fine import gm_point_to_plane
from facecli.registration.preprocess import PreparedCloud, check_cloud, prepare_pair
from facecli.registration.quality import SuccessCriteria, is_success, normal_agreement
from facecli.registration.ransac import ransac_svd
from facecli.registration.scale import Scales, resolve_scales
from facecli.registration.units import UNIT_MODES, face_mask, source_scale
from facecli.seeding import rng_for

__all__ = [
    "RegistrationConfig",
    "RegistrationResult",
    "register_clouds",
    "register_prepared",
    "evaluate_fit",
    "TargetCache",
    "nose_start",
    "source_as_registered",
    "source_orientation",
    "with_source_scale",
]

METHODS = ("fgr", "ransac")
FINE = ("gm", "none")


@dataclass
class RegistrationConfig:
    """Parameters of one registration (distances in the clouds' units).

    Every distance left at ``None`` is derived from the clouds
    (:func:`facecli.registration.scale.resolve_scales`): the voxel from the target's
    size and both clouds' point spacing, the rest as multiples of the voxel.

    Attributes:
        voxel: voxel size of the coarse stage (``None``: from the data).
        method: ``fgr`` (graduated non-convexity) or ``ransac``.
        fine: ``gm`` (Geman-McClure point-to-plane) or ``none``.
        delta: final Geman-McClure scale of the coarse stage (``1.5 voxel``).
        fine_delta: final scale of the fine stage (``voxel / 2``).
        fine_max_distance: fine-stage correspondence cut-off (``3 voxel``).
        inlier_threshold: distance for fitness and inlier RMSE (``1.5 voxel``).
        tuple_tau: tuple-test similarity. div: mu divisor (1.4 as FGR's code).
        starts: FGR runs (1 = the paper's single run; more add verified restarts).
        seed: seed of the tuple test and RANSAC sampling.
        device: torch device for FPFH and feature matching (``cpu`` needs no torch).
        success: the thresholds of the success flag.
        units: the sources' units (:mod:`facecli.registration.units`): ``auto`` scales a source
            whose size says it is in other units than the target; the transform then includes the scale.
        face_crop: register only the source's face (the face box about its nose tip; the source
            looks along +Z unless its orientation is given: see :func:`source_as_registered`).
        orient: ``auto``: with ``face_crop``, a source mesh whose face looks elsewhere (a
            scanner's +Z-up frame, a turned head) is cut in its face's upright frame and
            registered from the turn that makes it upright (``facecli register``; see
            :func:`source_orientation`); ``given``: the source looks along +Z.
    """

    voxel: float | None = None
    method: str = "fgr"
    fine: str = "gm"
    delta: float | None = None
    fine_delta: float | None = None
    fine_max_distance: float | None = None
    inlier_threshold: float | None = None
    tuple_tau: float = 0.95
    div: float = 1.4
    starts: int = 8
    seed: int = 0
    device: str = "cpu"
    success: SuccessCriteria = field(default_factory=SuccessCriteria)
    units: str = "auto"
    face_crop: bool = False
    orient: str = "auto"

    def __post_init__(self) -> None:
        if self.units not in UNIT_MODES:
            raise InputError(f"expected --units {'|'.join(UNIT_MODES)}, got {self.units!r}")
        if self.method not in METHODS:
            raise InputError(f"expected --method fgr|ransac, got {self.method!r}")
        if self.orient not in ("auto", "given"):
            raise InputError(f"expected --orient auto|given, got {self.orient!r}")
        if self.fine not in FINE:
            raise InputError(f"expected --fine gm|none, got {self.fine!r}")
        for name in ("voxel", "delta", "fine_delta", "fine_max_distance", "inlier_threshold"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise InputError(f"expected --{name.replace('_', '-')} > 0, got {v}")

    def scales(self, target: np.ndarray, source: np.ndarray | None = None) -> Scales:
        """The distances for registering ``source`` onto ``target`` (given ones kept).

        Args:
            target: (M, 3) float, the fixed cloud. source: (N, 3) float or ``None``.
        """
        return resolve_scales(
            target,
            source,
            voxel=self.voxel,
            delta=self.delta,
            fine_delta=self.fine_delta,
            fine_max_distance=self.fine_max_distance,
            inlier_threshold=self.inlier_threshold,
        )

    def as_dict(self) -> dict[str, Any]:
        """The parameters as stored in an output (``None``: derived per pair, see its ``scales``)."""
        d = asdict(self)
        d["success"] = asdict(self.success)
        return d


@dataclass
class RegistrationResult:
    """What one registration found.

    Attributes:
        transform: (4, 4) float64, maps source points onto the target.
        coarse_transform: (4, 4) the coarse stage's answer.
        fitness: share of source points with a target point within the inlier threshold.
        inlier_rmse: RMSE of those distances.
        matches: mutual feature matches. tuples: matches kept by the tuple test (FGR).
        coarse_inliers: matches within the coarse threshold after the coarse stage.
        fine_correspondences: point pairs used by the last fine iteration.
        normal_agreement: share of overlapping voxel points whose moved normal lies
            within 30 degrees of the target's.
        scales: the distances used.
        ok: the success flag (:class:`SuccessCriteria`).
        seconds: per-stage wall time.
        source_scale: the factor that brought the source into the target's units (1: none);
            ``transform`` and ``coarse_transform`` include it.
    """

    transform: np.ndarray
    coarse_transform: np.ndarray
    fitness: float
    inlier_rmse: float
    matches: int
    tuples: int
    coarse_inliers: int
    fine_correspondences: int
    normal_agreement: float = 0.0
    scales: Scales | None = None
    ok: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    source_scale: float = 1.0

    @property
    def quality(self) -> dict[str, float]:
        """The inputs of the success flag, by name (see :data:`QUALITY_COLUMNS`)."""
        v = self.scales.voxel if self.scales else 1.0
        return {
            "coarse_inliers": float(self.coarse_inliers),
            "coarse_ratio": self.coarse_inliers / max(self.matches, 1),
            "fitness": float(self.fitness),
            "rmse_voxels": float(self.inlier_rmse) / v,
            "normal_agreement": float(self.normal_agreement),
        }


@dataclass
class TargetCache:
    """A prepared target and its k-d trees, reused when many scans go to one template.

    Attributes:
        cloud: the prepared target. tree: k-d tree of its fine-grid points.
        down_tree: k-d tree of its voxel points.
    """

    cloud: PreparedCloud
    tree: Any
    down_tree: Any

    @classmethod
    def build(cls, cloud: PreparedCloud) -> TargetCache:
        from scipy.spatial import cKDTree

        return cls(cloud, cKDTree(cloud.fine), cKDTree(cloud.down))


def evaluate_fit(source: np.ndarray, transform: np.ndarray, tree: Any, threshold: float) -> tuple[float, float]:
    """Open3D-style fitness and inlier RMSE of a transform.

    Args:
        source: (N, 3) source points. transform: (4, 4). tree: k-d tree of the target.
        threshold: inlier distance.

    Returns:
        ``(fitness, inlier_rmse)``.
    """
    y = source @ transform[:3, :3].T + transform[:3, 3]
    d, _ = tree.query(y, k=1, distance_upper_bound=threshold, workers=-1)
    ok = np.isfinite(d)
    if not ok.any():
        return 0.0, 0.0
    return float(ok.mean()), float(np.sqrt(np.mean(d[ok] ** 2)))


def register_prepared(
    src: PreparedCloud,
    tgt: TargetCache,
    config: RegistrationConfig,
    scales: Scales,
    *,
    key: tuple[Any, ...] = (),
    also_from: np.ndarray | None = None,
) -> RegistrationResult:
    """Register two prepared clouds.

    Args:
        src: the prepared source. tgt: the prepared target with its trees.
        config: parameters. scales: the distances (those the clouds were prepared with).
        key: extra seed key. The default (none) gives every pair the same stream, so a
            pair's answer does not depend on its id or its place in a batch.
        also_from: (4, 4) a second start for the fine stage (e.g. nose tip onto nose tip);
            the answer that fits more source points is kept.

    Returns:
        The result.
    """
    secs: dict[str, float] = {}
    rng = rng_for(config.seed, "register", *key)
    t0 = time.perf_counter()
    pairs = mutual_matches(src.features, tgt.cloud.features, device=config.device)
    secs["match"] = time.perf_counter() - t0
    ps, pt = src.down, tgt.cloud.down
    t0 = time.perf_counter()
    if config.method == "fgr":
        triples = tuple_test(ps, pt, pairs, rng, tau=config.tuple_tau)
        if len(triples):
            kept = pairs[triples.reshape(-1)]
            local = np.arange(kept.shape[0]).reshape(-1, 3)
        else:  # no consistent triple: optimise over all matches
            kept, local = pairs, None
        res = fgr_multistart(
            ps[kept[:, 0]], pt[kept[:, 1]], local, delta=scales.delta, starts=config.starts, div=config.div
        )
        coarse, n_tuples = res.transform, len(kept)
    else:
        rr = ransac_svd(ps[pairs[:, 0]], pt[pairs[:, 1]], rng, threshold=scales.delta, device=config.device)
        coarse, n_tuples = rr.transform, 0
    r2 = np.sum((ps[pairs[:, 0]] @ coarse[:3, :3].T + coarse[:3, 3] - pt[pairs[:, 1]]) ** 2, axis=1)
    coarse_inl = int(np.sum(r2 < scales.delta**2))
    secs["coarse"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    final, n_fine = coarse, 0
    if config.fine == "gm":
        fr = gm_point_to_plane(
            src.fine,
            tgt.cloud.fine,
            tgt.cloud.fine_normals,
            coarse,
            delta=scales.fine_delta,
            max_distance=scales.fine_max_distance,
            tree=tgt.tree,
            coarse_source=src.down,
            target_boundary=tgt.cloud.boundary,
        )
        final, n_fine = fr.transform, fr.correspondences
    fit, rmse = evaluate_fit(src.fine, final, tgt.tree, scales.inlier_threshold)
    if also_from is not None and config.fine == "gm":
        fr2 = gm_point_to_plane(
            src.fine,
            tgt.cloud.fine,
            tgt.cloud.fine_normals,
            np.asarray(also_from, np.float64),
            delta=scales.fine_delta,
            max_distance=scales.fine_max_distance,
            tree=tgt.tree,
            coarse_source=src.down,
            target_boundary=tgt.cloud.boundary,
        )
        fit2, rmse2 = evaluate_fit(src.fine, fr2.transform, tgt.tree, scales.inlier_threshold)
        if fit2 > fit:
            final, n_fine, fit, rmse, coarse = fr2.transform, fr2.correspondences, fit2, rmse2, np.asarray(also_from)
    secs["fine"] = time.perf_counter() - t0
    agree = normal_agreement(
        src.down, src.down_normals, final, tgt.down_tree, tgt.cloud.down_normals, scales.inlier_threshold
    )
    res = RegistrationResult(
        final, coarse, fit, rmse, len(pairs), n_tuples, coarse_inl, n_fine, agree, scales, False, secs
    )
    res.ok = is_success(res.quality, config.success)
    return res


def register_clouds(
    source: np.ndarray,
    target: np.ndarray,
    config: RegistrationConfig | None = None,
    *,
    source_name: str = "source",
    target_name: str = "target",
    key: tuple[Any, ...] = (),
) -> RegistrationResult:
    """Register ``source`` onto ``target``.

    Args:
        source: (N, 3) float points. target: (M, 3) float points, in any units (the distances
            are derived from the target unless ``config`` fixes them; a source in other units
            is scaled as ``config.units`` says).
        config: parameters (defaults when ``None``).
        source_name, target_name: used in error messages.
        key: extra seed key.

    Returns:
        The result; ``transform`` maps source onto target, ``ok`` says whether to trust it.

    Raises:
        InputError / ValidationError: empty, non-finite, too few points, normals not
            computable, or clouds whose sizes no unit explains.

    Example:
        >>> import numpy as np
        >>> from facecli.registration import register_clouds
        >>> # res = register_clouds(scan_a, scan_b); res.transform.shape == (4, 4)
    """
    cfg = config or RegistrationConfig()
    t0 = time.perf_counter()
    source = check_cloud(source, source=source_name)
    target = check_cloud(target, source=target_name)
    source, factor = source_as_registered(source, target, cfg, source_name=source_name, target_name=target_name)
    scales = cfg.scales(target, source)
    src, tgt = prepare_pair(
        source,
        target,
        scales,
        device=cfg.device,
        target_normals=cfg.fine == "gm",
        source_name=source_name,
        target_name=target_name,
    )
    cache = TargetCache.build(tgt)
    prep = time.perf_counter() - t0
    start = nose_start(source, target) if cfg.face_crop else None
    res = register_prepared(src, cache, cfg, scales, key=key, also_from=start)
    res.seconds = {"prepare": prep, **res.seconds}
    return with_source_scale(res, factor)


def source_as_registered(
    source: np.ndarray,
    target: np.ndarray,
    config: RegistrationConfig,
    *,
    source_name: str = "source",
    target_name: str = "target",
    orientation: Any = None,
) -> tuple[np.ndarray, float]:
    """The source as it is registered: scaled into the target's units, cut to its face if
    ``config.face_crop``.

    Args:
        source: (N, 3) float, as read. target: (M, 3) float, as read.
        orientation: the face's orientation on the source (found in mm, once scaled into the
            target's units: :func:`source_orientation`), for the face crop of a scan that is not
            written +Y up, +Z forward.

    Returns:
        ``(points (N', 3), factor)``; pass the factor to :func:`with_source_scale`.
    """
    factor = source_scale(source, target, config.units, source_name=source_name, target_name=target_name)
    pts = np.asarray(source, np.float64) * factor if factor != 1.0 else source
    if config.face_crop:
        mask = face_mask(pts, target, source_name=source_name, orientation=orientation)
        pts = check_cloud(pts[mask], source=source_name)
    return pts, factor


def with_source_scale(res: RegistrationResult, factor: float) -> RegistrationResult:
    """Fold the source's unit factor into the transforms (they then map the source as read)."""
    if factor != 1.0:
        s = np.diag([factor, factor, factor, 1.0])
        res.transform = res.transform @ s
        res.coarse_transform = res.coarse_transform @ s
    res.source_scale = float(factor)
    return res


def nose_start(source: np.ndarray, target: np.ndarray, orientation: Any = None) -> np.ndarray:
    """The transform that puts the source's nose tip on the target's (in the target's units;
    for ``face_crop``): a translation when both faces look along +Z; with the source face's
    ``orientation`` (found in mm), the rotation that turns it upright and frontal, then the
    translation.

    Args:
        source: (N, 3) float. target: (M, 3) float, looking along +Z.
        orientation: :class:`facecli.detection.scan_orientation.ScanOrientation` or ``None``.

    Returns:
        (4, 4) float64.
    """
    from facecli.geometry.facefind import UNIT_FACTORS, detect_units, nose_tip

    k = UNIT_FACTORS[detect_units(target)]
    t = np.eye(4)
    src_mm = np.asarray(source, np.float64) * k
    if orientation is None:
        t[:3, 3] = (nose_tip(np.asarray(target, np.float64) * k) - nose_tip(src_mm)) / k
        return t
    r, pivot = orientation.rotation, orientation.pivot
    tip = nose_tip(orientation.to_canonical(src_mm), near=orientation.to_canonical(orientation.keypoints[2:3])[0])
    t[:3, :3] = r
    t[:3, 3] = (pivot - r @ pivot + nose_tip(np.asarray(target, np.float64) * k) - tip) / k
    return t


def source_orientation(path: Any, source: np.ndarray, target: np.ndarray, factor: float) -> Any:
    """The face's orientation on a source scan file, if it is a mesh on whose renders the face
    detector finds a face (:func:`facecli.detection.scan_orientation.find_face_orientation`:
    turned when posed more than 15° from +Y up, +Z forward; its nose point guides the crop);
    ``None`` for point clouds and when no face is found.

    Args:
        path: the source file. source: (N, 3) its points as read. target: (M, 3) the target.
        factor: the source's scale into the target's units (:func:`source_as_registered`).
    """
    from facecli.detection.scan_orientation import find_face_orientation
    from facecli.geometry.facefind import UNIT_FACTORS, detect_units
    from facecli.io.mesh import read_mesh

    mesh = read_mesh(path, allow_points=True)
    if mesh.is_point_cloud or len(mesh.vertices) != len(source):
        return None
    k = factor * UNIT_FACTORS[detect_units(target)]
    o = find_face_orientation(np.asarray(source, np.float64) * k, mesh.faces, source=str(path))
    return o if o.found else None
