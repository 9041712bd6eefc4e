"""Geometry: transforms, mesh operations, ray casting, surface sampling, geodesics, the face on a scan."""

from facecli.geometry.depthmap import depth_to_mesh, parse_intrinsics, read_depth
from facecli.geometry.facefind import FACE_BOX_MM, FaceRegion, detect_units, face_region, nose_tip
from facecli.geometry.geodesics import HeatGeodesics, VertexFaces, compact_submesh
from facecli.geometry.mesh_ops import clean_faces, face_normals, grid_faces, non_manifold_edges, vertex_normals
from facecli.geometry.normals import median_spacing, pca_normals, splat_points
from facecli.geometry.raycast import MeshCaster, NormalMap, check_manifold
from facecli.geometry.sampling import SurfaceSample, sample_surface
from facecli.geometry.transforms import (
    apply_transform,
    euler_to_matrix,
    random_rotation,
    rigid_transform,
    rotation_angle_deg,
)
from facecli.geometry.view import OrthoView, fit_view

__all__ = [
    "FACE_BOX_MM",
    "FaceRegion",
    "detect_units",
    "face_region",
    "nose_tip",
    "clean_faces",
    "non_manifold_edges",
    "HeatGeodesics",
    "VertexFaces",
    "compact_submesh",
    "SurfaceSample",
    "sample_surface",
    "depth_to_mesh",
    "parse_intrinsics",
    "read_depth",
    "median_spacing",
    "pca_normals",
    "splat_points",
    "MeshCaster",
    "NormalMap",
    "check_manifold",
    "OrthoView",
    "fit_view",
    "face_normals",
    "grid_faces",
    "vertex_normals",
    "apply_transform",
    "euler_to_matrix",
    "random_rotation",
    "rigid_transform",
    "rotation_angle_deg",
]
