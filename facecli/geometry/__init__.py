"""Geometry: transforms, mesh operations, ray casting, surface sampling, geodesics."""

from facecli.geometry.depthmap import depth_to_mesh, parse_intrinsics, read_depth
from facecli.geometry.geodesics import HeatGeodesics, VertexFaces, compact_submesh
from facecli.geometry.mesh_ops import face_normals, grid_faces, vertex_normals
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
