"""One loader for every model file: the model's name in the file picks its class.

A model file (:func:`facecli.train.checkpoint.save_model_file`) names its network
(``model``) and holds its constructor settings (``config``); :data:`BUILDERS` maps each
name to a function building the network from them. A new model is one more entry here
(and its ``facecli/models/<name>.py``); every command then reads its files through
:func:`load`.

Example:
    >>> import os, tempfile, torch
    >>> from facecli.models.cap import CAPNet
    >>> from facecli.train.checkpoint import save_model_file
    >>> path = os.path.join(tempfile.mkdtemp(), "cap.pt")
    >>> net = CAPNet(width=4)
    >>> _ = save_model_file(path, model="cap", config=net.config.as_dict(), state_dict=net.state_dict(), meta={})
    >>> loaded, file = load(path, expect="cap")
    >>> type(loaded).__name__, loaded.training, file["model"]
    ('CAPNet', False, 'cap')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from facecli.errors import FormatError
from facecli.typing import PathLike

__all__ = ["BUILDERS", "build", "load"]


def _cap(cfg: Mapping[str, Any]) -> Any:
    from facecli.models.cap import CAPNet

    return CAPNet(
        width=int(cfg["width"]), dilations=tuple(cfg["dilations"]), in_channels=int(cfg.get("in_channels", 3))
    )


def _dgpa(cfg: Mapping[str, Any]) -> Any:
    from facecli.models.dgpa import DGPAConfig, DGPANet

    return DGPANet(DGPAConfig.from_dict(cfg))


def _musica(cfg: Mapping[str, Any]) -> Any:
    from facecli.models.musica import MuSiCa, MuSiCaConfig

    return MuSiCa(MuSiCaConfig.from_dict(cfg))


def _sgcn(cfg: Mapping[str, Any]) -> Any:
    from facecli.models.sgcn import SGCN, SGCNConfig

    return SGCN(SGCNConfig.from_dict(cfg))


def _mecapsnet(cfg: Mapping[str, Any]) -> Any:
    from facecli.models.capsnet import MECapsConfig, MECapsNet

    return MECapsNet(MECapsConfig.from_dict(cfg))


def _hd_lda(cfg: Mapping[str, Any]) -> Any:
    from facecli.models.hd_lda import HDDescriptorConfig, HDDescriptorLDA

    return HDDescriptorLDA(HDDescriptorConfig.from_dict(cfg))


#: model name (as stored in model files) → network from its ``config``.
BUILDERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "cap": _cap,
    "dgpa": _dgpa,
    "musica": _musica,
    "sgcn": _sgcn,
    "mecapsnet": _mecapsnet,
    "hd-lda": _hd_lda,
}


def build(name: str, config: Mapping[str, Any]) -> Any:
    """A new (untrained) network of model ``name`` with ``config``.

    Raises:
        FormatError: an unknown model name (the known ones are listed).
    """
    try:
        builder = BUILDERS[name]
    except KeyError:
        raise FormatError(f"unknown model {name!r}; facecli knows {', '.join(sorted(BUILDERS))}") from None
    return builder(config)


def load(path: PathLike, *, expect: str | None = None, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """A model file's network (weights loaded, in eval mode, on ``device``) and the file's dict.

    Args:
        path: the model file.
        expect: the model the caller needs (``musica``...); another is a clear error.
        device: torch device.

    Raises:
        InputError: missing file. FormatError: not a facecli model file, another model
            than ``expect``, or weights that do not fit the stored config.
    """
    from facecli.train.checkpoint import load_model_file

    obj = load_model_file(path, model=expect)
    net = build(str(obj["model"]), obj["config"])
    try:
        net.load_state_dict(obj["state_dict"])
    except (RuntimeError, KeyError) as exc:
        raise FormatError(
            f"{path}: its weights do not fit its {obj['model']} config ({str(exc).splitlines()[0]})"
        ) from exc
    return net.to(device).eval(), obj
