"""The one matplotlib set-up of facecli: a headless backend, a new figure, and a save
that renames the file into place and frees the figure.

Every figure facecli writes (previews, curves, CED, ROC, confusion matrices, per-landmark
errors) is made with :func:`figure` and written with :func:`save`.

Example:
    >>> import os, tempfile
    >>> fig, ax = figure(figsize=(2, 2))
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> path = save(fig, os.path.join(tempfile.mkdtemp(), "line.png"))
    >>> os.path.getsize(path) > 0
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facecli.typing import PathLike

__all__ = ["figure", "pyplot", "save"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the headless Agg backend (servers and CI have no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure(
    *, nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (5, 4), dpi: int = 100, **kwargs: Any
) -> tuple[Any, Any]:
    """``(fig, axes)`` of a new figure (``plt.subplots`` arguments)."""
    return pyplot().subplots(nrows, ncols, figsize=figsize, dpi=dpi, **kwargs)


def save(fig: Any, path: PathLike, **kwargs: Any) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix; renamed into place) and close it."""
    from facecli.io.atomic import save_figure

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        return save_figure(fig, p, **kwargs)
    finally:
        pyplot().close(fig)
