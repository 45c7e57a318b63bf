"""Process-level CPU settings: glibc's malloc keeps large activations on the heap."""

import os
import platform
import subprocess
import sys

import pytest

from sktag import _runtime

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")

_MMAPPED_BYTES_OF_A_16_MIB_ARRAY = """
import ctypes, importlib.util, sys
import numpy as np

spec = importlib.util.spec_from_file_location("runtime", sys.argv[2])  # the module alone: no torch to import
runtime = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runtime)

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "settle":
    runtime.settle_glibc_malloc()
before = libc.mallinfo2().hblkhd
array = np.ones(2**21)  # 16 MiB
print(libc.mallinfo2().hblkhd - before)
"""


@pytest.mark.parametrize("environment", [{}, {"MALLOC_TRIM_THRESHOLD_": "65536"}], ids=["default", "dask-worker"])
def test_settled_malloc_serves_large_activations_from_the_heap(environment):
    """Also where the environment turns glibc's dynamic threshold off, as Dask's workers do."""
    libc_version = tuple(int(p) for p in platform.libc_ver()[1].split(".")[:2])
    if libc_version < (2, 33):
        pytest.skip("mallinfo2 needs glibc 2.33")

    def mmapped(mode):
        result = subprocess.run([sys.executable, "-c", _MMAPPED_BYTES_OF_A_16_MIB_ARRAY, mode,
                                 _runtime.__file__], check=True,
                                capture_output=True, text=True, env={**os.environ, **environment})
        return int(result.stdout)

    assert mmapped("as-is") >= 2**24  # glibc's default: a fresh mapping, page-faulted on every call
    assert mmapped("settle") == 0
