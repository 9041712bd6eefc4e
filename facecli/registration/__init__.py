"""Correspondences, coarse (SVD / RANSAC / FGR) and fine (Geman-McClure) registration."""

from facecli.registration.correspondences import feature_nn, mutual_matches, tuple_test
from facecli.registration.fgr import GNCResult, gm_weights, gnc_geman_mcclure
from facecli.registration.fine import FineResult, gm_point_to_plane
from facecli.registration.kabsch import batched_kabsch, to_matrix, weighted_kabsch
from facecli.registration.pipeline import (
    RegistrationConfig,
    RegistrationResult,
    TargetCache,
    evaluate_fit,
    register_clouds,
    register_prepared,
)
from facecli.registration.preprocess import (
    PreparedCloud,
    estimate_normals,
    prepare_cloud,
    prepare_pair,
    voxel_downsample,
)
from facecli.registration.quality import QUALITY_COLUMNS, SuccessCriteria, failed_checks, is_success
from facecli.registration.ransac import RansacResult, ransac_svd
from facecli.registration.scale import SCALE_COLUMNS, Scales, auto_voxel, resolve_scales

__all__ = [
    "QUALITY_COLUMNS",
    "SCALE_COLUMNS",
    "Scales",
    "SuccessCriteria",
    "auto_voxel",
    "failed_checks",
    "is_success",
    "prepare_pair",
    "resolve_scales",
    "FineResult",
    "GNCResult",
    "PreparedCloud",
    "RansacResult",
    "RegistrationConfig",
    "RegistrationResult",
    "TargetCache",
    "batched_kabsch",
    "estimate_normals",
    "evaluate_fit",
    "feature_nn",
    "gm_point_to_plane",
    "gm_weights",
    "gnc_geman_mcclure",
    "mutual_matches",
    "prepare_cloud",
    "ransac_svd",
    "register_clouds",
    "register_prepared",
    "to_matrix",
    "tuple_test",
    "voxel_downsample",
    "weighted_kabsch",
]
