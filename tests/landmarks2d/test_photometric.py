import numpy as np
import pytest

from facecli.errors import ValidationError
from facecli.landmarks2d.photometric import degrade
from facecli.landmarks2d.training import AlignTrainOptions, FaceCropDataset


def _face_like(side: int = 64) -> np.ndarray:
    y, x = np.mgrid[:side, :side]
    img = 120 + 80 * np.cos(x / 5.0) * np.sin(y / 7.0)
    img[side // 3 : side // 3 + 4, side // 4 : side // 2] = 20  # a sharp dark stripe (an eye)
    return img.astype(np.float32)


def test_degrade_is_seeded_bounded_and_changes_the_crop():
    crop = _face_like()
    a = degrade(crop, np.random.default_rng(3))
    b = degrade(crop, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == crop.shape and a.dtype == np.float32
    outs = [degrade(crop, np.random.default_rng(s)) for s in range(20)]
    assert all(o.min() >= 0 and o.max() <= 255 for o in outs)
    changed = [float(np.abs(o - crop).mean()) for o in outs]
    assert sum(c > 1.0 for c in changed) >= 15  # nearly every chain does something visible
    # some chains lose detail: the stripe's edge gets softer (blur, low resolution or JPEG)
    edge = lambda im: float(np.abs(np.diff(im, axis=0)).max())  # noqa: E731
    assert min(edge(o) for o in outs) < 0.7 * edge(crop)
    with pytest.raises(ValidationError, match="grey crop"):
        degrade(np.zeros((8, 8, 3), np.float32), np.random.default_rng(0))


def test_photo_aug_changes_pixels_not_landmarks_and_zero_is_the_old_crop():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (200, 200), dtype=np.uint8)
    lm = rng.uniform(60, 140, (98, 2))
    box = np.array([50.0, 50.0, 150.0, 150.0])
    base = FaceCropDataset([img], [lm], [box], AlignTrainOptions(crop=64), seed=0, n_landmarks=98)
    aug = FaceCropDataset([img], [lm], [box], AlignTrainOptions(crop=64, photo_aug=1.0), seed=0, n_landmarks=98)
    differ = 0
    for epoch in range(4):
        base.set_epoch(epoch)
        aug.set_epoch(epoch)
        a, b = base[0], aug[0]
        np.testing.assert_array_equal(a["lm"].numpy(), b["lm"].numpy())  # same geometry draws
        differ += int(not np.allclose(a["image"].numpy(), b["image"].numpy()))
    assert differ >= 3
    base.set_epoch(0)
    off = FaceCropDataset([img], [lm], [box], AlignTrainOptions(crop=64, photo_aug=0.0), seed=0, n_landmarks=98)
    np.testing.assert_array_equal(off[0]["image"].numpy(), base[0]["image"].numpy())
