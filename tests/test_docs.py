"""The documentation builds with warnings as errors, and every gallery example runs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXAMPLES = sorted((DOCS / "examples").glob("plot_*.py"))


def test_docs_build_without_warnings(tmp_path):
    """API reference, user guide and gallery pages (examples rendered, not run: see the slow test below)."""
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "-d",
        str(tmp_path / "doctrees"),
        "-D",
        "plot_gallery=0",
        str(DOCS),
        str(tmp_path / "html"),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-5000:]
    for page in ("index.html", "api.html", "user_guide.html", "auto_examples/index.html"):
        assert (tmp_path / "html" / page).is_file()
    api = (tmp_path / "html" / "api.html").read_text()
    for name in ("MultiScaleFeatures", "BagOfFeatures", "sktag.hear"):
        assert name in api


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_gallery_example_runs(example, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(example)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-5000:]
