"""Markers for the kernel tests: those that need a GPU (they run on the GPU machine, skip
elsewhere) and those that need a C++ compiler for the kernels' host build."""

import os
import shutil

import pytest
import torch

needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (runs on the GPU machine)")

HAVE_CXX = bool(os.environ.get("CXX") or any(shutil.which(c) for c in ("g++", "c++", "clang++")))
needs_cxx = pytest.mark.skipif(not HAVE_CXX, reason="no C++ compiler for the kernels' host build")
