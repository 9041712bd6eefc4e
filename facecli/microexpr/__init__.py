"""Micro-expression clips, apex spotting and recognition protocols (issues #9, #10)."""

__all__: list[str] = []
