"""One module per task's metrics; pure functions on arrays (issues #4-#10)."""

__all__: list[str] = []
