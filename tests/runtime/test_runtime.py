"""Process-level CPU settings: glibc's malloc keeps large activations on the heap; torch's threads share the CPU."""

import json
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
        result = subprocess.run(
            [sys.executable, "-c", _MMAPPED_BYTES_OF_A_16_MIB_ARRAY, mode, _runtime.__file__],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **environment},
        )
        return int(result.stdout)

    assert mmapped("as-is") >= 2**24  # glibc's default: a fresh mapping, page-faulted on every call
    assert mmapped("settle") == 0


# ---------------------------------------------------------------------------
# Sharing the CPU: torch's threads and how they wait (issue 25)
# ---------------------------------------------------------------------------

#: Loads a small CPU network the way every sktag transformer does, then reports torch's threads.
_THREADS_AFTER_LOADING_A_NETWORK = """
import json, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
if sys.argv[1] != "sktag-first":
    import torch
    if sys.argv[1] == "torch-set-1":
        torch.set_num_threads(1)
from sktag import SampleCNNFeatures
import numpy as np
import torch

clips = [np.zeros(2000, np.float32)]
SampleCNNFeatures(weights=None, architecture={"m": 3, "n": 5}, random_state=0).fit(clips).transform(clips)
print(json.dumps(torch.get_num_threads()))
"""

#: Variables that would decide the outcome from the calling environment (pytest's own process has imported
#: sktag, which set GOMP_SPINCOUNT in it); each test names the ones it wants.
_THREAD_VARIABLES = (
    "SKTAG_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "GOMP_SPINCOUNT",
    "KMP_BLOCKTIME",
    "OMP_DISPLAY_ENV",
)


def _clean_environment(**variables: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in _THREAD_VARIABLES}
    return {**environment, **variables}


def _threads_after_loading(order: str = "sktag-first", **variables: str) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-c", _THREADS_AFTER_LOADING_A_NETWORK, order],
        check=False,
        capture_output=True,
        text=True,
        env=_clean_environment(**variables),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1]), result.stderr


def _torch_default_threads() -> int:
    result = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
        check=True,
        capture_output=True,
        text=True,
        env=_clean_environment(),
    )
    return int(result.stdout)


def test_default_keeps_torchs_thread_count():
    """Where nothing limits it, sktag's network runs torch's own count: a thread per core it may use (2 here)."""
    threads, _ = _threads_after_loading()
    assert threads == _torch_default_threads()


@pytest.mark.parametrize(
    "variables",
    [{"SKTAG_NUM_THREADS": "3"}, {"SKTAG_NUM_THREADS": " 3 ", "OMP_NUM_THREADS": "1"}],
    ids=["alone", "over-OMP_NUM_THREADS"],
)
def test_sktag_num_threads_sets_torch_threads(variables):
    """3 threads: more than this 2-core machine's default, so the variable, not the machine, decides."""
    threads, _ = _threads_after_loading(**variables)
    assert threads == 3


_THREADS_WHILE_TRAINING = """
import json
import numpy as np
import torch
from sktag.training import SampleCNNTagger

X = [np.random.default_rng(i).standard_normal(800).astype(np.float32) for i in range(4)]
threads = []
tagger = SampleCNNTagger(weights=None, architecture={"m": 3, "n": 4}, recipe="adam", max_epochs=1, batch_size=2,
                         random_state=0)
original = torch.nn.Module.train
def spy(self, mode=True):
    threads.append(torch.get_num_threads())
    return original(self, mode)
torch.nn.Module.train = spy
tagger.fit(X, [0, 1, 0, 1])
print(json.dumps(min(threads)))
"""


def test_sktag_num_threads_also_sets_the_threads_of_training():
    result = subprocess.run(
        [sys.executable, "-c", _THREADS_WHILE_TRAINING],
        check=False,
        capture_output=True,
        text=True,
        env=_clean_environment(SKTAG_NUM_THREADS="3"),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == 3


def test_sktag_num_threads_overrides_an_earlier_torch_set_num_threads():
    threads, _ = _threads_after_loading("torch-set-1", SKTAG_NUM_THREADS="2")
    assert threads == 2


def test_worker_environment_thread_count_is_kept():
    """A simulated loky or Dask worker (OMP_NUM_THREADS=1): the network runs one thread."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: one thread either way")
    threads, _ = _threads_after_loading(OMP_NUM_THREADS="1")
    assert threads == 1


def test_an_earlier_torch_set_num_threads_is_kept():
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: one thread either way")
    threads, _ = _threads_after_loading("torch-set-1")
    assert threads == 1


_THREADS_IN_LOKY_WORKERS = """
import json
import numpy as np
from joblib import Parallel, delayed

def threads_in_worker():
    import torch
    from sktag import SampleCNNFeatures
    clips = [np.zeros(2000, np.float32)]
    SampleCNNFeatures(weights=None, architecture={"m": 3, "n": 5}, random_state=0).fit(clips).transform(clips)
    return torch.get_num_threads()

print(json.dumps(Parallel(n_jobs=2)(delayed(threads_in_worker)() for _ in range(2))))
"""


def test_joblib_workers_share_the_cores():
    """``n_jobs=2`` (loky, as cross_val_score and GridSearchCV use it): each worker runs its half of the cores."""
    result = subprocess.run(
        [sys.executable, "-c", _THREADS_IN_LOKY_WORKERS],
        check=False,
        capture_output=True,
        text=True,
        env=_clean_environment(),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [max(1, len(os.sched_getaffinity(0)) // 2)] * 2


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_an_invalid_sktag_num_threads_is_refused(monkeypatch, value):
    monkeypatch.setattr(_runtime, "_THREADS_SETTLED", False)
    monkeypatch.setenv("SKTAG_NUM_THREADS", value)
    with pytest.raises(ValueError, match="SKTAG_NUM_THREADS"):
        _runtime.settle_torch_threads()
    assert not _runtime._THREADS_SETTLED  # the next network load says it again


def _openmp_spin_counts(code: str, **variables: str) -> list[str]:
    """libgomp's busy-wait spin count as it loaded, from its own report (``OMP_DISPLAY_ENV=VERBOSE``), per process."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_environment(OMP_DISPLAY_ENV="VERBOSE", **variables),
    )
    counts = [
        line.split("=", 1)[1].strip().strip("'")
        for line in result.stderr.splitlines()
        if line.strip().startswith("GOMP_SPINCOUNT")
    ]
    if not counts:
        pytest.skip("torch's OpenMP is not libgomp (no GOMP_SPINCOUNT in its OMP_DISPLAY_ENV report)")
    return counts


def _openmp_spin_count(code: str, **variables: str) -> str:
    return _openmp_spin_counts(code, **variables)[0]


def test_importing_sktag_first_shortens_openmp_spin_waits():
    """torch's OpenMP reads how its threads wait once, at load: sktag's setting takes effect when sktag comes first."""
    assert _openmp_spin_count("import sktag, torch") == str(_runtime.OPENMP_SPIN_COUNT) == "1000"
    assert _openmp_spin_count("import torch, sktag") == "300000"  # too late: libgomp's default stands


def test_a_wait_policy_in_the_environment_is_kept():
    assert _openmp_spin_count("import sktag, torch", GOMP_SPINCOUNT="5000") == "5000"
    assert _openmp_spin_count("import sktag, torch", OMP_WAIT_POLICY="ACTIVE") == "30000000000"  # libgomp's own
    assert _openmp_spin_count("import sktag, torch", OMP_WAIT_POLICY="PASSIVE") == "0"


def test_processes_started_after_sktag_inherit_short_spin_waits():
    """Even where torch came first: processes started afterwards (loky, Dask LocalCluster) load it with the policy."""
    code = "import torch, sktag, subprocess, sys; subprocess.run([sys.executable, '-c', 'import torch'], check=True)"
    # This process as torch loaded it; the child with sktag's setting.
    assert _openmp_spin_counts(code) == ["300000", "1000"]


def test_torch_imported_first_logs_how_to_share_the_cpu():
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: a single thread does not spin")
    _, log = _threads_after_loading("torch-first")
    assert "import sktag first" in log and "SKTAG_NUM_THREADS" in log
    _, log = _threads_after_loading("sktag-first")
    assert "import sktag first" not in log
