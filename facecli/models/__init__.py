"""One torch model per file: cap, dgpa, sgcn, musica, capsnet (issues #5-#10)."""

__all__: list[str] = []
