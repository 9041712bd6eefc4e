"""File names derived from sample ids, shared by every command that writes one file per
sample (previews, ``.pts``, curves, moved meshes).

Example:
    >>> safe_name("sub01/EP02_01")
    'sub01__EP02_01'
"""

from __future__ import annotations

__all__ = ["safe_name"]


def safe_name(sample_id: str) -> str:
    """A file name for a sample id (path separators become ``__``)."""
    return sample_id.replace("/", "__").replace("\\", "__")
