"""Shared pytest fixtures, and the session's temporary folders."""

import os
import shutil
import tempfile

# Decoded-audio stores of the training tests go to a throw-away folder, never ~/.cache or ../shared; it is removed
# when the session ends (pytest_unconfigure below). A folder named by the caller's SKTAG_CACHE is used and kept.
_SESSION_CACHE = None if os.environ.get("SKTAG_CACHE") else tempfile.mkdtemp(prefix="sktag-test-cache-")
if _SESSION_CACHE:
    os.environ["SKTAG_CACHE"] = _SESSION_CACHE

# One OpenMP thread (torch, BLAS) in the test processes, unless the caller sets OMP_NUM_THREADS: the tests' networks
# are small, so a second thread saves little on an idle machine, while on a busy one threads that wait for each
# other in every layer made the run 2-3x slower (a single test up to 20x). tests/runtime/test_runtime.py sets its own.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# sktag before any test module imports torch: imported first, sktag shortens how long torch's idle OpenMP threads
# spin before they sleep (sktag/_runtime.py).
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

import sktag  # noqa: E402,F401

# ---------------------------------------------------------------------------
# Temporary folders: nothing is left behind
# ---------------------------------------------------------------------------

#: Left in the temporary folder on purpose: scikit-learn's estimator checks memory-map their data in
#: ``sklearn_testing_*`` folders that it removes when the process exits (``atexit``); ``import torch._dynamo``
#: (torch.optim imports it) makes torch's compile cache folder, ``torchinductor_<user>``, kept there to reuse.
_LEFT_ON_PURPOSE = ("sklearn_testing_", "torchinductor_")


def pytest_unconfigure(config):
    if _SESSION_CACHE:
        shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _no_temporary_files_left_behind(tmp_path_factory):
    """Whatever the tests, sktag and their subprocesses put in the temporary folder must be gone at the end.

    For the session, ``tempfile`` (and ``TMPDIR``, for subprocesses) point to a folder of its own; what is
    still in it when the last test has run, the session reports as an error, then removes. pytest's own
    ``tmp_path`` folders stay in its base folder, removed after a passing run (``tmp_path_retention_policy``
    in setup.cfg), kept after a failing one to look at.
    """
    tmp_path_factory.getbasetemp()  # created where pytest keeps it, before the temporary folder moves
    root = tempfile.mkdtemp(prefix="sktag-tests-tmp-")
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = os.environ["TMPDIR"] = root
    try:
        yield
    finally:
        tempfile.tempdir = saved[0]
        if saved[1] is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = saved[1]
        left = sorted(name for name in os.listdir(root) if not name.startswith(_LEFT_ON_PURPOSE))
        shutil.rmtree(root, ignore_errors=True)
    assert not left, f"the tests left these in the temporary folder: {left}"


# ---------------------------------------------------------------------------
# Audio fixtures: real clips, and files written on the fly (tests/audio/ and every folder that decodes files)
# ---------------------------------------------------------------------------

FIXTURES_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The read-only real clips of ``shared/data/fixtures`` (never write there)."""
    assert FIXTURES_DIR.is_dir(), f"audio fixtures not found at {FIXTURES_DIR}"
    return FIXTURES_DIR


@pytest.fixture
def write_audio(tmp_path):
    """Write ``data`` with soundfile into ``tmp_path`` and return the file's path.

    ``write_audio(name, data, sr, **soundfile_write_kwargs)``; ``data`` is (n,) or (n, channels).
    """
    import soundfile

    def _write(name, data, sr, **kwargs):
        path = tmp_path / name
        soundfile.write(path, data, sr, **kwargs)
        return path

    return _write


@pytest.fixture
def write_ffmpeg(tmp_path):
    """Encode ``data`` in a container libsndfile cannot read, with PyAV's FFmpeg; return the path.

    ``write_ffmpeg(name, data, sr, codec="aac", **muxer_options)``: ``data`` is (n,) or (n, channels)
    float32; ``"aac"`` is lossy, ``"alac"`` and ``"wavpack"`` store it as 16-bit PCM, losslessly. Skips
    without PyAV.
    """
    av = pytest.importorskip("av")
    import numpy as np

    def _write(name, data, sr, codec="aac", **container_options):
        data = np.asarray(data, dtype=np.float32).reshape(len(data), -1)
        layout = {1: "mono", 2: "stereo"}[data.shape[1]]
        if codec in ("alac", "wavpack"):
            planes, sample_format = np.ascontiguousarray(np.round(data.T * 32767).astype(np.int16)), "s16p"
        else:
            planes, sample_format = np.ascontiguousarray(data.T), "fltp"
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with av.open(str(path), "w", options=container_options) as container:
            stream = container.add_stream(codec, rate=sr, layout=layout)
            stream.codec_context.format = sample_format  # else an encoder may pick 8 bits (WavPack does)
            frame = av.AudioFrame.from_ndarray(planes, format=sample_format, layout=layout)
            frame.sample_rate = sr
            for packet in [*stream.encode(frame), *stream.encode(None)]:
                container.mux(packet)
        return path

    return _write


# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# A trained tagger checkpoint (tests/cli/ and tests/training/)
# ---------------------------------------------------------------------------

#: The tiny SampleCNN of the tagger checkpoint: 243-sample segments.
TINY_SAMPLECNN = {"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8}


@pytest.fixture(scope="session")
def tiny_tagger_checkpoint(tmp_path_factory):
    """A SampleCNNTagger of :data:`TINY_SAMPLECNN` at 8 kHz trained one epoch on 6 noise clips with 3 soft tags
    (``calm``, ``loud``, ``weird``), saved in fp32: ``(tagger, checkpoint path, the clips)``."""
    import numpy as np

    from sktag.training import SampleCNNTagger

    folder = tmp_path_factory.mktemp("tiny_tagger")
    rng = np.random.default_rng(0)
    X = [(0.3 * rng.standard_normal(1000)).astype(np.float32) for _ in range(6)]
    tagger = SampleCNNTagger(
        architecture=TINY_SAMPLECNN,
        analysis_rate=8000,
        recipe="adam",
        max_epochs=1,
        batch_size=3,
        cache_dir=str(folder / "cache"),
        random_state=0,
        verbose=0,
        precision="fp32",
    )
    tagger.fit(X, rng.uniform(0, 1, size=(6, 3)).astype(np.float32), tags=["calm", "loud", "weird"])
    checkpoint = folder / "tiny.pt"
    tagger.save(checkpoint, half=False)
    return tagger, checkpoint, X
