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
from facecli.registration.preprocess import PreparedCloud, check_cloud, prepare_cloud
from facecli.registration.ransac import ransac_svd
from facecli.seeding import rng_for

__all__ = [
    "RegistrationConfig",
    "RegistrationResult",
    "register_clouds",
    "register_prepared",
    "evaluate_fit",
    "TargetCache",
]

METHODS = ("fgr", "ransac")
FINE = ("gm", "none")


@dataclass
class RegistrationConfig:
    """Parameters of one registration (all distances in mm).

    Attributes:
        voxel: voxel size of the coarse stage.
        method: ``fgr`` (graduated non-convexity) or ``ransac``.
        fine: ``gm`` (Geman-McClure point-to-plane) or ``none``.
        delta: final Geman-McClure scale of the coarse stage (default ``1.5 * voxel``).
        fine_delta: final scale of the fine stage (default ``voxel / 2``).
        fine_max_distance: fine-stage correspondence cut-off (default ``3 * voxel``).
        inlier_threshold: distance for fitness and inlier RMSE (default ``1.5 * voxel``).
        tuple_tau: tuple-test similarity. div: mu divisor (1.4 as FGR's code).
        starts: FGR runs (1 = the paper's single run; more add verified restarts).
        seed: seed of the tuple test and RANSAC sampling.
        device: torch device for FPFH and feature matching.
    """

    voxel: float = 3.0
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

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"expected --method fgr|ransac, got {self.method!r}")
        if self.fine not in FINE:
            raise InputError(f"expected --fine gm|none, got {self.fine!r}")
        if not self.voxel > 0:
            raise InputError(f"expected --voxel > 0 mm, got {self.voxel}")

    @property
    def coarse_delta(self) -> float:
        return self.delta or 1.5 * self.voxel

    @property
    def fine_scale(self) -> float:
        return self.fine_delta or 0.5 * self.voxel

    @property
    def fine_cutoff(self) -> float:
        return self.fine_max_distance or 3.0 * self.voxel

    @property
    def threshold(self) -> float:
        return self.inlier_threshold or 1.5 * self.voxel

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            delta=self.coarse_delta,
            fine_delta=self.fine_scale,
            fine_max_distance=self.fine_cutoff,
            inlier_threshold=self.threshold,
        )
        return d


@dataclass
class RegistrationResult:
    """What one registration found.

    Attributes:
        transform: (4, 4) float64, maps source points onto the target (mm).
        coarse_transform: (4, 4) the coarse stage's answer.
        fitness: share of source points with a target point within the inlier threshold.
        inlier_rmse: RMSE of those distances, mm.
        matches: mutual feature matches. tuples: matches kept by the tuple test (FGR).
        coarse_inliers: matches within the coarse threshold after the coarse stage.
        fine_correspondences: point pairs used by the last fine iteration.
        seconds: per-stage wall time.
    """

    transform: np.ndarray
    coarse_transform: np.ndarray
    fitness: float
    inlier_rmse: float
    matches: int
    tuples: int
    coarse_inliers: int
    fine_correspondences: int
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class TargetCache:
    """A prepared target and its k-d tree, reused when many scans go to one template."""

    cloud: PreparedCloud
    tree: Any

    @classmethod
    def build(cls, cloud: PreparedCloud) -> "TargetCache":
        from scipy.spatial import cKDTree

        return cls(cloud, cKDTree(cloud.points))


def evaluate_fit(source: np.ndarray, transform: np.ndarray, tree: Any, threshold: float) -> tuple[float, float]:
    """Open3D-style fitness and inlier RMSE of a transform.

    Args:
        source: (N, 3) source points. transform: (4, 4). tree: k-d tree of the target.
        threshold: inlier distance, mm.

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
    src: PreparedCloud, tgt: TargetCache, config: RegistrationConfig, *, key: tuple[Any, ...] = ()
) -> RegistrationResult:
    """Register two prepared clouds.

    Args:
        src: the prepared source. tgt: the prepared target with its tree.
        config: parameters.
        key: extra seed key (e.g. the pair id) so each pair has its own stream.

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
            ps[kept[:, 0]], pt[kept[:, 1]], local, delta=config.coarse_delta, starts=config.starts, div=config.div
        )
        coarse, n_tuples = res.transform, len(kept)
    else:
        rr = ransac_svd(ps[pairs[:, 0]], pt[pairs[:, 1]], rng, threshold=config.coarse_delta, device=config.device)
        coarse, n_tuples = rr.transform, 0
    r2 = np.sum((ps[pairs[:, 0]] @ coarse[:3, :3].T + coarse[:3, 3] - pt[pairs[:, 1]]) ** 2, axis=1)
    coarse_inl = int(np.sum(r2 < config.coarse_delta**2))
    secs["coarse"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    final, n_fine = coarse, 0
    if config.fine == "gm":
        fr = gm_point_to_plane(
            src.points,
            tgt.cloud.points,
            tgt.cloud.normals,
            coarse,
            delta=config.fine_scale,
            max_distance=config.fine_cutoff,
            tree=tgt.tree,
            coarse_source=src.down,
            target_boundary=tgt.cloud.boundary,
        )
        final, n_fine = fr.transform, fr.correspondences
    secs["fine"] = time.perf_counter() - t0
    fit, rmse = evaluate_fit(src.points, final, tgt.tree, config.threshold)
    return RegistrationResult(final, coarse, fit, rmse, len(pairs), n_tuples, coarse_inl, n_fine, secs)


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
        source: (N, 3) float points, mm. target: (M, 3) float points, mm.
        config: parameters (defaults when ``None``).
        source_name, target_name: used in error messages.
        key: extra seed key.

    Returns:
        The result; ``transform`` maps source onto target.

    Raises:
        InputError / ValidationError: empty, non-finite, too few points, normals not
            computable, or clouds whose sizes differ so much that the units differ.

    Example:
        >>> import numpy as np
        >>> from facecli.registration import register_clouds
        >>> # res = register_clouds(scan_a, scan_b); res.transform.shape == (4, 4)
    """
    cfg = config or RegistrationConfig()
    t0 = time.perf_counter()
    source = check_cloud(source, source=source_name)
    target = check_cloud(target, source=target_name)
    check_units(source, target, source_name, target_name)
    src = prepare_cloud(source, cfg.voxel, device=cfg.device, full_normals=False, source=source_name)
    tgt = prepare_cloud(target, cfg.voxel, device=cfg.device, full_normals=cfg.fine == "gm", source=target_name)
    check_units(src, tgt, source_name, target_name)
    cache = TargetCache.build(tgt)
    prep = time.perf_counter() - t0
    res = register_prepared(src, cache, cfg, key=key)
    res.seconds = {"prepare": prep, **res.seconds}
    return res


def check_units(
    src: PreparedCloud | np.ndarray, tgt: PreparedCloud | np.ndarray, source_name: str, target_name: str
) -> None:
    """Refuse clouds whose extents differ by more than 10x (mm vs m, cm).

    Args:
        src, tgt: prepared clouds, or (N, 3) raw points.
    """

    def diam(c: PreparedCloud | np.ndarray) -> float:
        if isinstance(c, PreparedCloud):
            return c.diameter
        pts = np.asarray(c, np.float64).reshape(-1, 3)
        return float(np.linalg.norm(np.ptp(pts, axis=0))) if len(pts) else 0.0

    a, b = diam(src), diam(tgt)
    if min(a, b) == 0.0:
        return  # empty or single-point clouds are refused by the boundary check
    if max(a, b) > 10.0 * min(a, b):
        raise InputError(
            f"{source_name} spans {a:.4g} but {target_name} spans {b:.4g}: expected the same units (mm) for both"
        )
