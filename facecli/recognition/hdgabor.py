"""High-dimensional Gabor magnitudes about facecli's own landmarks.

A third descriptor next to :mod:`~facecli.recognition.hdlbp` and
:mod:`~facecli.recognition.hdsift`: the aligned 160 px face (and half of it, scale 0.5625) is
filtered by 40 complex Gabor kernels (5 wavelengths from 4 to 16 px, 8 orientations; zero
mean, unit L1 norm) through the FFT. The magnitudes are averaged over a 4 x 4 grid of 8 px
cells about each of the 26 ``HD_POINTS``. The mirror image's values about the mirrored points
are added; the mirror image's magnitudes are the original's, flipped, with each orientation
θ read at π - θ, so the filtering runs once. 26 x 2 x 16 x 40 = 33,280 values.

Example:
    >>> import numpy as np
    >>> grey = np.random.default_rng(0).integers(0, 255, (160, 160)).astype(np.uint8)
    >>> pts = np.tile([[80.0, 80.0]], (26, 1))
    >>> from facecli.recognition.hdface import AlignedFace
    >>> hd_gabor_face(AlignedFace(grey, pts, pts)).shape
    (33280,)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facecli.recognition.hdface import HD_CELL, HD_GRID, HD_SIZE, AlignedFace, aligned_face

__all__ = ["GABOR_BLOCK", "GABOR_SCALES", "gabor_bank", "gabor_magnitudes", "hd_gabor", "hd_gabor_face"]

GABOR_SCALES = (1.0, 0.5625)
_WAVELENGTHS = (4.0, 5.66, 8.0, 11.3, 16.0)
_ORIENTATIONS = 8
#: Values per block (one point at one scale): 4 x 4 cells x 40 filters.
GABOR_BLOCK = HD_GRID * HD_GRID * len(_WAVELENGTHS) * _ORIENTATIONS
_PAD = 24  # reflected border before the (circular) FFT filtering
#: channel of the mirror image's orientation: θ → π - θ
_MIRROR = np.array([w * _ORIENTATIONS + (_ORIENTATIONS - j) % _ORIENTATIONS for w in range(5) for j in range(8)])
_BANK: list[np.ndarray] = []
_SPECTRA: dict[tuple[int, int], Any] = {}


def gabor_bank() -> list[np.ndarray]:
    """The 40 complex kernels, wavelength-major: (k, k) complex128 each."""
    import cv2

    if not _BANK:
        for lam in _WAVELENGTHS:
            for th in np.arange(_ORIENTATIONS) * np.pi / _ORIENTATIONS:
                sig = 0.56 * lam  # a bandwidth of about one octave
                k = int(2 * np.ceil(2.5 * sig) + 1)
                re = cv2.getGaborKernel((k, k), sig, th, lam, 1.0, 0, ktype=cv2.CV_64F)
                im = cv2.getGaborKernel((k, k), sig, th, lam, 1.0, np.pi / 2, ktype=cv2.CV_64F)
                re -= re.mean()
                kern = re + 1j * im
                _BANK.append(kern / np.abs(kern).sum())
    return _BANK


def gabor_magnitudes(grey: np.ndarray) -> np.ndarray:
    """Magnitudes of the 40 filters' responses.

    Args:
        grey: (H, W) float32, values in [0, 1].

    Returns:
        (H, W, 40) float32.
    """
    import torch

    padded = np.pad(grey, _PAD, mode="reflect")
    key = padded.shape
    if key not in _SPECTRA:
        spectra = []
        for kern in gabor_bank():
            k = np.zeros(key, np.complex128)
            h = kern.shape[0] // 2
            k[: kern.shape[0], : kern.shape[1]] = kern
            spectra.append(np.fft.fft2(np.roll(k, (-h, -h), (0, 1))))
        _SPECTRA[key] = torch.from_numpy(np.stack(spectra).astype(np.complex64))
    f = torch.fft.fft2(torch.from_numpy(padded.astype(np.float32)).to(torch.complex64))
    m = torch.fft.ifft2(f[None] * _SPECTRA[key]).abs()[:, _PAD:-_PAD, _PAD:-_PAD]
    return m.numpy().transpose(1, 2, 0)


def _cells(mags: np.ndarray, pts: np.ndarray, s: float, side: int) -> np.ndarray:
    """(P, 16 x 40) mean magnitudes in the 4 x 4 cells about each point (an integral image)."""
    half = HD_GRID * HD_CELL // 2
    pad = np.pad(mags, ((half, half), (half, half), (0, 0)), mode="edge")
    ii = np.pad(pad.cumsum(0).cumsum(1), ((1, 0), (1, 0), (0, 0)))
    c = np.clip(np.round(pts * s).astype(int), 0, side) + half
    o = np.arange(-half, half, HD_CELL)
    y0 = c[:, 1, None, None] + o[None, :, None]
    x0 = c[:, 0, None, None] + o[None, None, :]
    e = HD_CELL
    cell = ii[y0 + e, x0 + e] - ii[y0, x0 + e] - ii[y0 + e, x0] + ii[y0, x0]
    return cell.reshape(len(pts), -1) / (e * e)


def hd_gabor_face(face: AlignedFace) -> np.ndarray:
    """:func:`hd_gabor` of a face already aligned (:func:`~facecli.recognition.hdface.aligned_face`).

    Returns:
        (P x 2 x 640,) float16, point-major: one block of ``GABOR_BLOCK`` per (point, scale).
    """
    import cv2

    out = []
    for s in GABOR_SCALES:
        side = int(round(HD_SIZE * s))
        g = face.grey if side == HD_SIZE else cv2.resize(face.grey, (side, side), interpolation=cv2.INTER_AREA)
        mags = gabor_magnitudes(g.astype(np.float32) / 255)
        mirror = np.ascontiguousarray(mags[:, ::-1][:, :, _MIRROR])
        out.append(_cells(mags, face.points, s, side) + _cells(mirror, face.mirror_points, s, side))
    return np.concatenate(out, 1).reshape(-1).astype(np.float16)


def hd_gabor(image: np.ndarray, five: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The high-dimensional Gabor magnitudes of one face, its mirror image's added.

    Args:
        image: (H, W, 3) uint8 RGB or (H, W) uint8 grey photo.
        five: (5, 2) float, the face's five points in ``image``.
        landmarks: (98, 2) float, its WFLW-98 points in ``image``.

    Returns:
        (33,280,) float16.
    """
    return hd_gabor_face(aligned_face(image, five, landmarks))
