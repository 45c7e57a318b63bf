"""Shared pytest fixtures."""

import os
import tempfile

# Decoded-audio stores of the training tests go to a throw-away folder, never ~/.cache or ../shared.
os.environ.setdefault("SKTAG_CACHE", tempfile.mkdtemp(prefix="sktag-test-cache-"))

# ---------------------------------------------------------------------------
# Audio fixtures (used by tests/test_audio.py)
# ---------------------------------------------------------------------------
from pathlib import Path

import pytest

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
