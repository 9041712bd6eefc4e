"""Training next to five-point faces: the mixed loss, the dataset, the command."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.fivepoint import write_five_points
from facecli.landmarks2d.training import AlignTrainOptions, FaceCropDataset, mixed_loss
from facecli.models.musica import MuSiCaOutput, musica_loss
from facecli.schemes import to_five

from helpers.cli import ok


def _out(shapes, errors):
    return MuSiCaOutput(shapes=shapes, errors=errors, final=shapes[-1], exit_iteration=torch.ones(len(shapes[0])))


def _random_faces(seed):
    """Four faces' truth (4, 98, 2), two iterations' shapes and predicted errors, the five points."""
    g = torch.Generator().manual_seed(seed)
    gt = torch.randn(4, 98, 2, generator=g)
    shapes = [gt + 0.1 * torch.randn(4, 98, 2, generator=g) for _ in range(2)]
    errors = [torch.rand(4, generator=g) for _ in range(2)]
    return gt, shapes, errors, torch.from_numpy(to_five(gt.numpy())).float()


def test_mixed_loss_equals_musica_loss_on_full_faces_and_sees_five_point_errors():
    gt, shapes, errors, five = _random_faces(0)
    batch = {"lm": gt, "five": five, "full": torch.ones(4, dtype=torch.bool)}
    a, _ = mixed_loss(_out(shapes, errors), batch)
    b, _ = musica_loss(_out(shapes, errors), gt)
    assert torch.allclose(a, b, atol=1e-6)
    # five-point faces: zero loss when the implied five points are right, whatever the other points
    exact = [gt.clone() for _ in range(2)]
    for s in exact:
        s[:, :33] += 5.0  # the jaw is not among the five points
    five_only = {"lm": torch.zeros_like(gt), "five": five, "full": torch.zeros(4, dtype=torch.bool)}
    right = [torch.zeros(4) for _ in range(2)]  # ... and the predicted error is 0
    loss, metrics = mixed_loss(_out(exact, right), five_only)
    assert float(loss) < 1e-6 and metrics["nme5"] < 1e-6
    loss, _ = mixed_loss(_out(shapes, right), five_only)
    assert float(loss) > 0.01


def test_the_predicted_error_learns_from_five_point_faces():
    """On five-point faces the head is pulled towards their five-point error in inter-ocular units
    (the full faces' unit): the loss is least when it predicts exactly that."""
    from facecli.models.musica import EYE_CORNERS
    from facecli.schemes import five_weights

    g = torch.Generator().manual_seed(1)
    gt = torch.randn(3, 98, 2, generator=g)
    shape = gt + 0.2 * torch.randn(3, 98, 2, generator=g)
    five = torch.from_numpy(to_five(gt.numpy())).float()
    batch = {"lm": torch.zeros_like(gt), "five": five, "full": torch.zeros(3, dtype=torch.bool)}
    p5 = torch.einsum("fl,bld->bfd", torch.as_tensor(five_weights(98), dtype=torch.float32), shape)
    a, b = EYE_CORNERS[98]
    target = (p5 - five).norm(dim=-1).mean(dim=1) / (shape[:, a] - shape[:, b]).norm(dim=-1)
    at_target, _ = mixed_loss(_out([shape], [target]), batch)
    above, _ = mixed_loss(_out([shape], [target + 0.05]), batch)
    below, _ = mixed_loss(_out([shape], [target - 0.05]), batch)
    assert float(above) > float(at_target) + 1e-3 and float(below) > float(at_target) + 1e-3
    err2 = (target + 0.05).requires_grad_(True)
    mixed_loss(_out([shape], [err2]), batch)[0].backward()
    assert (err2.grad > 0).all()  # predicting too high: the gradient lowers it


@pytest.mark.parametrize("flip", [False, True])
def test_dataset_mixes_full_and_five_point_faces(flip):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (200, 200), dtype=np.uint8)
    lm = rng.uniform(60, 140, (98, 2))
    five = to_five(lm)
    box = np.array([50.0, 50.0, 150.0, 150.0])
    opts = AlignTrainOptions(crop=64, flip=flip, scale_aug=0, shift_aug=0, rotate_aug=0)
    ds = FaceCropDataset([img, img], [lm, five], [box, box], opts, seed=0, augment=flip, n_landmarks=98)
    a, b = ds[0], ds[1]
    assert bool(a["full"]) and not bool(b["full"]) and b["lm"].abs().sum() == 0
    assert a["five"].shape == b["five"].shape == (5, 2)
    if not flip:  # un-augmented: the five points of the full face are those of the five-point face
        np.testing.assert_allclose(a["five"].numpy(), b["five"].numpy(), atol=1e-4)


def test_train_with_five_point_faces(wflw_dir, tmp_path):
    from facecli.landmarks2d.data import load_alignment_set

    faces = load_alignment_set(wflw_dir, fmt="wflw", split="all")[:4]
    csv = write_five_points(tmp_path / "five.csv", [(f.image, to_five(f.landmarks)) for f in faces])
    out = tmp_path / "m.pt"
    args = ["--seed", "0", "align", "train", str(wflw_dir), "--split", "all", "-o", str(out), "--epochs", "1"]
    five = ["--five-point", str(csv), "--five-point-weight", "0.3", "--photo-aug", "0.5"]
    r = ok(CliRunner().invoke(app, [*args, "--batch-size", "4", *five, "--val-fraction", "0"]))
    assert "4 five-point faces" in r.stderr
    out2 = tmp_path / "m2.pt"
    ok(CliRunner().invoke(app, [*args[:-4], "-o", str(out2), "--epochs", "1", "--init", str(out), "--batch-size", "4"]))
    from facecli.models.registry import load

    _, file = load(out2, expect="musica")
    assert "fine-tuned from" in file["meta"]["trained_on"]
    _, first = load(out, expect="musica")
    assert first["meta"]["options"]["five_point_weight"] == 0.3
    assert first["meta"]["options"]["photo_aug"] == 0.5


def test_the_five_point_weight_scales_only_the_five_point_faces():
    gt, shapes, errors, five = _random_faces(2)
    full = torch.tensor([True, True, False, False])
    batch = {"lm": torch.where(full[:, None, None], gt, torch.zeros_like(gt)), "five": five, "full": full}
    w1, _ = mixed_loss(_out(shapes, errors), batch)
    w0, _ = mixed_loss(_out(shapes, errors), batch, five_weight=0.0)
    w3, _ = mixed_loss(_out(shapes, errors), batch, five_weight=0.3)
    assert float(w0) > 0 and float(w1) > float(w0)
    # linear in the weight: the full faces' part is untouched
    assert torch.allclose(w3, w0 + 0.3 * (w1 - w0), atol=1e-6)
