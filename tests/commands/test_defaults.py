"""A training command's option defaults are its options class's defaults (they are written
in both places; this test keeps them from drifting apart, as CAP's epochs once did: 12 on the
command line, 10 in the class)."""

import dataclasses
import inspect

import pytest

from facecli.commands import align, grid_attn, landmarks3d, mer_train, normals, register


def _pairs():
    from facecli.landmarks2d.training import AlignTrainOptions
    from facecli.landmarks3d.training import SGCNTrainOptions
    from facecli.microexpr.recognition import MERConfig
    from facecli.normalmaps.training import CAPTrainOptions
    from facecli.recognition.training import GridAttnTrainOptions
    from facecli.registration.pipeline import RegistrationConfig
    from facecli.registration.quality import SuccessCriteria

    return [
        (normals.train, CAPTrainOptions),
        (align.train, AlignTrainOptions),
        (landmarks3d.train, SGCNTrainOptions),
        (grid_attn.train, GridAttnTrainOptions),
        (mer_train.loso, MERConfig),
        (register.register, RegistrationConfig),
        (register.register, SuccessCriteria),
    ]


def _same(cli: object, cls: object) -> bool:
    cli = getattr(cli, "value", cli)  # enums
    if isinstance(cli, str) and isinstance(cls, tuple):  # "flow,apex" for ("flow", "apex")
        return tuple(v.strip() for v in cli.split(",")) == cls
    if isinstance(cls, (int, float)) and not isinstance(cls, bool) and isinstance(cli, (str, int, float)):
        try:  # numbers given as text on the command line ("-75" for -75.0)
            return float(cli) == float(cls)
        except ValueError:
            return False
    return cli == cls


@pytest.mark.parametrize("command,options", _pairs(), ids=lambda x: getattr(x, "__name__", str(x)))
def test_command_defaults_equal_the_options_class(command, options):
    sig = inspect.signature(inspect.unwrap(command))
    fields = {f.name: f.default for f in dataclasses.fields(options) if f.default is not dataclasses.MISSING}
    shared = [name for name in sig.parameters if name in fields]
    assert len(shared) >= 3
    differ = {
        n: (sig.parameters[n].default, fields[n]) for n in shared if not _same(sig.parameters[n].default, fields[n])
    }
    assert differ == {}


def test_register_reads_every_cloud_format_by_default():
    from facecli.io.mesh import CLOUD_SUFFIXES

    assert {p.strip().lstrip("*") for p in register.CLOUD_PATTERN.split(",")} == set(CLOUD_SUFFIXES)
