"""Face detection (issue #25): the MTCNN cascade on the ``mtcnn`` package's trained weights,
the job that runs it over a batch of images, and which way the face on a 3D mesh looks
(the detector on renders of it)."""

from facecli.detection.jobs import FACES_ATTRS, FACES_RAGGED, DetectJob, detect_faces, draw_faces, faces_csv_rows
from facecli.detection.predictor import DetectorConfig, FaceDetector, Faces, nms, square_boxes
from facecli.detection.scan_orientation import ScanOrientation, find_face_orientation

__all__ = [
    "DetectJob",
    "DetectorConfig",
    "FACES_ATTRS",
    "FACES_RAGGED",
    "FaceDetector",
    "Faces",
    "ScanOrientation",
    "detect_faces",
    "draw_faces",
    "faces_csv_rows",
    "find_face_orientation",
    "nms",
    "square_boxes",
]
