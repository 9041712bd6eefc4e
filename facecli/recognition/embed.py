"""Embedding normal maps with a trained DGPA-Net, and the shipped default model."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from facecli.errors import InputError

__all__ = ["DEFAULT_DGPA", "LoadedDGPA", "load_dgpa", "embed_file"]

#: The model shipped in the package (trained on synthetic identities; see its .json card).
DEFAULT_DGPA = Path(__file__).resolve().parent.parent / "models" / "weights" / "dgpa_synthetic.pt"


class LoadedDGPA:
    """A DGPA-Net ready to embed: the network (eval mode), its config and meta."""

    def __init__(self, net: Any, config: Any, meta: dict[str, Any], path: Path) -> None:
        self.net, self.config, self.meta, self.path = net, config, meta, path


def load_dgpa(path: Path | None = None, device: str = "cpu") -> LoadedDGPA:
    """Load a ``dgpa`` model file (default: :data:`DEFAULT_DGPA`).

    Raises:
        InputError / FormatError: missing or wrong file.
    """
    from facecli.models.dgpa import DGPAConfig
    from facecli.models.registry import load

    p = Path(path) if path is not None else DEFAULT_DGPA
    if path is None and not p.exists():
        raise InputError(f"the default grid-attn model is missing from the package ({p}); pass --model FILE")
    net, obj = load(p, expect="dgpa", device=device)
    return LoadedDGPA(net, DGPAConfig.from_dict(obj["config"]), dict(obj.get("meta", {})), p)


def embed_file(
    model: LoadedDGPA,
    normals_file: Path,
    output: Path,
    *,
    images: Path | None = None,
    scale: int | None = None,
    batch: int = 64,
    flip: bool = False,
    device: str = "cpu",
    resume: bool = False,
    producer: str = "facecli grid-attn embed",
    argv: list[str] | None = None,
    progress: Callable[..., Iterable] = lambda it, **k: it,
) -> dict[str, Any]:
    """Write ``output`` (kind ``embeddings``): one ``embedding`` (D,) float32 per sample
    of ``normals_file``, L2-normalised. With ``resume``, samples already in ``output``
    are kept and skipped.

    Returns:
        A summary: counts and seconds.
    """
    import time

    from facecli.io.container import ContainerReader, ContainerWriter
    from facecli.recognition.data import load_face_inputs
    from facecli.recognition.training import embed_array

    t0 = time.perf_counter()
    with ContainerReader(normals_file, kind="normals") as r:
        ids = r.ids
    params = {
        "model": str(model.path),
        "model_synthetic": bool(model.meta.get("synthetic", False)),
        "inputs": list(model.config.inputs),
        "input_size": model.config.input_size,
        "flip": flip,
        "normals": str(normals_file),
    }
    w = ContainerWriter(
        output,
        "embeddings",
        producer=producer,
        params=params,
        argv=argv,
        resume=resume,
        array_attrs={"embedding": {"norm": "L2 = 1", "model": model.path.name}},
    )
    try:
        done = w.completed_ids
        todo = [i for i in ids if i not in done]
        chunk = max(batch, 256)
        for k in progress(range(0, len(todo), chunk), total=(len(todo) + chunk - 1) // chunk, desc="embedding"):
            part = todo[k : k + chunk]
            data = load_face_inputs(
                normals_file,
                size=model.config.input_size,
                inputs=model.config.inputs,
                scale=scale,
                images=images,
                ids=part,
            )
            emb = embed_array(model.net, data.x, device=device, batch=batch, flip=flip, inputs=model.config.inputs)
            w.write_many(part, {"embedding": emb})
    except BaseException:
        w.abort()  # keep the work file (.part) for --resume; the target is left as it was
        raise
    w.close()
    secs = time.perf_counter() - t0
    return {
        "embedded": len(todo),
        "resumed_skipped": len(ids) - len(todo),
        "seconds": round(secs, 3),
        "per_second": round(len(todo) / secs, 2) if secs > 0 else None,
    }
