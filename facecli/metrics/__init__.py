"""One module per task's metrics; pure functions on arrays (issues #4-#10)."""

from facecli.metrics.align import auc_at, ced_curve, failure_rate, nme, summarize_nme
from facecli.metrics.apex import apex_errors, midpoint_apex, summarize_apex
from facecli.metrics.landmarks3d import IBUG68_REGIONS, LandmarkErrorReport, landmark_error_report, landmark_errors
from facecli.metrics.mer import confusion_matrix, mer_report, per_class_recall, per_fold_average, uar, uf1
from facecli.metrics.normals import ANGLE_THRESHOLDS, angular_errors, summarize_angles
from facecli.metrics.registration import (
    correspondence_rmse,
    registration_recall,
    rotation_error_deg,
    score_registrations,
    summarize_registrations,
    translation_error,
)
from facecli.metrics.verification import (
    ROC,
    VerificationReport,
    best_threshold,
    equal_error_rate,
    fold_accuracy,
    roc,
    tar_at_far,
    verification_report,
)

__all__ = [
    "apex_errors",
    "midpoint_apex",
    "summarize_apex",
    "IBUG68_REGIONS",
    "LandmarkErrorReport",
    "landmark_error_report",
    "landmark_errors",
    "ROC",
    "VerificationReport",
    "best_threshold",
    "equal_error_rate",
    "fold_accuracy",
    "roc",
    "tar_at_far",
    "verification_report",
    "ANGLE_THRESHOLDS",
    "angular_errors",
    "summarize_angles",
    "correspondence_rmse",
    "registration_recall",
    "rotation_error_deg",
    "score_registrations",
    "summarize_registrations",
    "translation_error",
    "confusion_matrix",
    "mer_report",
    "per_class_recall",
    "per_fold_average",
    "uar",
    "uf1",
    "auc_at",
    "ced_curve",
    "failure_rate",
    "nme",
    "summarize_nme",
]
