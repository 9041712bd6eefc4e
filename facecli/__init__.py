"""facecli: composable commands for face-geometry and face-analysis research.

The library never prints and never imports the CLI; it raises
:class:`facecli.errors.FaceCLIError` with messages that say what was expected and
what was received. Heavy dependencies (torch, open3d) are imported lazily by the
modules that need them.
"""

from facecli._version import __version__
from facecli.errors import FaceCLIError

__all__ = ["__version__", "FaceCLIError"]
