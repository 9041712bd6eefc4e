"""Face verification on the real LFW, View 2, under "image-unrestricted, no outside labelled
identities": whatever learns identities for fold k sees only the people of the nine other
folds of ``people.txt``; the threshold is chosen on the nine other folds' pairs; fold k's
300 + 300 pairs are scored once.

Data (../shared/REALDATA.md; nothing shipped, nothing downloaded)::

  git -C M archive HEAD images pairs.txt people.txt | tar -x -C ~/.cache/facecli-real/lfw
  # M: the bare clone `fetch github:umass-vis-lfw/umass-vis-lfw.github.io` returns

Run (the stages are cached in --work, so a run can stop and go on; --folds takes a slice)::

  .venv/bin/python benchmarks/lfw/bench.py --lfw ~/.cache/facecli-real/lfw \\
      --work ~/.cache/facecli-real/lfw-work --variants lbp-chi2,lbp-pca-lda,pixels-pca-lda,seed
  .venv/bin/python benchmarks/lfw/bench.py ... --folds 0-4 --resume   # then 5-9 elsewhere

Stages:

1. faces: facecli's detector (MTCNN) on every LFW image; the face nearest the image centre;
   its five points refined by the shipped ``align`` model (98 points → 5); yaw from them.
2. crops: every face aligned to facecli's five-point template (a similarity), 112 px.
3. one feature per image and variant, then per fold: training (if the variant trains, on the
   fold's training people only), the scores of all 6,000 pairs under that fold's model, the
   threshold on the 5,400 other-fold pairs, the fold's accuracy.

Variants (and their LFW category; the detector and the aligner were trained on outside data
without identities, so every row is at best "unrestricted, label-free outside data"):

- ``lbp-chi2``: uniform-LBP histograms (P = 8, R = 1 and 2, 8 x 8 cells) with the chi-square
  distance. Learns nothing.
- ``lbp-pca-lda``: the same histograms, square-rooted, PCA (whitened) then LDA, trained per
  fold on the training people; cosine similarity. Mirror images averaged.
- ``pixels-pca-lda``: Fisherfaces: PCA + LDA on the aligned grey pixels.
- ``seed``: the seed's pipeline as shipped: ``facecli normals`` (CAP, --boxes auto) then
  ``facecli grid-attn embed --flip`` with the shipped synthetic-trained DGPA; cosine. Learns
  nothing from LFW.
- ``hdlbp-pca-lda``, ``hdlbp-pca400-lda``, ``hdlbp12-pca-lda``: high-dimensional LBP about 26 of
  the aligner's points (:mod:`facecli.recognition.hdlbp`), block PCA, PCA + LDA; radius 1, or 1
  and 2 fused.
- ``hdlbp-sift-gabor-pca-lda``: that LBP, high-dimensional SIFT and Gabor magnitudes
  (:mod:`facecli.recognition.hdsift`, :mod:`facecli.recognition.hdgabor`), a PCA + LDA each,
  cosines averaged; ``hd3-blocks-pca-lda``: the same with every part reduced block by block (the
  shipped ``hd_lfw.pt``); ``hdlbp-sift-gabor-inner``: its threshold from out-of-sample scores of
  the training people (:func:`inner_threshold`).
- ``dlib`` (outside-data reference, separate environment): dlib's ResNet descriptor on its
  own 5-point alignment (--peer-python, --dlib-models).

Reported: mean ± std of the ten fold accuracies, EER and TAR at FAR 1e-2 / 1e-3 over the
6,000 test scores (each pair scored by its own fold's model), the large-pose subset (either
face's |yaw| > 45°), the ROC (a PNG), and the seconds per fold.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CROP = 112
#: variant → the (feature, transform, PCA dimensions, LDA shrinkage) it fits PCA + LDA on, per
#: fold (several: their cosine scores are averaged); None: the variant learns nothing.
PIPELINES: dict[str, list[tuple[str, str, int, float]] | None] = {
    "lbp-chi2": None,
    "lbp-pca-lda": [("lbp", "sqrt", 400, 0.1)],
    "pixels-pca-lda": [("pixels", "none", 300, 0.1)],
    "mslbp-pca-lda": [("mslbp", "sqrt", 800, 0.1)],
    "hog-pca-lda": [("hog", "sqrt", 600, 0.1)],
    "mslbp-hog-pca-lda": [("mslbp", "sqrt", 800, 0.1), ("hog", "sqrt", 600, 0.1)],
    "hdlbp-pca-lda": [("hdlbp", "blocks", 600, 0.1)],
    "mslbp-hog-hdlbp-pca-lda": [("mslbp", "sqrt", 800, 0.1), ("hog", "sqrt", 600, 0.1), ("hdlbp", "blocks", 600, 0.1)],
    # chosen on View 1 (RESULTS.md): PCA 400 and almost no shrinkage; LBP radius 1 and 2 fused
    "hdlbp-pca400-lda": [("hdlbp", "blocks", 400, 0.001)],
    "hdlbp12-pca-lda": [("hdlbp", "blocks", 400, 0.001), ("hdlbp2", "blocks", 400, 0.001)],
    # chosen on View 1 (2026-12-03, third run): high-dimensional SIFT and Gabor next to the LBP
    "hdlbp-sift-gabor-pca-lda": [
        ("hdlbp", "blocks", 400, 0.001),
        ("hdsift", "sqrt", 400, 0.001),
        ("hdgabor", "sqrt", 400, 0.001),
    ],
    "hdlbp12-sift-gabor-pca-lda": [
        ("hdlbp", "blocks", 400, 0.001),
        ("hdlbp2", "blocks", 400, 0.001),
        ("hdsift", "sqrt", 400, 0.001),
        ("hdgabor", "sqrt", 400, 0.001),
    ],
    # what the shipped hdlbp_lfw.pt is: every part reduced block by block first (a smaller file)
    "hd3-blocks-pca-lda": [
        ("hdlbp", "blocks", 400, 0.001),
        ("hdsift", "blocks", 400, 0.001),
        ("hdgabor", "blocks", 400, 0.001),
    ],
    "seed": None,
    "dlib": None,
}
#: variants whose threshold comes from out-of-sample scores of the training people (see
#: ``inner_threshold``) → the variant whose model and test scores they share
INNER_THRESHOLD = {"hdlbp-sift-gabor-inner": "hdlbp-sift-gabor-pca-lda"}
PIPELINES.update({v: PIPELINES[base] for v, base in INNER_THRESHOLD.items()})
VARIANTS = tuple(PIPELINES)
_LFW_ONLY = "unrestricted, label-free outside data (detector, aligner)"
CATEGORY = {
    **dict.fromkeys(VARIANTS, _LFW_ONLY),
    "seed": "unrestricted, label-free outside data (detector; CAP and DGPA synthetic)",
    "dlib": "unrestricted, labelled outside data (dlib's descriptor: millions of faces)",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- stage 1 and 2: faces and aligned crops -------------------------------------------------------
def all_images(lfw: Path) -> list[str]:
    from facecli.io.lfw import lfw_image_path, read_people

    out = []
    for fold in read_people(lfw / "people.txt"):
        for name, n in fold.items():
            out += [lfw_image_path(name, i) for i in range(1, n + 1)]
    return [i for i in out if (lfw / "images" / i).exists()]


def find_faces(lfw: Path, work: Path, ids: list[str], threads: int = 2) -> dict[str, np.ndarray]:
    """Detector + aligner on every image, cached in WORK/faces.npz (resumable in chunks): the
    five points, the detector's own five, whether it found a face, the 98 points (``lm``)."""
    import torch

    from facecli.detection import FaceDetector
    from facecli.io.image import read_image
    from facecli.landmarks2d.pose import yaw_from_five
    from facecli.landmarks2d.predictor import Aligner
    from facecli.schemes import to_five

    path = work / "faces.npz"
    done: dict[str, np.ndarray] = dict(np.load(path, allow_pickle=False)) if path.exists() else {}
    if done and len(done["ids"]) == len(ids) and "yaw" in done and "lm" in done:
        return done
    torch.set_num_threads(threads)
    det, aligner = FaceDetector(), Aligner()
    start = len(done.get("ids", []))
    keys = ("ids", "five", "det_five", "found", "lm")
    if done and "lm" not in done:  # made before the 98 points were kept: start again
        done = {}
    rows = {k: list(done[k]) for k in keys} if done else {k: [] for k in keys}
    t0 = time.perf_counter()
    for n, i in enumerate(ids[start:], start):
        img = read_image(lfw / "images" / i)
        h, w = img.shape[:2]
        faces = det.detect(img, name=i)
        if len(faces):
            centres = (faces.boxes[:, :2] + faces.boxes[:, 2:]) / 2
            k = int(np.argmin(np.linalg.norm(centres - [w / 2, h / 2], axis=1)))
            five0 = faces.keypoints[k].astype(np.float64)
        else:  # none found: the template placed on the image's central 40 %
            from facecli.detection.alignment import FIVE_POINT_TEMPLATE

            five0 = (FIVE_POINT_TEMPLATE - 0.5) * 0.4 * min(h, w) + [w / 2, h / 2]
        lm = aligner.predict([img], [aligner.box_from_five(five0)], sources=[i])[0].landmarks
        rows["ids"].append(i)
        rows["five"].append(to_five(lm).astype(np.float32))
        rows["lm"].append(lm.astype(np.float32))
        rows["det_five"].append(five0.astype(np.float32))
        rows["found"].append(bool(len(faces)))
        if (n + 1) % 500 == 0 or n + 1 == len(ids):
            np.savez(path.with_suffix(".tmp.npz"), **{k: np.asarray(v) for k, v in rows.items()})
            path.with_suffix(".tmp.npz").replace(path)
            rate = (n + 1 - start) / (time.perf_counter() - t0)
            log(f"faces: {n + 1}/{len(ids)} ({rate:.1f} images/s)")
    out = {k: np.asarray(v) for k, v in rows.items()}
    out["yaw"] = np.array([yaw_from_five(f) for f in out["five"]], np.float32)
    np.savez(path, **out)
    return out


def aligned_crops(lfw: Path, work: Path, faces: dict[str, np.ndarray]) -> np.ndarray:
    from facecli.detection.alignment import align_face
    from facecli.io.image import read_image

    path = work / f"crops{CROP}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r")
    crops = np.stack([align_face(read_image(lfw / "images" / i), f, CROP) for i, f in zip(faces["ids"], faces["five"])])
    np.save(path, crops)
    return crops


# -- features ---------------------------------------------------------------------------------------
def lbp_histograms(crops: np.ndarray, cells: int = 8) -> np.ndarray:
    """(N, cells² x 59 x 2) normalised uniform-LBP histograms (R = 1 and 2), mirror images averaged."""
    import cv2
    from skimage.feature import local_binary_pattern

    def one(grey: np.ndarray) -> np.ndarray:
        parts = []
        for r in (1, 2):
            codes = local_binary_pattern(grey, 8, r, method="nri_uniform").astype(np.int64)  # 59 codes
            side = grey.shape[0] // cells
            c = codes[: side * cells, : side * cells].reshape(cells, side, cells, side).transpose(0, 2, 1, 3)
            c = c.reshape(cells * cells, -1)
            h = np.stack([np.bincount(row, minlength=59) for row in c]).astype(np.float32)
            parts.append(h / h.sum(axis=1, keepdims=True))
        return np.concatenate(parts).reshape(-1)

    out = []
    for img in crops:
        grey = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
        out.append((one(grey) + one(grey[:, ::-1].copy())) / 2)
    return np.stack(out)


def multiscale_lbp(crops: np.ndarray) -> np.ndarray:
    """Uniform-LBP histograms (R = 1 and 2) over the crop at 112, 80 and 56 px, cells of 14, 10 and 8 px
    (8 x 8, 8 x 8 and 7 x 7 cells), mirror images averaged: (N, 21,594)."""
    import cv2

    out = []
    for img in crops:
        grey = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
        parts = []
        for side, cells in ((112, 8), (80, 8), (56, 7)):
            g = grey if side == grey.shape[0] else cv2.resize(grey, (side, side), interpolation=cv2.INTER_AREA)
            parts.append(lbp_histograms(g[None, :, :, None].repeat(3, axis=3), cells=cells)[0])
        out.append(np.concatenate(parts))
    return np.stack(out)


def hog_features(crops: np.ndarray) -> np.ndarray:
    """HOG (9 orientations, 8 px cells, 2 x 2 blocks) of the grey crop at 112 and 64 px, mirror
    images averaged."""
    import cv2
    from skimage.feature import hog

    def one(g: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [
                hog(g, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), feature_vector=True),
                hog(
                    cv2.resize(g, (64, 64), interpolation=cv2.INTER_AREA),
                    orientations=9,
                    pixels_per_cell=(8, 8),
                    cells_per_block=(2, 2),
                    feature_vector=True,
                ),
            ]
        ).astype(np.float32)

    out = []
    for img in crops:
        grey = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
        out.append((one(grey) + one(np.ascontiguousarray(grey[:, ::-1]))) / 2)
    return np.stack(out)


#: the benchmark's high-dimensional feature names → the library's part names
#: (:data:`facecli.recognition.hdparts.HD_PARTS`: the descriptor, its block size and divisor)
HD_FEATURES = {"hdlbp": "lbp1", "hdlbp2": "lbp2", "hdsift": "sift", "hdgabor": "gabor"}


def hd_features(lfw: Path, faces: dict[str, np.ndarray], name: str) -> np.ndarray:
    """(N, D) high-dimensional descriptor ``name`` (``HD_FEATURES``) about the aligner's points,
    mirror image added (:mod:`facecli.recognition.hdlbp`, ``hdsift``, ``hdgabor``)."""
    from facecli.io.image import read_image
    from facecli.recognition.hdface import aligned_face
    from facecli.recognition.hdparts import HD_PARTS

    describe_face = HD_PARTS[HD_FEATURES[name]][0]
    out = None
    for n, (i, five, lm) in enumerate(zip(faces["ids"], faces["five"], faces["lm"])):
        v = describe_face(aligned_face(read_image(lfw / "images" / i), five, lm))
        if out is None:
            out = np.zeros((len(faces["ids"]), len(v)), v.dtype)
        out[n] = v
        if (n + 1) % 2000 == 0:
            log(f"{name}: {n + 1}/{len(out)}")
    assert out is not None
    return out


def block_pca(
    x: np.ndarray, train: np.ndarray, name: str, *, per_block: int = 48, sample: int = 3000, seed: int = 0
) -> np.ndarray:
    """Each (point, scale) block of the high-dimensional descriptor ``name``, square-rooted and
    reduced by its own PCA fitted on (a sample of) the training rows: (N, blocks x per_block)
    float32 (the global PCA of ``pca_lda`` then runs on a few thousand dimensions)."""
    from facecli.recognition.hdparts import HD_PARTS
    from facecli.recognition.hdprojection import HDProjection, fit_block_pca

    _, block, norm = HD_PARTS[HD_FEATURES[name]]
    rows = np.flatnonzero(train)
    rng = np.random.default_rng(seed)
    fit = np.sort(rng.choice(rows, size=min(sample, len(rows)), replace=False))
    means, bases = fit_block_pca(x[fit], per_block, block, norm)
    empty = np.zeros((0, 0), np.float32)
    return HDProjection(means, bases, empty, np.zeros(0, np.float32), block, norm).block_features(x)


def pixel_features(crops: np.ndarray) -> np.ndarray:
    import cv2

    out = []
    for img in crops:
        g = cv2.resize(
            cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY), (56, 56), interpolation=cv2.INTER_AREA
        )
        g = g[4:52, 8:48].astype(np.float32)  # the inner face
        g = (g - g.mean()) / (g.std() + 1e-3)
        out.append(((g + g[:, ::-1]) / 2).reshape(-1))
    return np.stack(out)


def seed_embeddings(lfw: Path, work: Path, ids: list[str], device: str) -> np.ndarray:
    """The README's photo pipeline through the command line: normals (CAP) → grid-attn embed --flip."""
    from facecli.io.container import ContainerReader

    listing = work / "seed_images.txt"
    listing.write_text("".join(f"{lfw / 'images' / i}\n" for i in ids))
    normals, emb = work / "seed_normals.h5", work / "seed_emb.h5"
    exe = str(ROOT / ".venv" / "bin" / "facecli")
    if not emb.exists():
        with listing.open() as stdin:
            cmd = [exe, "--device", device, "normals", "-", "--scales", "96", "-o", str(normals), "--resume"]
            subprocess.run(cmd, check=True, stdin=stdin)
        subprocess.run([exe, "grid-attn", "embed", str(normals), "--flip", "-o", str(emb)], check=True)
    with ContainerReader(emb) as r:
        by_id = {Path(i).as_posix(): e for i, e in zip(r.ids, np.asarray(r.read("embedding")))}
    rows = []
    for i in ids:
        key = next((k for k in (str(lfw / "images" / i), i, Path(i).name) if k in by_id), None)
        if key is None:
            key = next(k for k in by_id if k.endswith(i))
        rows.append(by_id[key])
    return np.stack(rows).astype(np.float32)


def dlib_embeddings(lfw: Path, work: Path, ids: list[str], python: str, models: Path) -> np.ndarray:
    path = work / "dlib_emb.npy"
    if not path.exists():
        job = {"images": [str(lfw / "images" / i) for i in ids], "models": str(models)}
        (work / "dlib_job.json").write_text(json.dumps(job))
        subprocess.run(
            [python, str(Path(__file__).with_name("peers.py")), str(work / "dlib_job.json"), str(path)], check=True
        )
    return np.load(path)


# -- per-fold models and scores ---------------------------------------------------------------------
def cosine(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return np.sum(x[a] * x[b], axis=1)


def chi2_similarity(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    p, q = x[a], x[b]
    return -np.sum((p - q) ** 2 / (p + q + 1e-10), axis=1)


def pca_lda(
    x: np.ndarray, labels: np.ndarray, train: np.ndarray, *, pca_dim: int, seed: int, shrinkage: float = 0.1
) -> np.ndarray:
    """Fit PCA (whitened) + LDA (covariance ``shrinkage``) on the training rows; every row projected."""
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    pca = PCA(n_components=pca_dim, whiten=True, svd_solver="randomized", random_state=seed).fit(x[train])
    z = pca.transform(x)
    lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage=shrinkage).fit(z[train], labels[train])
    return lda.transform(z)


def variant_scores(
    variant: str,
    feats: dict[str, np.ndarray],
    people: np.ndarray,
    train: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    seed: int,
    cache: Path | None = None,
    key: str = "",
) -> np.ndarray:
    """Similarity of pairs (a[i], b[i]) under the variant's model, fitted on the rows ``train``
    (each PCA + LDA part's scores kept in ``cache`` under ``key``, e.g. the fold)."""
    steps = PIPELINES[variant]
    if steps is None:
        x = feats[variant if variant in ("seed", "dlib") else "lbp"]
        return chi2_similarity(x, a, b) if variant == "lbp-chi2" else cosine(x, a, b)
    total = np.zeros(len(a))
    for name, transform, dim, shrink in steps:
        tag = f"{name}-{transform}-{dim}" + ("" if shrink == 0.1 else f"-s{shrink:g}")
        cached = cache / f"{tag}-{key}.npy" if cache is not None else None
        if cached is not None and cached.exists():  # a fusion reuses its parts' scores
            total += np.load(cached)
            continue
        if transform == "blocks":
            x = block_pca(feats[name], train, name, seed=seed)
        else:
            x = feats[name].astype(np.float32) if feats[name].dtype == np.float16 else feats[name]
            x = np.sqrt(x) if transform == "sqrt" else x
        part = cosine(pca_lda(x, people, train, pca_dim=dim, seed=seed, shrinkage=shrink), a, b)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.save(cached, part)
        total += part
    return total / len(steps)


def inner_threshold(
    variant: str,
    feats: dict,
    people: np.ndarray,
    train: np.ndarray,
    seed: int,
    *,
    groups: int = 3,
    pairs: int = 1000,
    cache: Path | None = None,
    key: str = "",
) -> float:
    """A threshold from scores the model did not train on, chosen with the training people only.

    A model's scores on the pairs of its own training people are optimistic (LDA separates
    them almost perfectly), so a threshold chosen on them misses on new people. Here the
    training people are split into ``groups`` (seeded); for each group, the variant is fitted on
    the others' people and scores ``pairs`` same-person and ``pairs`` different-person pairs
    formed among the group's images. The threshold that is best on all these out-of-sample
    scores is the one the fold's full model is tested at. No test-fold person is involved.
    """
    from facecli.metrics.verification import best_threshold

    rows = np.flatnonzero(train)
    persons = np.unique(people[rows])
    rng = np.random.default_rng(seed)
    group_of = dict(zip(persons, rng.integers(0, groups, len(persons))))
    g_rows = np.array([group_of[p] for p in people[rows]])
    scores, same = [], []
    for g in range(groups):
        held = rows[g_rows == g]
        by: dict[str, list[int]] = {}
        for r in held:
            by.setdefault(people[r], []).append(int(r))
        multi = sorted(p for p, v in by.items() if len(v) >= 2)
        prng = np.random.default_rng([seed, g])
        sp = [tuple(prng.choice(by[p], 2, replace=False)) for p in prng.choice(multi, pairs)]
        dp: list[tuple[int, int]] = []
        while len(dp) < pairs:
            i, j = prng.choice(held, 2)
            if people[i] != people[j]:
                dp.append((int(i), int(j)))
        ab = np.array(sp + dp)
        fit = train & ~np.isin(np.arange(len(people)), held)
        scores.append(variant_scores(variant, feats, people, fit, ab[:, 0], ab[:, 1], seed, cache, f"inner{g}-{key}"))
        same.append(np.r_[np.ones(pairs, bool), np.zeros(pairs, bool)])
    return best_threshold(np.concatenate(scores), np.concatenate(same))


def trainable(people: np.ndarray, allowed: frozenset[str] | set[str]) -> np.ndarray:
    """Rows of the allowed people who have at least two images (LDA needs within-person spread)."""
    counts: dict[str, int] = {}
    for p in people:
        counts[p] = counts.get(p, 0) + 1
    return np.array([p in allowed and counts[p] >= 2 for p in people])


def run_fold(
    variant: str, k: int, feats: dict, people: np.ndarray, pairs_ab: tuple, folds, seed: int, cache: Path | None = None
) -> dict:
    from facecli.recognition.protocol import protocol_accuracy

    a, b, same, pfold = pairs_ab
    t0 = time.perf_counter()
    fold = folds[k]
    train = trainable(people, fold.train_people)
    assert not any(p in fold.test_people for p in people[train])  # the protocol, asserted
    scores = variant_scores(variant, feats, people, train, a, b, seed, cache=cache, key=f"fold{k}")
    test = pfold == k
    learns = PIPELINES[variant] is not None
    embedded = np.ones(len(a), bool)
    if variant in ("seed", "dlib"):  # run on some folds' images only: the other folds cannot give a threshold
        x = feats[variant]
        embedded = np.abs(x[a]).sum(axis=1) * np.abs(x[b]).sum(axis=1) > 0
    if variant in INNER_THRESHOLD:
        thr = inner_threshold(variant, feats, people, train, seed, cache=cache, key=f"fold{k}")
        acc = float(np.mean((scores[test] >= thr) == same[test]))
    elif embedded[~test].all():
        acc, thr = protocol_accuracy(scores[~test], same[~test], scores[test], same[test])
    else:
        acc = thr = float("nan")
        log(f"{variant} fold {k + 1}: the other folds' images were not embedded, so no threshold: EER only")
    return {
        "fold": k,
        "accuracy": acc,
        "threshold": thr,
        "test_scores": scores[test].tolist(),
        "train_images": int(train.sum()) if learns else 0,
        "train_people": len(set(people[train])) if learns else 0,
        "seconds": time.perf_counter() - t0,
    }


def read_dev_pairs(path: Path) -> list[tuple[str, str, bool]]:
    """View 1's ``pairsDevTrain.txt`` / ``pairsDevTest.txt``: N, then N matched and N mismatched lines."""
    from facecli.io.lfw import lfw_image_path

    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    n = int(lines[0][0])
    out = [(lfw_image_path(f[0], int(f[1])), lfw_image_path(f[0], int(f[2])), True) for f in lines[1 : n + 1]]
    out += [(lfw_image_path(f[0], int(f[1])), lfw_image_path(f[2], int(f[3])), False) for f in lines[n + 1 : 2 * n + 1]]
    return out


def view1(variant: str, lfw: Path, feats: dict, ids: list[str], people: np.ndarray, seed: int) -> dict:
    """Model selection on View 1 (LFW's development view): train on peopleDevTrain, threshold on
    pairsDevTrain, accuracy on pairsDevTest. View 2 is never used to choose anything."""
    from facecli.recognition.protocol import protocol_accuracy

    index = {i: n for n, i in enumerate(ids)}
    tr = [p for p in read_dev_pairs(lfw / "pairsDevTrain.txt") if p[0] in index and p[1] in index]
    te = [p for p in read_dev_pairs(lfw / "pairsDevTest.txt") if p[0] in index and p[1] in index]  # all 1,000
    dev_people = set(read_people_single(lfw / "peopleDevTrain.txt"))
    test_people = set(read_people_single(lfw / "peopleDevTest.txt"))
    assert not dev_people & test_people
    train = trainable(people, dev_people)
    a = np.array([index[x] for x, _, _ in tr + te])
    b = np.array([index[y] for _, y, _ in tr + te])
    same = np.array([s for _, _, s in tr + te])
    scores = variant_scores(variant, feats, people, train, a, b, seed)
    n = len(tr)
    acc, thr = protocol_accuracy(scores[:n], same[:n], scores[n:], same[n:])
    if variant in INNER_THRESHOLD:  # the threshold from out-of-sample scores of the training people
        thr = inner_threshold(variant, feats, people, train, seed)
        acc = float(np.mean((scores[n:] >= thr) == same[n:]))
    return {"variant": variant, "dev_accuracy": acc, "train_people": len(set(people[train]))}


def read_people_single(path: Path) -> dict[str, int]:
    """View 1's ``peopleDev*.txt``: a count, then ``name images`` lines (one fold)."""
    from facecli.io.lfw import read_people

    tmp = path.with_name(f".{path.name}.folds")
    tmp.write_text("1\n" + path.read_text())
    try:
        return read_people(tmp)[0]
    finally:
        tmp.unlink()


def parse_folds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def report(variant: str, fold_rows: list[dict], same: np.ndarray, pfold: np.ndarray, large: np.ndarray) -> dict:
    from facecli.metrics.verification import equal_error_rate, roc, tar_at_far

    rows = sorted(fold_rows, key=lambda r: r["fold"])
    scores = np.zeros(len(same))
    for r in rows:
        scores[pfold == r["fold"]] = r["test_scores"]
    have = np.isin(pfold, [r["fold"] for r in rows])
    s, y = scores[have], same[have]
    accs = np.array([r["accuracy"] for r in rows], dtype=np.float64)
    accs = accs[np.isfinite(accs)]
    eer, _ = equal_error_rate(s, y)
    lg = large[have]
    correct = np.zeros(len(same), bool)
    for r in rows:
        m = pfold == r["fold"]
        correct[m] = (scores[m] >= r["threshold"]) == same[m] if np.isfinite(r["threshold"]) else False
    curve = roc(s, y)
    return {
        "variant": variant,
        "category": CATEGORY[variant],
        "folds": [r["fold"] for r in rows],
        "accuracy_mean": float(accs.mean()) if len(accs) else None,
        "accuracy_std": float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
        "fold_accuracies": accs.tolist(),
        "eer": float(eer),
        "tar_far_1e-2": float(tar_at_far(s, y, 1e-2)),
        "tar_far_1e-3": float(tar_at_far(s, y, 1e-3)),
        "large_pose_pairs": int(lg.sum()),
        "large_pose_accuracy": float(correct[have][lg].mean()) if lg.any() and len(accs) else None,
        "other_accuracy": float(correct[have][~lg].mean()) if len(accs) else None,
        "seconds_per_fold": float(np.mean([r["seconds"] for r in rows])),
        "train_people_per_fold": float(np.mean([r["train_people"] for r in rows])),
        "roc": {
            "far": curve.far.tolist()[:: max(1, len(curve.far) // 400)],
            "tar": curve.tar.tolist()[:: max(1, len(curve.tar) // 400)],
        },
    }


class Features:
    """Every image's features, computed once per name and cached in --work (with their time)."""

    def __init__(self, args: argparse.Namespace, ids: list[str], faces: dict[str, np.ndarray], need: np.ndarray):
        self.args, self.ids, self.faces, self.need = args, ids, faces, need
        self.cache: dict[str, np.ndarray] = {}
        self._crops: np.ndarray | None = None

    def crops(self) -> np.ndarray:
        if self._crops is None:
            self._crops = aligned_crops(self.args.lfw, self.args.work, self.faces)
        return self._crops

    def names(self, variant: str) -> list[str]:
        steps = PIPELINES[variant]
        return [variant] if variant in ("seed", "dlib") else ["lbp"] if steps is None else [n for n, *_ in steps]

    def get(self, name: str) -> np.ndarray:
        if name in self.cache:
            return self.cache[name]
        path = self.args.work / f"features_{name}.npy"
        if not path.exists():
            t0 = time.perf_counter()
            compute = {"lbp": lbp_histograms, "mslbp": multiscale_lbp, "hog": hog_features, "pixels": pixel_features}
            if name in compute:
                x, n = compute[name](self.crops()), len(self.ids)
            elif name in HD_FEATURES:
                x, n = hd_features(self.args.lfw, self.faces, name), len(self.ids)
            else:  # these learn nothing from LFW: only the images of the pairs are needed
                sub = [self.ids[i] for i in self.need]
                a = self.args
                emb = (
                    seed_embeddings(a.lfw, a.work, sub, a.device)
                    if name == "seed"
                    else dlib_embeddings(a.lfw, a.work, sub, a.peer_python, a.dlib_models)
                )
                x = np.zeros((len(self.ids), emb.shape[1]), np.float32)
                x[self.need], n = emb, len(sub)
            np.save(path, x)
            path.with_suffix(".json").write_text(json.dumps({"seconds": time.perf_counter() - t0, "images": n}))
        self.cache[name] = np.load(path)
        if name in ("seed", "dlib") and not np.abs(self.cache[name][self.need]).sum(axis=1).all():
            raise SystemExit(f"{path} was made for fewer folds' images: delete it (and its work files) to redo")
        log(f"features {name}: {self.cache[name].shape}")
        return self.cache[name]

    def for_variant(self, variant: str) -> dict[str, np.ndarray]:
        return {n: self.get(n) for n in self.names(variant)}

    def ms_per_image(self, variant: str) -> float:
        t = [json.loads((self.args.work / f"features_{n}.json").read_text()) for n in self.names(variant)]
        return sum(1000 * x["seconds"] / x["images"] for x in t)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lfw", type=Path, required=True, help="folder with images/, pairs.txt, people.txt")
    ap.add_argument("--work", type=Path, required=True, help="cache folder for faces, crops, features and fold results")
    ap.add_argument(
        "--variants", default="lbp-chi2,lbp-pca-lda,pixels-pca-lda", help=f"comma list of {', '.join(VARIANTS)}"
    )
    ap.add_argument("--folds", default="0-9", help="folds to run, e.g. 0-4 or 0,3,7 (0-based)")
    ap.add_argument("--resume", action="store_true", help="keep the fold results already in --work")
    ap.add_argument("--view1", action="store_true", help="model selection: accuracy on LFW's View 1 (development) only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch threads for the detector and aligner")
    ap.add_argument("--device", default="cpu", help="torch device for the seed pipeline")
    ap.add_argument("--peer-python", default="/tmp/peers/bin/python", help="python of the peers' environment (dlib)")
    ap.add_argument(
        "--dlib-models", type=Path, default=Path("/tmp/frm/models"), help="face_recognition_models' models/"
    )
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    ap.add_argument("--roc", type=Path, default=Path(__file__).with_name("roc.png"))
    args = ap.parse_args()

    from facecli.io.lfw import person_of, read_pairs, read_people
    from facecli.recognition.protocol import view2_folds

    needed = ["images", "pairs.txt", "people.txt"] + (
        ["pairsDevTrain.txt", "pairsDevTest.txt", "peopleDevTrain.txt", "peopleDevTest.txt"] if args.view1 else []
    )
    missing = [n for n in needed if not (args.lfw / n).exists()]
    if missing:
        raise SystemExit(f"{args.lfw}: expected LFW's {', '.join(missing)} there (see this script's docstring)")
    args.work.mkdir(parents=True, exist_ok=True)
    pairs = read_pairs(args.lfw / "pairs.txt")
    folds = view2_folds(read_people(args.lfw / "people.txt"), pairs)
    ids = all_images(args.lfw)
    index = {i: n for n, i in enumerate(ids)}
    a = np.array([index[p.a] for p in pairs])
    b = np.array([index[p.b] for p in pairs])
    same = np.array([p.same for p in pairs])
    pfold = np.array([p.fold for p in pairs])
    log(f"LFW: {len(ids)} images, {len(pairs)} pairs in {len(folds)} folds")

    t0 = time.perf_counter()
    faces = find_faces(args.lfw, args.work, ids, args.threads)
    assert list(faces["ids"]) == ids
    log(f"faces: {int(faces['found'].sum())} of {len(ids)} found by the detector ({time.perf_counter() - t0:.0f} s)")
    yaw = faces["yaw"]
    large = (np.abs(yaw[a]) > 45) | (np.abs(yaw[b]) > 45)

    people = np.array([person_of(i) for i in ids])
    # the images of the chosen folds' pairs (all 10 folds: 7,701): enough for what learns nothing
    chosen = np.isin(pfold, parse_folds(args.folds))
    need = np.unique(np.concatenate([a[chosen], b[chosen]]))
    loader = Features(args, ids, faces, need)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        raise SystemExit(f"unknown variant {bad[0]!r}; expected one of {', '.join(VARIANTS)}")
    if args.view1:
        print("| variant | View 1 accuracy (train peopleDevTrain, threshold pairsDevTrain, test pairsDevTest) |")
        print("|---|---|")
        for variant in variants:
            r = view1(variant, args.lfw, loader.for_variant(variant), ids, people, args.seed)
            print(f"| {variant} | {100 * r['dev_accuracy']:.2f} % ({r['train_people']} training people) |", flush=True)
        return
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    for variant in variants:
        feats = loader.for_variant(variant)
        fold_dir = args.work / "folds" / variant
        fold_dir.mkdir(parents=True, exist_ok=True)
        for k in parse_folds(args.folds):
            fp = fold_dir / f"fold{k}.json"
            if args.resume and fp.exists():
                continue
            row = run_fold(variant, k, feats, people, (a, b, same, pfold), folds, args.seed, args.work / "scores")
            fp.write_text(json.dumps(row))
            log(f"{variant} fold {k + 1}: accuracy {row['accuracy']:.4f} ({row['seconds']:.1f} s)")
        rows = [json.loads(p.read_text()) for p in sorted(fold_dir.glob("fold*.json"))]
        rep = report(variant, rows, same, pfold, large)
        rep["feature_ms_per_image"] = loader.ms_per_image(variant)
        results[variant] = rep
    results["_meta"] = {
        "images": len(ids),
        "faces_found_by_detector": int(faces["found"].sum()),
        "large_pose_pairs": int(large.sum()),
        "command": " ".join(sys.argv),
    }
    args.out.write_text(json.dumps(results, indent=1))
    print(
        "| variant | LFW category | folds | accuracy (mean ± std) | EER | TAR@FAR1e-2 | TAR@FAR1e-3 "
        "| large pose acc (n) | s/fold |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for v, r in results.items():
        if v.startswith("_"):
            continue
        lp = (
            "—"
            if r["large_pose_accuracy"] is None
            else f"{100 * r['large_pose_accuracy']:.1f} % ({r['large_pose_pairs']})"
        )
        print(
            f"| {v} | {r['category']} | {len(r['folds'])} "
            + (
                "| — (no threshold) "
                if r["accuracy_mean"] is None
                else f"| {100 * r['accuracy_mean']:.2f} ± {100 * r['accuracy_std']:.2f} % "
            )
            + f"| {100 * r['eer']:.2f} % | {100 * r['tar_far_1e-2']:.1f} % | {100 * r['tar_far_1e-3']:.1f} % | {lp} "
            f"| {r['seconds_per_fold']:.1f} |"
        )
    from facecli.recognition.plots import plot_roc

    curves = {
        v: (np.array(r["roc"]["far"]), np.array(r["roc"]["tar"]), r["eer"])
        for v, r in results.items()
        if not v.startswith("_")
    }
    plot_roc(args.roc, curves, title="LFW View 2 (10 folds, unrestricted)")


if __name__ == "__main__":
    main()
