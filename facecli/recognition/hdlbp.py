"""High-dimensional LBP about facecli's own landmarks, and its PCA + LDA projection.

After Chen et al., "Blessing of dimensionality: high-dimensional feature and its efficient
compression for face verification" (CVPR 2013), with facecli's landmarks: the face is aligned
by its five points to a 160 px crop. About 26 of the 98 aligner points (a left-right
symmetric set: brows, eye corners and pupils, nose, mouth, jaw), at four scales of that crop,
a 4 x 4 grid of 8 px cells is laid. Each cell gets a 59-bin histogram of uniform LBP codes
(8 neighbours at ``radius`` px). The mirror image's histograms, about the mirrored points,
are added: 26 x 4 x 944 = 98,176 counts per face and radius.

The projection is fitted on identity-labelled faces:

1. each (point, scale) block is square-rooted and reduced by its own PCA;
2. a whitened PCA runs over all blocks;
3. an LDA follows;
4. faces are compared by the cosine.

On LFW View 2 (radii 1 and 2, each fitted per fold on the other folds' people), this gives
91.17 ± 0.95 % (``benchmarks/lfw/RESULTS.md``).

Example:
    >>> import numpy as np
    >>> grey = np.random.default_rng(0).integers(0, 255, (160, 160)).astype(np.uint8)
    >>> pts = np.tile([[80.0, 80.0]], (len(HD_POINTS), 1))
    >>> hd_lbp_codes(grey, pts).shape
    (98176,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "HD_BLOCK",
    "HD_CELL",
    "HD_GRID",
    "HD_POINTS",
    "HD_SCALES",
    "HD_SIZE",
    "HDLBPProjection",
    "fit_block_pca",
    "fit_hdlbp_projection",
    "hd_lbp",
    "hd_lbp_codes",
]

#: The 26 points (WFLW-98 indices): brows, eye corners and pupils, nose, mouth corners and lips, jaw.
HD_POINTS = (33, 35, 37, 42, 44, 46, 60, 64, 68, 72, 96, 97, 51, 54, 55, 57, 59, 76, 79, 82, 85, 4, 8, 16, 24, 28)
HD_SIZE, HD_SCALES, HD_CELL, HD_GRID = 160, (1.0, 0.75, 0.5625, 0.42), 8, 4
HD_BLOCK = HD_GRID * HD_GRID * 59  # one point at one scale


def hd_lbp_codes(grey: np.ndarray, pts: np.ndarray, radius: int = 1) -> np.ndarray:
    """Counts of the 59 uniform LBP codes in the cells about each point, per scale.

    Args:
        grey: (HD_SIZE, HD_SIZE) uint8, the aligned face.
        pts: (P, 2) float, x y of the points in ``grey``.
        radius: LBP radius in pixels.

    Returns:
        (P x S x 944,) int64, point-major: blocks of ``HD_BLOCK`` per (point, scale).
    """
    import cv2
    from skimage.feature import local_binary_pattern

    half = HD_GRID * HD_CELL // 2
    off = np.arange(-half, half)
    cell = (off + half) // HD_CELL
    cell_id = (cell[:, None] * HD_GRID + cell[None, :]) * 60  # (2h, 2h)
    out = []
    for s in HD_SCALES:
        side = int(round(HD_SIZE * s))
        g = grey if side == HD_SIZE else cv2.resize(grey, (side, side), interpolation=cv2.INTER_AREA)
        codes = local_binary_pattern(g, 8, radius, method="nri_uniform").astype(np.int64)
        codes = np.pad(codes, half, constant_values=59)  # outside the crop: a bin that is dropped
        c = np.clip(np.round(pts * s).astype(np.int64), 0, side) + half  # the patch stays in the padded map
        patch = codes[(c[:, 1, None] + off)[:, :, None], (c[:, 0, None] + off)[:, None, :]]  # (P, 2h, 2h)
        key = np.arange(len(pts))[:, None, None] * (HD_GRID * HD_GRID * 60) + cell_id[None] + patch
        h = np.bincount(key.ravel(), minlength=len(pts) * HD_GRID * HD_GRID * 60)
        out.append(h.reshape(len(pts), HD_GRID * HD_GRID, 60)[:, :, :59].reshape(len(pts), -1))
    return np.stack(out, axis=1).reshape(-1)


def hd_lbp(image: np.ndarray, five: np.ndarray, landmarks: np.ndarray, radius: int = 1) -> np.ndarray:
    """The high-dimensional LBP of one face, its mirror image's added.

    Args:
        image: (H, W, 3) uint8 RGB or (H, W) uint8 grey photo.
        five: (5, 2) float, the face's five points (eye centres, nose tip, mouth corners) in ``image``.
        landmarks: (98, 2) float, its WFLW-98 points in ``image``.
        radius: LBP radius in pixels.

    Returns:
        (98,176,) uint8 counts (clipped at 255).
    """
    import cv2

    from facecli.detection.alignment import alignment_transform
    from facecli.schemes import WFLW98_MIRROR

    sel = np.array(HD_POINTS)
    m = alignment_transform(np.asarray(five, np.float64), HD_SIZE)
    warped = cv2.warpAffine(image, m, (HD_SIZE, HD_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    grey = warped if warped.ndim == 2 else cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY)
    pts = np.asarray(landmarks, np.float64) @ m[:, :2].T + m[:, 2]
    flipped = pts[WFLW98_MIRROR] * [-1, 1] + [HD_SIZE - 1, 0]  # the mirror face's own points
    both = hd_lbp_codes(grey, pts[sel], radius) + hd_lbp_codes(
        np.ascontiguousarray(grey[:, ::-1]), flipped[sel], radius
    )
    return np.minimum(both, 255).astype(np.uint8)


def _blocks_sqrt(x: np.ndarray, b: int) -> np.ndarray:
    return np.sqrt(x[:, b * HD_BLOCK : (b + 1) * HD_BLOCK].astype(np.float32) / (2 * HD_CELL * HD_CELL))


@dataclass
class HDLBPProjection:
    """The fitted projection of one radius's descriptor.

    Attributes:
        means: (B, 944) float32 block means (of the square-rooted counts).
        bases: (B, 944, d) float32 per-block PCA bases.
        matrix: (B x d, k) float32 the whitened PCA and the LDA in one matrix.
        offset: (k,) float32 subtracted after it.
    """

    means: np.ndarray
    bases: np.ndarray
    matrix: np.ndarray
    offset: np.ndarray

    def block_features(self, x: np.ndarray) -> np.ndarray:
        """(N, B x 944) counts → (N, B x d) float32 block-PCA features."""
        blocks, d = self.bases.shape[0], self.bases.shape[2]
        z = np.empty((len(x), blocks * d), np.float32)
        for b in range(blocks):
            z[:, b * d : (b + 1) * d] = (_blocks_sqrt(x, b) - self.means[b]) @ self.bases[b]
        return z

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(N, B x 944) counts → (N, k) float32 embeddings (not normalised)."""
        return self.block_features(x) @ self.matrix - self.offset


def fit_block_pca(x: np.ndarray, per_block: int) -> tuple[np.ndarray, np.ndarray]:
    """Each (point, scale) block's PCA over the rows of ``x``.

    Args:
        x: (N, B x 944) uint8 descriptors.
        per_block: dimensions kept per block (at most N - 1).

    Returns:
        ``(means (B, 944) float32, bases (B, 944, d) float32)``.
    """
    blocks = x.shape[1] // HD_BLOCK
    d = min(per_block, len(x) - 1, HD_BLOCK)
    means = np.empty((blocks, HD_BLOCK), np.float32)
    bases = np.empty((blocks, HD_BLOCK, d), np.float32)
    for b in range(blocks):
        xb = _blocks_sqrt(x, b)
        means[b] = xb.mean(axis=0)
        dev = xb - means[b]
        _, v = np.linalg.eigh(dev.T @ dev / len(x))
        bases[b] = v[:, ::-1][:, :d]
    return means, bases


def fit_hdlbp_projection(
    x: np.ndarray,
    labels: np.ndarray,
    *,
    per_block: int = 48,
    pca_dim: int = 400,
    shrinkage: float = 0.001,
    sample: int = 3000,
    seed: int = 0,
) -> HDLBPProjection:
    """Fit block PCA, whitened PCA and LDA on identity-labelled descriptors.

    Args:
        x: (N, B x 944) uint8 descriptors of :func:`hd_lbp`.
        labels: (N,) identity of each row (every identity needs at least two rows).
        per_block: dimensions kept per (point, scale) block.
        pca_dim: dimensions of the whitened PCA (at most N - 1 and B x per_block).
        shrinkage: LDA covariance shrinkage.
        sample: rows the block PCAs are fitted on (a seeded sample).
        seed: seed of that sample and of the randomised PCA.

    Raises:
        InputError: too few rows or identities for the sizes asked.
    """
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from facecli.errors import InputError

    x = np.asarray(x)
    labels = np.asarray(labels)
    if x.ndim != 2 or x.shape[1] % HD_BLOCK or len(labels) != len(x):
        raise InputError(f"expected (N, B x {HD_BLOCK}) descriptors and N labels, got {x.shape} and {labels.shape}")
    names, counts = np.unique(labels, return_counts=True)
    if len(names) < 2 or counts.min() < 2:
        raise InputError(f"expected at least 2 identities with at least 2 faces each, got counts {counts.tolist()}")
    rng = np.random.default_rng(seed)
    fit = np.sort(rng.choice(len(x), size=min(sample, len(x)), replace=False))
    means, bases = fit_block_pca(x[fit], per_block)
    proj = HDLBPProjection(means, bases, np.zeros((0, 0), np.float32), np.zeros(0, np.float32))
    z = proj.block_features(x)
    dim = min(pca_dim, len(x) - 1, z.shape[1])
    pca = PCA(n_components=dim, whiten=True, svd_solver="randomized", random_state=seed).fit(z)
    white = pca.components_.T / np.sqrt(pca.explained_variance_)  # (B d, dim)
    p = (z - pca.mean_) @ white
    lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage=shrinkage).fit(p, labels)
    k = min(len(names) - 1, dim)
    scal = lda.scalings_[:, :k]
    matrix = (white @ scal).astype(np.float32)
    offset = (pca.mean_ @ white @ scal).astype(np.float32)  # sklearn's eigen-solver LDA does not centre
    return HDLBPProjection(means, bases, matrix, offset)
