"""The rigid-template baseline: the mean face's landmarks, placed by aligning the
mean face with the scan (rigid point-to-plane ICP, Open3D).

It knows the average face and nothing about the person or the expression, so its
error is what a learned detector has to beat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.validation import check_array

__all__ = ["RigidTemplate"]


@dataclass
class RigidTemplate:
    """A mean face with its landmarks.

    Attributes:
        vertices: (V, 3) float64 mean-face vertices, mm.
        faces: (F, 3) int64.
        landmarks: (L, 3) float64 mean landmarks, mm.
    """

    vertices: np.ndarray
    faces: np.ndarray
    landmarks: np.ndarray

    @classmethod
    def from_meshes(cls, meshes: list[np.ndarray], faces: np.ndarray, indices: np.ndarray) -> RigidTemplate:
        """Average same-topology meshes (e.g. FaceScape TU models of the training subjects).

        Args:
            meshes: list of (V, 3) vertex arrays, mm, one topology.
            faces: (F, 3) int.
            indices: (L,) landmark vertex indices.
        """
        mean = np.mean(np.stack([check_array(m, "(V, 3)", name="vertices") for m in meshes]), axis=0)
        return cls(vertices=mean, faces=np.asarray(faces, np.int64), landmarks=mean[np.asarray(indices)])

    def align(self, scan_vertices: np.ndarray, *, max_distance: float = 10.0, iterations: int = 60) -> np.ndarray:
        """The (4, 4) rigid transform taking the mean face onto a scan.

        Starts from the centroid offset, then point-to-plane ICP (Open3D) on both
        surfaces' vertices, with the correspondence distance shrinking from
        ``max_distance`` to a quarter of it.

        Args:
            scan_vertices: (N, 3) float, mm, the scan's points (any topology).
        """
        import open3d as o3d

        from facecli.geometry.mesh_ops import vertex_normals

        scan = check_array(scan_vertices, "(N, 3)", name="scan vertices").astype(np.float64)
        src = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(self.vertices))
        src.normals = o3d.utility.Vector3dVector(vertex_normals(self.vertices, self.faces))
        tgt = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(scan))
        tgt.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=5.0, max_nn=30))
        tgt.orient_normals_towards_camera_location(scan.mean(axis=0) + np.array([0.0, 0.0, 1000.0]))
        t = np.eye(4)
        t[:3, 3] = scan.mean(axis=0) - self.vertices.mean(axis=0)
        crit = o3d.pipelines.registration.ICPConvergenceCriteria(max_iteration=iterations)
        for d in (max_distance, max_distance / 2, max_distance / 4):
            t = o3d.pipelines.registration.registration_icp(
                src, tgt, d, t, o3d.pipelines.registration.TransformationEstimationPointToPlane(), crit
            ).transformation
        return np.asarray(t)

    def predict(self, scan_vertices: np.ndarray) -> np.ndarray:
        """(L, 3) float64 landmarks on a scan, mm (the aligned mean landmarks)."""
        t = self.align(scan_vertices)
        return self.landmarks @ t[:3, :3].T + t[:3, 3]
