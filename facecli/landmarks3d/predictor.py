"""Landmarks on one mesh with a trained 2S-SGCN: sample, stage one, stage two."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecli.io.mesh import Mesh, read_mesh
from facecli.landmarks3d.data import DEFAULT_CROP_Z, prepare_mesh
from facecli.landmarks3d.refine import RefineSettings, refine_landmarks
from facecli.seeding import rng_for

__all__ = ["DEFAULT_SGCN", "LandmarkResult", "Landmarker", "load_sgcn"]

#: The shipped model (trained on synthetic faces only; see its .json card).
DEFAULT_SGCN = Path(__file__).resolve().parent.parent / "models" / "weights" / "sgcn_synthetic.pt"


@dataclass
class LandmarkResult:
    """Landmarks of one mesh.

    Attributes:
        landmarks: (L, 3) float64, mm (refined onto a vertex unless refinement is off).
        vertex: (L,) int64 nearest mesh vertex (the landmark's own vertex when refined).
        confidence: (L,) float32 peak heatmap value in [0, 1].
        stage_one: (L, 3) float64 stage-one estimate, mm.
        seconds: time per part (``load``, ``sample``, ``network``, ``refine``).
    """

    landmarks: np.ndarray
    vertex: np.ndarray
    confidence: np.ndarray
    stage_one: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)


def load_sgcn(path: Path | None = None, *, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """Load a model file from ``landmarks3d train`` (the shipped one if None).

    Returns:
        ``(network in eval mode, file dict with config and meta)``.
    """
    from facecli.models.registry import load

    return load(path or DEFAULT_SGCN, expect="sgcn", device=device)


class Landmarker:
    """Runs both stages on meshes.

    Args:
        net: a trained :class:`facecli.models.sgcn.SGCN`.
        crop_z: the crop used in training (mm; None for none).
        device: torch device.
        seed: the run's seed (the point sample of a mesh depends on it and the mesh id).
        refine: run stage two.
        settings: stage-two settings.
        samples: point samples of each mesh (test-time averaging): the network runs once per
            sample, in one batch; the stage-one estimates and confidences are averaged and
            stage two fits the highest heatmap points of all samples. The first sample is
            the one a single-sample run draws.
    """

    def __init__(
        self,
        net: Any,
        *,
        crop_z: float | None = DEFAULT_CROP_Z,
        device: str = "cpu",
        seed: int = 0,
        refine: bool = True,
        settings: RefineSettings | None = None,
        samples: int = 1,
    ) -> None:
        if samples < 1:
            raise ValueError(f"expected at least 1 sample, got {samples}")
        self.net, self.crop_z, self.device, self.seed = net, crop_z, device, seed
        self.refine, self.settings, self.samples = refine, settings or RefineSettings(), samples

    @classmethod
    def from_file(cls, path: Path | None = None, **kw: Any) -> Landmarker:
        net, obj = load_sgcn(path, device=kw.get("device", "cpu"))
        kw.setdefault("crop_z", obj["config"].get("crop_z", DEFAULT_CROP_Z))
        return cls(net, **kw)

    def stage_one(
        self, mesh: Mesh, key: str, *, near: np.ndarray | None = None
    ) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Sample and run the network (``near``: a rough nose position, mm, for the nose frame).

        Returns:
            ``(prepared, estimate (L,3) mm, confidence (L,), top points (L,K,3) mm, top values (L,K), seconds)``
            with K = max(top_k, refinement points).
        """
        import torch

        from facecli.landmarks3d.graph import build_graphs, nearest_points
        from facecli.landmarks3d.heatmaps import decode_topk

        c = self.net.config
        t0 = time.perf_counter()
        preps = [
            prepare_mesh(
                mesh,
                c.points,
                rng_for(self.seed, "landmarks3d-sample", key, *([j] if j else [])),
                k=c.k,
                crop_z=self.crop_z,
                frame=c.frame,
                near=near,
            )
            for j in range(self.samples)
        ]
        mean_lm = self.net.mean_landmarks.cpu().numpy()
        sup = np.stack([nearest_points(p.points, mean_lm) for p in preps])
        graphs = build_graphs(
            np.stack([p.points for p in preps]), sup, neighbours=np.stack([p.neighbours for p in preps])
        ).to(self.device)
        t1 = time.perf_counter()
        kk = max(c.top_k, self.settings.points)
        with torch.no_grad():
            x = torch.from_numpy(np.concatenate([p.features() for p in preps])).to(self.device)
            heat = self.net(x, graphs.local, graphs.global_).reshape(len(preps), c.points, -1)
            pts = torch.from_numpy(np.stack([p.points for p in preps])).to(self.device)
            pos, conf, _, _ = decode_topk(heat, pts, c.top_k)
            # the refinement fits more of each heatmap than the decoding averages
            vals, idx = torch.topk(heat, kk, dim=1)
        pos, conf, vals, idx = pos.cpu().numpy(), conf.cpu().numpy(), vals.cpu().numpy(), idx.cpu().numpy()
        est = np.mean([p.to_mm(pos[j]) for j, p in enumerate(preps)], axis=0)
        # every sample's top points, in mm, the highest first across samples: (L, S*K, 3), (L, S*K)
        top = np.concatenate([p.to_mm(p.points[idx[j]]).transpose(1, 0, 2) for j, p in enumerate(preps)], axis=1)
        top_vals = np.concatenate([vals[j].T for j in range(len(preps))], axis=1)
        order = np.argsort(-top_vals, axis=1, kind="stable")
        top = np.take_along_axis(top, order[:, :, None], axis=1)
        top_vals = np.take_along_axis(top_vals, order, axis=1)
        t2 = time.perf_counter()
        return (
            preps[0],
            est,
            conf.mean(axis=0).astype(np.float32),
            top,
            top_vals,
            {"sample": t1 - t0, "network": t2 - t1},
        )

    def predict(
        self, mesh: Mesh, key: str, *, refine: bool | None = None, near: np.ndarray | None = None
    ) -> LandmarkResult:
        """Landmarks of a mesh (``key`` identifies it for the seeded point sample; ``near``: a
        rough nose position, mm, e.g. the face detector's)."""
        from scipy.spatial import cKDTree

        prep, est, conf, top_mm, top_vals, secs = self.stage_one(mesh, key, near=near)
        t0 = time.perf_counter()
        tree = cKDTree(mesh.vertices)
        if self.refine if refine is None else refine:
            sigma_mm = self.net.config.sigma / prep.scale
            lm, vid = refine_landmarks(mesh.vertices, mesh.faces, est, top_mm, top_vals, sigma_mm, self.settings, tree)
        else:
            lm = est
            vid = np.asarray(tree.query(est)[1], dtype=np.int64)
        secs["refine"] = time.perf_counter() - t0
        return LandmarkResult(landmarks=lm, vertex=vid, confidence=conf, stage_one=est, seconds=secs)

    def stage_one_error(self, path: Path, landmark_set: Any, *, face_crop: bool = False) -> float:
        """Mean stage-one error (mm) on a mesh of a FaceScape-layout set (for training reports;
        ``face_crop``: cut to the face box first, as ``landmarks3d predict`` does)."""
        mesh = read_mesh(path, allow_points=False)
        truth = landmark_set.landmarks(mesh)
        if face_crop:
            from facecli.geometry.facefind import face_region

            reg = face_region(mesh.vertices, mesh.faces, source=str(path))
            mesh = Mesh(vertices=reg.vertices, faces=reg.faces, source=mesh.source)
        _, est, *_ = self.stage_one(mesh, Path(path).name)
        return float(np.linalg.norm(est - truth, axis=1).mean())
