"""Leave-one-subject-out micro-expression recognition with an honest protocol.

For each fold (one test subject) a :class:`~facecli.models.capsnet.MECapsNet` is
trained from scratch on every other subject's clips. Nothing of the test subject
reaches training or model selection:

* input normalisation statistics come from the fold's training clips only;
* the model kept is the last epoch of a fixed budget, or, with ``val_share > 0``,
  the epoch that scores best (UF1) on an inner validation split **of the training
  subjects** (split by subject);
* the test subject is only predicted once, at the end. ``oracle=True`` also records
  the test predictions after every epoch, for a separate report labelled optimistic
  (what picking the best test epoch, as the source repositories do, would claim);
  it is never used to choose anything.

Each finished fold is written to ``<run>/folds/<NNN>_<db>_<subject>.json`` (atomic),
so an interrupted run resumes without redoing finished folds, and runs of disjoint
``--folds`` slices on several machines merge by copying their ``folds/`` together.
``result_log.csv`` (MEGC format) and ``metrics.json`` (pooled UF1/UAR) are rebuilt
from the fold files present.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecli.configs import MECapsConfig
from facecli.errors import FormatError, InputError
from facecli.io.atomic import write_text
from facecli.io.text import read_json
from facecli.microexpr.protocols import Fold, Protocol, get_protocol, loso_folds
from facecli.seeding import rng_for
from facecli.typing import PathLike

__all__ = ["MERConfig", "MERData", "assemble_run", "load_mer_data", "run_loso", "train_fold"]


@dataclass
class MERData:
    """The clips of one protocol, as arrays.

    Attributes:
        ids: (N,) clip ids (``subject/clip`` under their dataset root).
        dataset, subject, clip, emotion: (N,) per clip.
        y: (N,) int64 class indices of the protocol.
        flow: (N, 3, S, S) float32 u, v, strain.
        apex: (N, 1, S, S) float32 grey apex crop in [0, 1].
        normals: (N, 3, S, S) float32 or None.
        protocol: the protocol.
        dropped: emotion label → clips dropped because the protocol has no class for it.
    """

    ids: list[str]
    dataset: np.ndarray
    subject: np.ndarray
    clip: np.ndarray
    emotion: np.ndarray
    y: np.ndarray
    flow: np.ndarray
    apex: np.ndarray
    normals: np.ndarray | None
    protocol: Protocol
    dropped: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def subject_keys(self) -> np.ndarray:
        """(N,) ``dataset/subject``: the LOSO unit (the datasets share no people)."""
        return np.array([f"{d}/{s}" for d, s in zip(self.dataset, self.subject)], dtype=object)

    def streams(self, idx: np.ndarray, names: Sequence[str]) -> dict[str, np.ndarray]:
        out = {}
        for n in names:
            arr = {"flow": self.flow, "apex": self.apex, "normals": self.normals}[n]
            if arr is None:
                raise InputError(f"the {n} stream was asked for, but no {n} were given (--normals FILE)")
            out[n] = arr[idx]
        return out


def _normals_for(ids: Sequence[str], path: Path, size: int) -> np.ndarray:
    import cv2

    from facecli.io.container import ContainerReader

    with ContainerReader(path, kind="normals") as r:
        rid = r.ids
        key = "normals" if "normals" in r.keys() else next((k for k in r.keys() if k.startswith("normals")), None)
        if key is None:
            raise FormatError(f"{path} has no normals array (it has: {', '.join(r.keys())})")
        index: dict[str, int] = {}
        for i, s in enumerate(rid):
            index.setdefault(s, i)
            index.setdefault(s.rsplit("/", 1)[0], i)  # the apex image's clip folder
        out = np.zeros((len(ids), 3, size, size), dtype=np.float32)
        for j, cid in enumerate(ids):
            if cid not in index:
                raise FormatError(f"{path} has no normal map for clip {cid} (ids must be the clip or its apex image)")
            n = np.asarray(r.sample(index[cid], [key])[key], dtype=np.float32)
            if n.ndim != 3 or n.shape[-1] != 3:
                raise FormatError(f"expected (S, S, 3) normal maps in {path}, got {n.shape} for {cid}")
            out[j] = cv2.resize(n, (size, size), interpolation=cv2.INTER_AREA).transpose(2, 0, 1)
    return out


def load_mer_data(path: PathLike, protocol: str | Protocol, *, normals: PathLike | None = None) -> MERData:
    """Read a ``flow`` container (``mer-train prepare``) for a protocol.

    Args:
        path: the ``flow`` file.
        protocol: protocol name or object; clips of other datasets, and clips whose
            label has no class in it, are left out.
        normals: optional ``normals`` container with one map per clip (id = the clip
            or its apex image) for the third stream.

    Raises:
        FormatError: the file is not a ``flow`` container. InputError: no clip of the
            protocol's datasets, or fewer than two classes present.
    """
    from facecli.io.container import ContainerReader

    proto = get_protocol(protocol) if isinstance(protocol, str) else protocol
    p = Path(path)
    with ContainerReader(p, kind="flow") as r:
        ids = r.ids
        meta = {k: np.asarray(r.read(k)).astype(str) for k in ("dataset", "subject", "clip", "emotion")}
        keep, ys, dropped = [], [], {}
        for i in range(len(ids)):
            if meta["dataset"][i] not in proto.datasets:
                continue
            c = proto.class_index(meta["emotion"][i])
            if c is None:
                dropped[meta["emotion"][i]] = dropped.get(meta["emotion"][i], 0) + 1
                continue
            keep.append(i)
            ys.append(c)
        if not keep:
            found = sorted(set(meta["dataset"].tolist()))
            raise InputError(
                f"{p} has no clip of the {proto.name} protocol's datasets "
                f"({', '.join(proto.datasets)}); it has {', '.join(found) or 'none'}"
            )
        idx = np.asarray(keep)
        flow = np.asarray(r.read("flow"))[idx].transpose(0, 3, 1, 2).astype(np.float32)
        apex = np.asarray(r.read("apex_image"))[idx][:, None].astype(np.float32) / 255.0
    y = np.asarray(ys, dtype=np.int64)
    if len(np.unique(y)) < 2:
        raise InputError(f"{p}: the {proto.name} protocol needs at least two classes, found only {proto.classes[y[0]]}")
    kept_ids = [ids[i] for i in idx]
    nm = _normals_for(kept_ids, Path(normals), flow.shape[-1]) if normals is not None else None
    return MERData(
        kept_ids,
        meta["dataset"][idx].astype(object),
        meta["subject"][idx].astype(object),
        meta["clip"][idx].astype(object),
        meta["emotion"][idx].astype(object),
        y,
        flow,
        apex,
        nm,
        proto,
        dropped,
    )


@dataclass
class MERConfig:
    """Settings of a LOSO run.

    Attributes:
        streams: input streams of the network.
        width: channels of each stream's first conv.
        epochs: the fixed budget per fold.
        batch_size, lr, weight_decay: optimisation (AdamW, cosine schedule).
        val_share: share of the training subjects held out to pick the epoch (0: the
            last epoch is kept).
        class_weighting: weight the loss by inverse class frequency of the fold's
            training clips (UF1/UAR reward every class equally).
        stream_dropout: during training, blank one random stream of a sample with this
            probability (see :class:`~facecli.models.capsnet.MECapsConfig`).
        augment: random horizontal flips (the flow's u changes sign) and shifts of up
            to 1/16 of the side.
        seed: the run's seed.
        oracle: also record test predictions after every epoch (optimistic report).
    """

    streams: tuple[str, ...] = MECapsConfig.streams
    width: int = MECapsConfig.width
    epochs: int = 30
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-3
    val_share: float = 0.0
    class_weighting: bool = True
    augment: bool = True
    seed: int = 0
    oracle: bool = False
    stream_dropout: float = MECapsConfig.stream_dropout

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["streams"] = list(self.streams)
        return d


class _Normaliser:
    """Per-channel scaling fitted on training clips only."""

    def __init__(self, data: MERData, train: np.ndarray, streams: Sequence[str]) -> None:
        self.stats: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for s, arr in data.streams(train, streams).items():
            if s == "flow":  # keep zero motion at zero: scale only
                mean = np.zeros(arr.shape[1], dtype=np.float32)
            else:
                mean = arr.mean(axis=(0, 2, 3)).astype(np.float32)
            std = arr.std(axis=(0, 2, 3)).astype(np.float32) + 1e-6
            self.stats[s] = (mean, std)

    def __call__(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {
            s: ((a - self.stats[s][0][:, None, None]) / self.stats[s][1][:, None, None]).astype(np.float32)
            for s, a in arrays.items()
        }

    def to_dict(self) -> dict[str, list[list[float]]]:
        return {s: [m.tolist(), v.tolist()] for s, (m, v) in self.stats.items()}


class _TrainSet:
    """Map-style dataset of normalised streams with seeded augmentation."""

    def __init__(self, arrays: dict[str, np.ndarray], y: np.ndarray, augment: bool, seed: int) -> None:
        self.arrays, self.y, self.augment, self.seed, self.epoch = arrays, y, augment, seed, 0

    def __len__(self) -> int:
        return len(self.y)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, i: int) -> dict[str, Any]:
        import torch

        out: dict[str, Any] = {}
        flip, dx, dy = False, 0, 0
        if self.augment:
            rng = rng_for(self.seed, "mer-augment", self.epoch, int(i))
            flip = bool(rng.random() < 0.5)
            size = next(iter(self.arrays.values())).shape[-1]
            m = max(1, size // 16)
            dx, dy = (int(v) for v in rng.integers(-m, m + 1, size=2))
        for s, arr in self.arrays.items():
            x = arr[i]
            if flip:
                x = x[:, :, ::-1].copy()
                if s == "flow" or s == "normals":
                    x[0] = -x[0]
            if dx or dy:
                x = np.roll(x, (dy, dx), axis=(1, 2))
            out[s] = torch.from_numpy(np.ascontiguousarray(x))
        out["y"] = torch.tensor(int(self.y[i]))
        return out


def _predict(model: Any, arrays: dict[str, np.ndarray], device: str, batch: int = 64) -> np.ndarray:
    import torch

    model.eval()
    n = len(next(iter(arrays.values())))
    outs = []
    with torch.no_grad():
        for a in range(0, n, batch):
            x = {s: torch.from_numpy(v[a : a + batch]).to(device) for s, v in arrays.items()}
            outs.append(model(x).cpu().numpy())
    return np.concatenate(outs) if outs else np.zeros((0, 0), dtype=np.float32)


@dataclass
class FoldResult:
    """What one fold produced.

    Attributes:
        fold: the fold.
        scores: (N_test, K) class-capsule lengths of the kept model.
        pred: (N_test,) predicted classes.
        history: per-epoch training log.
        selected_epoch: the 1-based epoch kept.
        oracle_pred: per epoch, the (N_test,) test predictions (``oracle`` only).
        normaliser: the training-clip statistics.
        state_dict: the kept model's weights.
        seconds: wall time.
    """

    fold: Fold
    scores: np.ndarray
    pred: np.ndarray
    history: list[dict[str, float]]
    selected_epoch: int
    oracle_pred: list[list[int]] | None
    normaliser: dict[str, Any]
    state_dict: dict[str, Any]
    seconds: float


def train_fold(
    data: MERData,
    fold: Fold,
    cfg: MERConfig,
    *,
    device: str = "cpu",
    checkpoint: Path | None = None,
    resume: bool = False,
    log: Callable[[str], None] = lambda s: None,
) -> FoldResult:
    """Train on a fold's training subjects and predict its test subject.

    Raises:
        AssertionError: if any clip of the test subject is among the training or
            validation clips (the protocol's invariant, checked every fold).
    """
    import copy

    import torch

    from facecli.metrics.mer import uf1
    from facecli.models.capsnet import MECapsConfig, MECapsNet, margin_loss
    from facecli.train.distributed import DistContext
    from facecli.train.loop import TrainConfig, fit
    from facecli.train.splits import group_split

    t0 = time.perf_counter()
    subj = data.subject_keys
    test_subjects = set(subj[fold.test].tolist())
    assert test_subjects == {fold.subject}, (
        f"fold {fold.number}: test clips of {test_subjects}, expected {fold.subject}"
    )
    assert fold.subject not in set(subj[fold.train].tolist()), f"fold {fold.number}: test subject in training"
    assert not np.intersect1d(fold.train, fold.test).size, f"fold {fold.number}: a clip is both train and test"
    train = fold.train
    val = np.zeros(0, dtype=np.int64)
    if cfg.val_share > 0:
        tr, va = group_split(
            list(subj[fold.train]), cfg.val_share, int(rng_for(cfg.seed, "mer-val", fold.number).integers(1 << 31))
        )
        train, val = fold.train[tr], fold.train[va]
        assert fold.subject not in set(subj[val].tolist()), f"fold {fold.number}: test subject in validation"
    k = len(data.protocol.classes)
    norm = _Normaliser(data, train, cfg.streams)
    train_arrays = norm(data.streams(train, cfg.streams))
    counts = np.bincount(data.y[train], minlength=k).astype(np.float64)
    weight = None
    if cfg.class_weighting:
        w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max(int((counts > 0).sum()), 1), 0.0)
        weight = torch.tensor(w, dtype=torch.float32, device=device)
    torch.manual_seed(int(rng_for(cfg.seed, "mer-init", fold.number).integers(1 << 31)))
    net = MECapsNet(
        MECapsConfig(
            streams=tuple(cfg.streams),
            n_classes=k,
            size=data.flow.shape[-1],
            width=cfg.width,
            stream_dropout=cfg.stream_dropout,
        )
    ).to(device)

    def step(model: Any, batch: dict[str, Any]) -> tuple[Any, dict[str, float]]:
        lengths = model({s: batch[s] for s in cfg.streams})
        loss = margin_loss(lengths, batch["y"], class_weight=weight)
        return loss, {"acc": float((lengths.argmax(1) == batch["y"]).float().mean())}

    val_arrays = norm(data.streams(val, cfg.streams)) if val.size else None
    test_arrays = norm(data.streams(fold.test, cfg.streams))
    best: dict[str, Any] = {"uf1": -1.0, "epoch": cfg.epochs, "state": None}
    oracle: list[list[int]] = []
    epoch_box = {"n": 0}

    def evaluate(model: Any) -> dict[str, float]:
        epoch_box["n"] += 1
        out: dict[str, float] = {}
        if val_arrays is not None:
            p = _predict(model, val_arrays, device).argmax(1)
            score = uf1(data.y[val], p, k)
            out["uf1"] = score
            if score > best["uf1"]:
                best.update(uf1=score, epoch=epoch_box["n"], state=copy.deepcopy(model.state_dict()))
        if cfg.oracle:  # recorded for the optimistic report only; never selects anything
            oracle.append(_predict(model, test_arrays, device).argmax(1).astype(int).tolist())
        return out

    tcfg = TrainConfig(
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        seed=int(rng_for(cfg.seed, "mer-order", fold.number).integers(1 << 31)),
        checkpoint=checkpoint,
        resume=resume,
        thread_invariant=True,
    )
    ds = _TrainSet(
        train_arrays, data.y[train], cfg.augment, int(rng_for(cfg.seed, "mer-aug-seed", fold.number).integers(1 << 31))
    )
    use_eval = val_arrays is not None or cfg.oracle
    history = fit(net, ds, step, tcfg, ctx=DistContext(device=device), evaluate=evaluate if use_eval else None, log=log)
    selected = cfg.epochs
    if val_arrays is not None and best["state"] is not None:
        net.load_state_dict(best["state"])
        selected = int(best["epoch"])
    scores = _predict(net, test_arrays, device)
    return FoldResult(
        fold,
        scores,
        scores.argmax(1),
        history,
        selected,
        oracle if cfg.oracle else None,
        norm.to_dict(),
        {k_: v.detach().cpu() for k_, v in net.state_dict().items()},
        time.perf_counter() - t0,
    )


def _fold_name(fold: Fold) -> str:
    return f"{fold.number:03d}_{fold.subject.replace('/', '_')}"


def _signature(data: MERData, cfg: MERConfig, flow_path: Path) -> dict[str, Any]:
    return {
        "protocol": data.protocol.name,
        "config": {k: v for k, v in cfg.to_dict().items() if k != "oracle"},
        "clips": len(data),
        "flow_file": flow_path.name,
        "subjects": sorted(set(data.subject_keys.tolist())),
    }


def run_loso(
    data: MERData,
    cfg: MERConfig,
    out: PathLike,
    *,
    flow_path: PathLike,
    folds: Sequence[int] | None = None,
    device: str = "cpu",
    resume: bool = False,
    log: Callable[[str], None] = lambda s: None,
    progress: Callable[..., Any] = lambda it, **kw: it,
) -> dict[str, Any]:
    """Run (a slice of) the LOSO folds and rebuild the run's outputs.

    Args:
        data: the protocol's clips.
        cfg: settings.
        out: the run directory.
        flow_path: the ``flow`` file the data came from (recorded).
        folds: 1-based fold numbers to run (None: all).
        device: torch device.
        resume: continue a run in ``out``: finished folds are skipped, an unfinished
            fold continues from its last epoch.

    Returns:
        The run's summary (see :func:`assemble_run`), plus ``ran``: the folds trained
        by this call.

    Raises:
        InputError: ``out`` holds a run with other settings, or finished folds and
            ``resume`` is off.
    """
    from facecli.train.checkpoint import save_model_file

    if "normals" in cfg.streams and data.normals is None:
        raise InputError("the normals stream was asked for, but no normals were given (--normals FILE)")
    run = Path(out)
    (run / "folds").mkdir(parents=True, exist_ok=True)
    sig = _signature(data, cfg, Path(flow_path))
    sig_path = run / "run.json"
    if sig_path.exists():
        old = read_json(sig_path, "a mer-train run.json")
        if not isinstance(old, dict) or old.get("signature") != sig:
            raise InputError(f"{run} holds a run with other settings or data (see {sig_path}); use another directory")
        if not resume and any((run / "folds").glob("*.json")):
            raise InputError(
                f"{run} already holds finished folds; pass --resume to continue it, or use another directory"
            )
    write_text(sig_path, json.dumps({"signature": sig, "classes": list(data.protocol.classes)}, indent=1))
    all_folds = loso_folds(data.subject_keys)
    chosen = [f for f in all_folds if folds is None or f.number in set(folds)]
    ran: list[int] = []
    for f in progress(chosen, total=len(chosen), desc="folds"):
        name = _fold_name(f)
        done = run / "folds" / f"{name}.json"
        if done.exists():
            log(f"fold {f.number}/{len(all_folds)} ({f.subject}) already finished")
            continue
        ck = run / "folds" / f"{name}.ckpt"
        log(
            f"fold {f.number}/{len(all_folds)}: test subject {f.subject} ({f.test.size} clips, {f.train.size} training)"
        )
        res = train_fold(data, f, cfg, device=device, checkpoint=ck, resume=resume, log=lambda s: log("  " + s))
        model_path = save_model_file(
            run / "models" / f"{name}.pt",
            model="mecapsnet",
            config=_model_config(cfg, data),
            state_dict=res.state_dict,
            meta={
                "fold": f.number,
                "test_subject": f.subject,
                "protocol": data.protocol.name,
                "classes": list(data.protocol.classes),
                "normaliser": res.normaliser,
                "selected_epoch": res.selected_epoch,
            },
        )
        record = {
            "fold": f.number,
            "subject": f.subject,
            "ids": [data.ids[i] for i in f.test],
            "dataset": [str(data.dataset[i]) for i in f.test],
            "db_subject": str(data.subject[f.test[0]]),
            "clip": [str(data.clip[i]) for i in f.test],
            "y_true": data.y[f.test].astype(int).tolist(),
            "y_pred": res.pred.astype(int).tolist(),
            "scores": np.round(res.scores, 5).tolist(),
            "selected_epoch": res.selected_epoch,
            "history": res.history,
            "seconds": res.seconds,
            "model": model_path.name,
            "train_subjects": sorted(set(data.subject_keys[f.train].tolist())),
        }
        if res.oracle_pred is not None:
            record["oracle_pred_per_epoch"] = res.oracle_pred
        write_text(done, json.dumps(record))
        ck.unlink(missing_ok=True)
        ran.append(f.number)
    summary = assemble_run(run)
    summary["ran"] = ran
    return summary


def _model_config(cfg: MERConfig, data: MERData) -> dict[str, Any]:
    """The :class:`~facecli.models.capsnet.MECapsConfig` of a run, as a dict."""
    from facecli.models.capsnet import MECapsConfig

    return MECapsConfig(
        streams=tuple(cfg.streams),
        n_classes=len(data.protocol.classes),
        size=data.flow.shape[-1],
        width=cfg.width,
        stream_dropout=cfg.stream_dropout,
    ).to_dict()


_FOLD_KEYS = ("fold", "dataset", "db_subject", "clip", "y_true", "y_pred")


def _read_fold_record(path: Path) -> dict[str, Any]:
    """One finished fold's JSON record, checked for the keys the report needs."""
    rec = read_json(path, "a finished fold record (folds/*.json)")
    lacking = [k for k in _FOLD_KEYS if not isinstance(rec, dict) or k not in rec]
    if lacking:
        raise FormatError(
            f"{path}: expected a fold record with {', '.join(_FOLD_KEYS)}; it lacks {', '.join(lacking)} "
            f"(delete it and rerun the fold with --resume)"
        )
    n = len(rec["y_true"])
    if any(len(rec[k]) != n for k in ("dataset", "clip", "y_pred")):
        raise FormatError(f"{path}: y_true, y_pred, dataset and clip have different lengths")
    return rec


def assemble_run(run: PathLike) -> dict[str, Any]:
    """Rebuild ``result_log.csv`` and ``metrics.json`` from the finished fold files.

    Args:
        run: a run directory (``run.json`` and ``folds/*.json``).

    Returns:
        The metrics dict written to ``metrics.json``: pooled UF1/UAR overall and per
        dataset, per-class recall, confusion matrix, ``folds_finished`` of
        ``folds_total``, ``complete``, and (when recorded) ``oracle_optimistic``.

    Raises:
        InputError: not a run directory, or no finished fold.
    """
    from facecli.io.megc import LogRow, write_result_log
    from facecli.metrics.mer import mer_report

    r = Path(run)
    if not (r / "run.json").exists():
        raise InputError(f"{r} is not a mer-train run directory (no run.json)")
    head = read_json(r / "run.json", "a mer-train run.json")
    if not isinstance(head, dict) or not isinstance(head.get("classes"), list):
        raise FormatError(f"{r / 'run.json'}: expected an object with a 'classes' list")
    classes = head["classes"]
    files = sorted((r / "folds").glob("*.json"))
    if not files:
        raise InputError(f"{r} has no finished fold yet")
    recs = sorted((_read_fold_record(f) for f in files), key=lambda d: d["fold"])
    rows = [
        LogRow(rec["dataset"][i], rec["db_subject"], rec["clip"][i], rec["y_true"][i], rec["y_pred"][i])
        for rec in recs
        for i in range(len(rec["y_true"]))
    ]
    write_result_log(r / "result_log.csv", rows)
    yt = np.array([x.gt for x in rows], dtype=np.int64)
    yp = np.array([x.pred for x in rows], dtype=np.int64)
    fold_of = [rec["subject"] for rec in recs for _ in rec["y_true"]]
    rep = mer_report(yt, yp, classes, datasets=[x.db for x in rows], folds=fold_of)
    total = len(head["signature"]["subjects"])
    rep.update(
        {
            "protocol": head["signature"]["protocol"],
            "folds_finished": len(recs),
            "folds_total": total,
            "complete": len(recs) == total,
            "selected_epochs": [rec["selected_epoch"] for rec in recs],
            "train_seconds": float(sum(rec["seconds"] for rec in recs)),
        }
    )
    if all("oracle_pred_per_epoch" in rec for rec in recs):
        from facecli.metrics.mer import uar, uf1

        best = []
        for rec in recs:  # per fold, the epoch with the most correct test predictions (the source repos' choice)
            hits = [int(np.sum(np.array(p) == np.array(rec["y_true"]))) for p in rec["oracle_pred_per_epoch"]]
            best.extend(rec["oracle_pred_per_epoch"][int(np.argmax(hits))])
        ob = np.array(best, dtype=np.int64)
        rep["oracle_optimistic"] = {
            "note": "test-set epoch selection per fold: optimistic, not a valid result",
            "uf1": uf1(yt, ob, len(classes)),
            "uar": uar(yt, ob, len(classes)),
        }
    write_text(r / "metrics.json", json.dumps(rep, indent=1))
    return rep
