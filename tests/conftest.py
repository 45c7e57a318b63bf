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


# ---------------------------------------------------------------------------
