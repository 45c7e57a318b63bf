"""What sktag writes to stderr: progress lines, and C libraries' messages kept off it.

:class:`Progress` is the one progress display of the package (``verbose=1`` of
the feature transformers, ``sktag extract``): items done of the total, items
per second and the time left, on stderr, without any logging set-up.

:func:`capture_c_stderr` catches what C code writes to file descriptor 2 while
it runs: libsndfile's mp3 decoder (mpg123) prints ``Note: Illegal
Audio-MPEG-Header ...`` there, below Python's ``sys.stderr``. Decoding runs in
background threads, and file descriptor 2 is shared by the whole process, so
the redirection is reference-counted across threads, and :class:`Progress`
waits for a moment when no capture is active before it writes (a line written
during a capture would land in it). This module imports nothing heavy: the
command line's parser uses it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import TextIO

__all__ = ["CapturedStderr", "Progress", "capture_c_stderr", "format_duration", "writing_stderr"]


def format_duration(seconds: float) -> str:
    """``"42 s"``, ``"3:05"`` (minutes:seconds) or ``"1:02:03"``; ``"?"`` when unknown.

    Parameters
    ----------
    seconds : float

    Returns
    -------
    text : str
    """
    if not seconds >= 0 or seconds == float("inf"):  # NaN, negative or infinite
        return "?"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Gate:
    """File descriptor 2 redirected to a temporary file while any capture is active.

    Captures (decoder calls, in any thread) share one redirection, set up by the
    first and undone by the last; writers (:func:`writing_stderr`) wait until
    no capture is active and hold new captures back meanwhile.
    """

    def __init__(self):
        self.changed = threading.Condition()
        self.active = 0  # captures running now
        self.entered = 0  # captures ever started: tells a capture whether another overlapped it
        self.writers = 0  # writers waiting or writing
        self.saved_fd: int | None = None  # the real fd 2 while redirected
        self.file_fd: int | None = None  # the temporary file fd 2 points to
        self.file_pid: int | None = None  # a forked child makes its own file
        self.local = threading.local()  # .depth: captures of this thread (a writer there must not wait)

    def _capture_file(self) -> int:
        if self.file_fd is None or self.file_pid != os.getpid():
            handle, path = tempfile.mkstemp(prefix="sktag-stderr-")
            os.unlink(path)
            self.file_fd, self.file_pid = handle, os.getpid()
        return self.file_fd

    def enter(self) -> tuple[int, int, bool] | None:
        """Start a capture; returns (start offset, entered count, overlapped) or None when fd 2 is unusable."""
        if not hasattr(os, "pread"):  # Windows: no reading the file without moving fd 2's offset
            return None
        with self.changed:
            self.changed.wait_for(lambda: self.writers == 0)
            if self.active == 0:
                try:
                    with contextlib.suppress(Exception):  # text Python holds must reach the real stderr
                        sys.stderr.flush()
                    target = self._capture_file()
                    saved = os.dup(2)
                    try:
                        os.dup2(target, 2)
                    except OSError:
                        os.close(saved)
                        raise
                except OSError:  # fd 2 closed, or no temporary folder: leave stderr alone
                    return None
                self.saved_fd = saved
            self.active += 1
            self.entered += 1
            self.local.depth = getattr(self.local, "depth", 0) + 1
            return os.lseek(self.file_fd, 0, os.SEEK_END), self.entered, self.active > 1

    def leave(self, token: tuple[int, int, bool]) -> tuple[str, bool]:
        """End a capture; returns the text written during it and whether another capture overlapped it."""
        start, entered, overlapped = token
        with self.changed:
            end = os.lseek(self.file_fd, 0, os.SEEK_END)
            data = os.pread(self.file_fd, end - start, start) if end > start else b""
            overlapped = overlapped or self.entered != entered or self.active > 1
            self.active -= 1
            self.local.depth -= 1
            if self.active == 0:
                os.dup2(self.saved_fd, 2)
                os.close(self.saved_fd)
                self.saved_fd = None
                os.ftruncate(self.file_fd, 0)
                os.lseek(self.file_fd, 0, os.SEEK_SET)
                self.changed.notify_all()
        return data.decode("utf-8", "replace"), overlapped

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        if getattr(self.local, "depth", 0):  # inside this thread's own capture: waiting would never end
            yield
            return
        with self.changed:
            self.writers += 1
            self.changed.wait_for(lambda: self.active == 0)
        try:
            yield
        finally:
            with self.changed:
                self.writers -= 1
                self.changed.notify_all()

    def reset_in_child(self) -> None:
        """After ``fork``: the threads that held captures are gone; give fd 2 back and start afresh."""
        if self.saved_fd is not None:
            with contextlib.suppress(OSError):
                os.dup2(self.saved_fd, 2)
                os.close(self.saved_fd)
        if self.file_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.file_fd)
        self.__init__()


_GATE = _Gate()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_GATE.reset_in_child)


class CapturedStderr:
    """What C code wrote to file descriptor 2 during a :func:`capture_c_stderr` block.

    Attributes
    ----------
    text : str
        The captured text (filled in when the block ends; ``""`` before).
    overlapped : bool
        Another thread captured at the same time, so ``text`` may hold its
        messages too.
    """

    def __init__(self):
        self.text = ""
        self.overlapped = False

    def summary(self, limit: int = 300) -> str:
        """The captured lines on one line (``" / "`` between them), at most ``limit`` characters."""
        lines = [line.strip() for line in self.text.splitlines() if line.strip()]
        text = " / ".join(lines)
        return text if len(text) <= limit else text[: limit - 3] + "..."


@contextlib.contextmanager
def capture_c_stderr() -> Iterator[CapturedStderr]:
    """Catch what C code writes to file descriptor 2 (not ``sys.stderr``) inside the block.

    Safe to use from several threads at once; keep the block short (one C call):
    :class:`Progress` waits until no block is active before it writes.

    Yields
    ------
    captured : CapturedStderr
        Its ``text`` is set when the block ends, also when it raises.
    """
    captured = CapturedStderr()
    token = _GATE.enter()
    try:
        yield captured
    finally:
        if token is not None:
            captured.text, captured.overlapped = _GATE.leave(token)


def writing_stderr() -> contextlib.AbstractContextManager:
    """A block in which writes to stderr reach it: no :func:`capture_c_stderr` runs meanwhile."""
    return _GATE.writing()


class Progress:
    """A progress line on stderr: items done of the total, items per second, time left.

    On a terminal the line is rewritten in place (at most every ``min_interval``
    seconds); elsewhere (a log file, a pipe, a notebook's captured stream) a new
    line is printed at every tenth of the work and at the end.

    Parameters
    ----------
    total : int
        Items to do.
    desc : str, default="sktag"
        Start of the line, e.g. ``"sktag extract"``.
    unit : str, default="clips"
    enabled : bool, default=True
        ``False``: print nothing (still counts).
    file : file object, optional
        Where to write; default: ``sys.stderr`` as it is when the line is created.
    min_interval : float, default=0.2
        Seconds between redraws on a terminal.

    Examples
    --------
    >>> with Progress(3, enabled=False) as progress:
    ...     for clip in ["a.wav", "b.wav", "c.wav"]:
    ...         progress.update(1)
    >>> progress.done
    3
    """

    def __init__(
        self,
        total: int,
        *,
        desc: str = "sktag",
        unit: str = "clips",
        enabled: bool = True,
        file: TextIO | None = None,
        min_interval: float = 0.2,
    ):
        self.total, self.desc, self.unit = int(total), desc, unit
        self.enabled = bool(enabled)
        self.file = sys.stderr if file is None else file
        self.min_interval = min_interval
        self.done = 0
        self.postfix = ""
        self.started = time.perf_counter()
        self._lock = threading.Lock()
        self._tty = self.enabled and _isatty(self.file)
        self._drawn = 0  # characters of the line now on the terminal
        self._last_draw = float("-inf")
        self._last_tenth = 0
        self._closed = False

    def line(self) -> str:
        """The progress text, e.g. ``"sktag: 12/40 clips (30%), 3.1 clips/s, ETA 9 s"``."""
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else float("nan")
        percent = f" ({100 * self.done // self.total}%)" if self.total else ""
        postfix = f", {self.postfix}" if self.postfix else ""
        if self.total and self.done >= self.total:
            when = f"done in {format_duration(elapsed)}"
        else:
            when = "ETA " + format_duration((self.total - self.done) / rate if rate > 0 else float("nan"))
        return f"{self.desc}: {self.done}/{self.total} {self.unit}{percent}{postfix}, {rate:.1f} {self.unit}/s, {when}"

    def update(self, n: int = 1, *, postfix: str | None = None) -> None:
        """Count ``n`` more items done and redraw when due.

        Parameters
        ----------
        n : int, default=1
        postfix : str, optional
            Text shown after the count from now on, e.g. ``"4/10 shards"``.
        """
        with self._lock:
            self.done += n
            if postfix is not None:
                self.postfix = postfix
            if not self.enabled or self._closed:
                return
            finished = self.total > 0 and self.done >= self.total
            if self._tty:
                now = time.perf_counter()
                if finished or now - self._last_draw >= self.min_interval:
                    self._last_draw = now
                    self._draw()
            else:
                tenth = 10 * self.done // self.total if self.total else 10
                if tenth > self._last_tenth or finished:
                    self._last_tenth = tenth
                    self._emit(self.line() + "\n")

    def write(self, message: str) -> None:
        """Print a message line on the same stream, above the progress line."""
        with self._lock:
            if not self.enabled:
                return
            self._emit(self._wipe() + message + "\n")
            if self._tty and self.done and not self._closed:
                self._draw()

    def close(self) -> None:
        """End the line (a terminal's cursor goes to the next line)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._tty and self._drawn:
                self._draw()
                self._emit("\n")
                self._drawn = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _wipe(self) -> str:
        if not (self._tty and self._drawn):
            return ""
        wipe, self._drawn = "\r" + " " * self._drawn + "\r", 0
        return wipe

    def _draw(self) -> None:
        text = self.line()
        pad = " " * max(0, self._drawn - len(text))
        self._emit("\r" + text + pad)
        self._drawn = len(text)

    def _emit(self, text: str) -> None:
        with writing_stderr():
            try:
                self.file.write(text)
                self.file.flush()
            except (OSError, ValueError):  # a closed or broken stream: progress is not worth an error
                self.enabled = False


def _isatty(file: TextIO) -> bool:
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError, OSError):
        return False
