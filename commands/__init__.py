"""The facecli command line (installed as ``facecli.commands``): thin modules that
parse arguments, call the library, write outputs and report."""

__all__: list[str] = []
