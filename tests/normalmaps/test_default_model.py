"""The shipped CAP model loads, says it was trained on synthetic data, and beats the Sobel baseline."""

from __future__ import annotations

import json

import numpy as np

from facecli.metrics.normals import angular_errors
from facecli.normalmaps.predictor import DEFAULT_CAP, load_cap
from facecli.normalmaps.renders import load_render_set
from facecli.normalmaps.sobel import sobel_normals


def test_default_model_is_labelled_and_better_than_sobel(tmp_path):
    from facecli.synth.images import write_images

    card = json.loads(DEFAULT_CAP.with_suffix(".json").read_text())
    assert "SYNTHETIC" in card["trained_on"]
    pred = load_cap()
    assert pred.meta["synthetic"] is True and pred.input_size == 128
    write_images(tmp_path, scheme="ibug68", count=4, seed=11, size=128)  # people not in training (seed 0)
    data = load_render_set(tmp_path)
    n, m = pred.predict(data.images, [128, 64])[128]
    assert np.abs(np.linalg.norm(n, axis=-1) - 1).max() < 1e-4
    cap_err = angular_errors(n, data.normals, data.masks).mean()
    sob_err = np.concatenate(
        [angular_errors(sobel_normals(i, 4.0), g, k) for i, g, k in zip(data.images, data.normals, data.masks)]
    ).mean()
    assert cap_err < 0.5 * sob_err, (cap_err, sob_err)
    # the predicted face mask overlaps the true one
    assert (m & data.masks).sum() / (m | data.masks).sum() > 0.8
