"""Custom CUDA kernels for hot paths (installed as ``facecli.kernels``).

The FPFH and attention kernels land with issue #11; until then the library always
uses its plain-PyTorch reference implementations.
"""

__all__: list[str] = []
