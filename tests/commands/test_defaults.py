"""Every default is written once. A command's option reads it from the options class, and the
options class reads the architecture's from the model config (``facecli/configs.py``). The
values are compared too: CAP's epochs once drifted apart (12 on the command line, 10 in the
class)."""

import ast
import dataclasses
import inspect
import textwrap

import pytest

from facecli.commands import align, detect, grid_attn, landmarks3d, mer_train, normals, register


def _pairs():
    from facecli.detection.predictor import DetectorConfig
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
        (detect.detect, DetectorConfig),
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
    shared = [n for n in sig.parameters if n in fields and (command.__name__, n) not in _WRITTEN_HERE]
    assert len(shared) >= 1
    differ = {
        n: (sig.parameters[n].default, fields[n]) for n in shared if not _same(sig.parameters[n].default, fields[n])
    }
    assert differ == {}


def test_register_reads_every_cloud_format_by_default():
    from facecli.io.mesh import CLOUD_SUFFIXES

    assert {p.strip().lstrip("*") for p in register.CLOUD_PATTERN.split(",")} == set(CLOUD_SUFFIXES)


def _names_read(expr: ast.expr) -> set[str]:
    """``Class.field`` attribute reads inside a default expression (``Grid(Opts.grid)`` too)."""
    return {
        f"{n.value.id}.{n.attr}"
        for n in ast.walk(expr)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    }


def _function_defaults(fn: object) -> dict[str, ast.expr]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(fn))))
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    args = node.args.args + node.args.kwonlyargs
    defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + node.args.defaults + node.args.kw_defaults
    return {a.arg: d for a, d in zip(args, defaults) if d is not None}


def _field_defaults(cls: type) -> dict[str, ast.expr]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    node = tree.body[0]
    return {
        st.target.id: st.value
        for st in node.body
        if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None
    }


# every detect option reads DetectorConfig except --max-side: the command caps large photos at
# 1600 px by default, while the library's config (0) leaves them whole.
_WRITTEN_HERE = {("detect", "max_side")}


@pytest.mark.parametrize("command,options", _pairs(), ids=lambda x: getattr(x, "__name__", str(x)))
def test_command_options_read_their_default_from_the_options_class(command, options):
    fields = {f.name for f in dataclasses.fields(options)}
    written = {
        name: ast.unparse(expr)
        for name, expr in _function_defaults(command).items()
        if name in fields
        and (command.__name__, name) not in _WRITTEN_HERE
        and f"{options.__name__}.{name}" not in _names_read(expr)
    }
    assert written == {}


def _model_pairs():
    from facecli.configs import CAPConfig, DGPAConfig, MECapsConfig, MuSiCaConfig, SGCNConfig
    from facecli.landmarks2d.training import AlignTrainOptions
    from facecli.landmarks3d.training import SGCNTrainOptions
    from facecli.microexpr.recognition import MERConfig
    from facecli.normalmaps.training import CAPTrainOptions
    from facecli.recognition.training import GridAttnTrainOptions

    return [
        (CAPTrainOptions, CAPConfig),
        (AlignTrainOptions, MuSiCaConfig),
        (GridAttnTrainOptions, DGPAConfig),
        (SGCNTrainOptions, SGCNConfig),
        (MERConfig, MECapsConfig),
    ]


@pytest.mark.parametrize("options,config", _model_pairs(), ids=lambda x: x.__name__)
def test_options_classes_read_the_architecture_from_the_model_config(options, config):
    model_fields = {f.name for f in dataclasses.fields(config)}
    shared = {n: e for n, e in _field_defaults(options).items() if n in model_fields}
    assert shared  # each options class carries some of its model's hyper-parameters
    written = {n: ast.unparse(e) for n, e in shared.items() if f"{config.__name__}.{n}" not in _names_read(e)}
    assert written == {}


def test_capnet_reads_its_defaults_from_its_config():
    from facecli.configs import CAPConfig
    from facecli.models.cap import CAPNet

    written = {
        n: ast.unparse(e) for n, e in _function_defaults(CAPNet.__init__).items() if "CAPConfig." not in ast.unparse(e)
    }
    assert written == {}
    assert CAPNet().config == CAPConfig()
