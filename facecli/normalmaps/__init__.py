"""Multi-scale normal maps (MNI-GAIR): exact geometry path (ray casting, PCA splats,
depth maps), texture channels, the CAP image predictor and the Sobel baseline."""

from facecli.normalmaps.geometry import GeometryOptions, geometry_normal_maps, input_kind
from facecli.normalmaps.jobs import NormalsJob
from facecli.normalmaps.sobel import sobel_normals

__all__ = ["GeometryOptions", "geometry_normal_maps", "input_kind", "NormalsJob", "sobel_normals"]
