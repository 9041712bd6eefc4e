import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _kernel_cache(tmp_path_factory):
    """Build the kernels into this session's own cache (a clean build, nothing left in ~)."""
    old = os.environ.get("FACECLI_KERNEL_CACHE")
    os.environ["FACECLI_KERNEL_CACHE"] = str(tmp_path_factory.mktemp("kernel_cache"))
    yield
    if old is None:
        os.environ.pop("FACECLI_KERNEL_CACHE", None)
    else:
        os.environ["FACECLI_KERNEL_CACHE"] = old
