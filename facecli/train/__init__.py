"""The training loop, subject-wise/LOSO splits and checkpoints (issues #5-#10)."""

__all__: list[str] = []
