"""The PCA + LDA projection of a high-dimensional descriptor (LBP, SIFT or Gabor).

After Chen et al., "Blessing of dimensionality" (CVPR 2013). The projection is fitted on
identity-labelled faces:

1. each block (one point at one scale) is square-rooted and reduced by its own PCA;
2. a whitened PCA runs over all blocks;
3. an LDA follows;
4. faces are compared by the cosine.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> base = rng.gamma(2.0, 6.0, (6, 2 * 16))
    >>> x = np.concatenate([rng.poisson(b, (4, 32)) for b in base]).astype(np.uint8)
    >>> proj = fit_hd_projection(x, np.repeat(np.arange(6), 4), block=16, per_block=4, pca_dim=8)
    >>> proj(x).shape
    (24, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.recognition.hdlbp import HD_BLOCK

__all__ = ["LBP_NORM", "HDProjection", "fit_block_pca", "fit_hd_projection"]

#: LBP counts are divided by this before the square root: two images' 8 x 8 px cells.
LBP_NORM = 128.0


def _blocks_sqrt(x: np.ndarray, b: int, block: int, norm: float) -> np.ndarray:
    return np.sqrt(x[:, b * block : (b + 1) * block].astype(np.float32) / norm)


@dataclass
class HDProjection:
    """The fitted projection of one descriptor.

    Attributes:
        means: (B, block) float32 block means (of the square-rooted values).
        bases: (B, block, d) float32 per-block PCA bases.
        matrix: (B x d, k) float32 the whitened PCA and the LDA in one matrix.
        offset: (k,) float32 subtracted after it.
        block: values per block.
        norm: values are divided by it before the square root.
    """

    means: np.ndarray
    bases: np.ndarray
    matrix: np.ndarray
    offset: np.ndarray
    block: int = HD_BLOCK
    norm: float = LBP_NORM

    def block_features(self, x: np.ndarray) -> np.ndarray:
        """(N, B x block) descriptors → (N, B x d) float32 block-PCA features."""
        blocks, d = self.bases.shape[0], self.bases.shape[2]
        z = np.empty((len(x), blocks * d), np.float32)
        for b in range(blocks):
            z[:, b * d : (b + 1) * d] = (_blocks_sqrt(x, b, self.block, self.norm) - self.means[b]) @ self.bases[b]
        return z

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(N, B x block) descriptors → (N, k) float32 embeddings (not normalised)."""
        return self.block_features(x) @ self.matrix - self.offset


def fit_block_pca(
    x: np.ndarray, per_block: int, block: int = HD_BLOCK, norm: float = LBP_NORM
) -> tuple[np.ndarray, np.ndarray]:
    """Each block's PCA over the rows of ``x``.

    Args:
        x: (N, B x block) descriptors (non-negative).
        per_block: dimensions kept per block (at most N - 1).
        block: values per block.
        norm: values are divided by it before the square root.

    Returns:
        ``(means (B, block) float32, bases (B, block, d) float32)``.
    """
    blocks = x.shape[1] // block
    d = min(per_block, len(x) - 1, block)
    means = np.empty((blocks, block), np.float32)
    bases = np.empty((blocks, block, d), np.float32)
    for b in range(blocks):
        xb = _blocks_sqrt(x, b, block, norm)
        means[b] = xb.mean(axis=0)
        dev = xb - means[b]
        _, v = np.linalg.eigh(dev.T @ dev / len(x))
        bases[b] = v[:, ::-1][:, :d]
    return means, bases


def fit_hd_projection(
    x: np.ndarray,
    labels: np.ndarray,
    *,
    block: int = HD_BLOCK,
    norm: float = LBP_NORM,
    per_block: int = 48,
    pca_dim: int = 400,
    shrinkage: float = 0.001,
    sample: int = 3000,
    seed: int = 0,
) -> HDProjection:
    """Fit block PCA, whitened PCA and LDA on identity-labelled descriptors.

    Args:
        x: (N, B x block) descriptors (:func:`~facecli.recognition.hdlbp.hd_lbp`,
            :func:`~facecli.recognition.hdsift.hd_sift`, :func:`~facecli.recognition.hdgabor.hd_gabor`).
        labels: (N,) identity of each row (every identity needs at least two rows).
        block: values per block (``HD_BLOCK`` for LBP).
        norm: values are divided by it before the square root (``LBP_NORM`` for LBP).
        per_block: dimensions kept per block.
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
    if x.ndim != 2 or x.shape[1] % block or len(labels) != len(x):
        raise InputError(f"expected (N, B x {block}) descriptors and N labels, got {x.shape} and {labels.shape}")
    names, counts = np.unique(labels, return_counts=True)
    if len(names) < 2 or counts.min() < 2:
        raise InputError(f"expected at least 2 identities with at least 2 faces each, got counts {counts.tolist()}")
    rng = np.random.default_rng(seed)
    fit = np.sort(rng.choice(len(x), size=min(sample, len(x)), replace=False))
    means, bases = fit_block_pca(x[fit], per_block, block, norm)
    proj = HDProjection(means, bases, np.zeros((0, 0), np.float32), np.zeros(0, np.float32), block, norm)
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
    return HDProjection(means, bases, matrix, offset, block, norm)
