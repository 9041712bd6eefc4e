"""The shipped DGPA-Net loads, says it was trained on synthetic data, and verifies unseen people."""

from __future__ import annotations

import json

import numpy as np

from facecli.recognition.data import identity_labels, load_face_inputs
from facecli.recognition.embed import DEFAULT_DGPA, load_dgpa
from facecli.recognition.training import all_pairs_eer, embed_array


def test_default_model_is_labelled_and_verifies_unseen_people(tmp_path):
    from facecli.synth.identities import write_identities

    card = json.loads(DEFAULT_DGPA.with_suffix(".json").read_text())
    assert "SYNTHETIC" in card["trained_on"]
    m = load_dgpa()
    assert m.meta["synthetic"] is True and m.config.inputs == ("normals",)
    assert m.config.grid == "dynamic" and m.config.attention
    # people the model never saw (training used indices 0..299)
    write_identities(
        tmp_path,
        identities=20,
        per_identity=3,
        seed=0,
        start=5000,
        size=48,
        normal_size=m.config.input_size,
        pairs_per_fold=1,
    )
    data = load_face_inputs(tmp_path / "normals_gt.h5", size=m.config.input_size)
    emb = embed_array(m.net, data.x)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    eer = all_pairs_eer(emb, np.array(identity_labels(data.ids)))
    assert eer < 0.10, eer
