"""Geometry: transforms, mesh operations, ray casting."""

from facecli.geometry.mesh_ops import face_normals, grid_faces, vertex_normals
from facecli.geometry.transforms import (
    apply_transform,
    euler_to_matrix,
    random_rotation,
    rigid_transform,
    rotation_angle_deg,
)

__all__ = [
    "face_normals",
    "grid_faces",
    "vertex_normals",
    "apply_transform",
    "euler_to_matrix",
    "random_rotation",
    "rigid_transform",
    "rotation_angle_deg",
]
