"""Face detection (issue #25): the MTCNN cascade on the ``mtcnn`` package's trained weights,
and the job that runs it over a batch of images."""

from facecli.detection.jobs import FACES_ATTRS, FACES_RAGGED, DetectJob, detect_faces, draw_faces, faces_csv_rows
from facecli.detection.predictor import DetectorConfig, FaceDetector, Faces, nms, square_boxes

__all__ = [
    "DetectJob",
    "DetectorConfig",
    "FACES_ATTRS",
    "FACES_RAGGED",
    "FaceDetector",
    "Faces",
    "detect_faces",
    "draw_faces",
    "faces_csv_rows",
    "nms",
    "square_boxes",
]
