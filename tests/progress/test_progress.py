"""The progress line on stderr (sktag/_progress.py): ``verbose=1``, on a terminal and off one, and durations."""

import io

import numpy as np
import pytest

from sktag import SampleCNNFeatures
from sktag._progress import Progress, format_duration

SMALL = {"m": 3, "n": 5}  # 729-sample segments


def test_verbose_shows_progress_on_stderr_without_any_logging_set_up(capsys):
    rng = np.random.default_rng(0)
    X = [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in (3000, 5000, 4000)]
    features = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, verbose=1)
    features.fit_transform(X)
    err = capsys.readouterr().err
    assert "3/3 clips (100%)" in err and "clips/s" in err and "done in" in err
    assert "1/3 clips" in err  # a line per tenth of the work off a terminal
    SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0).fit_transform(X)
    assert capsys.readouterr().err == ""


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_rewrites_one_line_on_a_terminal():
    terminal = _Terminal()
    with Progress(5, desc="sktag", unit="clips", file=terminal, min_interval=0) as progress:
        for _ in range(5):
            progress.update(1, postfix="2 segments")
        progress.write("a message")
    text = terminal.getvalue()
    assert text.endswith("\n") and text.count("\n") == 2  # the message, and the finished line
    assert "\rsktag: 5/5 clips (100%), 2 segments, " in text and "done in" in text
    assert "a message\n" in text and "ETA" in text


def test_progress_prints_a_line_per_tenth_elsewhere_and_nothing_when_disabled():
    stream = io.StringIO()
    progress = Progress(20, desc="job", unit="files", file=stream)
    for _ in range(20):
        progress.update()
    progress.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"job: {2 * k}/20 files" for k in range(1, 11)]
    quiet = io.StringIO()
    with Progress(3, file=quiet, enabled=False) as progress:
        progress.update(3)
        progress.write("x")
    assert quiet.getvalue() == "" and progress.done == 3


@pytest.mark.parametrize(
    "seconds, text",
    [(0.4, "0 s"), (42.4, "42 s"), (185, "3:05"), (3723, "1:02:03"), (float("nan"), "?"), (float("inf"), "?")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
