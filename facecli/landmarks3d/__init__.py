"""3D facial landmarks with 2S-SGCN (issue #5): mesh preparation, the two graphs,
heatmap targets and decoding, training, geodesic refinement, prediction, the
rigid-template baseline, previews and evaluation helpers.

Importing a submodule that runs the network imports torch; this package itself does not.
"""

from facecli.landmarks3d.data import (
    DEFAULT_CROP_Z,
    LandmarkSet,
    PreparedMesh,
    crop_faces,
    load_landmark_set,
    prepare_many,
    prepare_mesh,
)
from facecli.landmarks3d.graph import (
    PointGraphs,
    build_graphs,
    graph_edge_indices,
    knn_neighbours,
    nearest_points,
)
from facecli.landmarks3d.refine import RefineSettings, refine_landmarks
from facecli.landmarks3d.template import RigidTemplate

__all__ = [
    "DEFAULT_CROP_Z",
    "LandmarkSet",
    "PointGraphs",
    "PreparedMesh",
    "RefineSettings",
    "RigidTemplate",
    "build_graphs",
    "crop_faces",
    "graph_edge_indices",
    "knn_neighbours",
    "load_landmark_set",
    "nearest_points",
    "prepare_many",
    "prepare_mesh",
    "refine_landmarks",
]
