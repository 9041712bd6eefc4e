"""Markers for the kernel tests that need a GPU (they run on the GPU machine, skip elsewhere)."""

import pytest
import torch

needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (runs on the GPU machine)")
