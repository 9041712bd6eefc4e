"""Micro-expression clips, apex spotting, recognition inputs, protocols and LOSO training (issues #9, #10)."""

__all__: list[str] = []
