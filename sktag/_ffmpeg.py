"""Decoding through FFmpeg (PyAV) for what libsndfile does not read: AAC/ALAC in .m4a/.mp4, WMA, ...

Optional: ``pip install "sktag[ffmpeg]"`` installs PyAV, whose wheels bundle
FFmpeg's libraries. :func:`sktag.audio.stream` turns to it only for a file with
one of :data:`FFMPEG_EXTENSIONS` that libsndfile cannot open, so wav, flac,
ogg, opus and mp3 decode exactly as before, and a damaged mp3 is never handed
to FFmpeg's more forgiving probing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import numpy as np

#: Containers and codecs that libsndfile cannot read, which real music collections hold.
FFMPEG_EXTENSIONS = (".m4a", ".mp4", ".aac", ".wma", ".webm", ".mka", ".ape", ".wv")


def available() -> bool:
    """Whether PyAV (and with it FFmpeg) is installed."""
    return importlib.util.find_spec("av") is not None


class FFmpegReader:
    """The part of :class:`soundfile.SoundFile` that :func:`sktag.audio.stream` reads through, over PyAV.

    Decodes the file's first audio stream to float32 frames in order (never
    seeking), keeping at most one decoded packet beyond what was read.

    Parameters
    ----------
    path : str
        An audio or video file FFmpeg can demux, with at least one audio stream.

    Attributes
    ----------
    samplerate : int
        The audio stream's sample rate in Hz.
    channels : int
        Its number of channels.

    Raises
    ------
    ValueError
        FFmpeg cannot open the file, or it has no audio stream.
    """

    def __init__(self, path: str):
        import av

        try:
            self._container = av.open(path)
        except av.error.FFmpegError as exc:
            raise ValueError(f"FFmpeg cannot open it ({exc})") from exc
        if not self._container.streams.audio:
            self._container.close()
            raise ValueError("FFmpeg finds no audio stream in it")
        stream = self._container.streams.audio[0]
        self.samplerate = int(stream.codec_context.sample_rate or 0)
        self.channels = int(stream.codec_context.channels or 0)
        if self.samplerate <= 0 or self.channels <= 0:
            self._container.close()
            raise ValueError(
                f"FFmpeg finds no usable audio stream in it ({self.samplerate} Hz, {self.channels} channels)"
            )
        self._stream = stream
        self._decode_error = av.error.FFmpegError
        self._resampler = av.AudioResampler(format="flt")  # packed float32; same layout and rate
        self._blocks = self._decode()
        self._pending = np.zeros((0, self.channels), dtype=np.float32)

    def _decode(self) -> Iterator[np.ndarray]:
        converted_any = False
        for frame in self._container.decode(self._stream):
            if frame.format.name == "fltp":  # AAC's, Vorbis', Opus' output: (channels, n) float32 as it is
                yield frame.to_ndarray().T
            else:  # any other sample format through FFmpeg's converter
                converted_any = True
                for converted in self._resampler.resample(frame):
                    yield converted.to_ndarray().reshape(-1, self.channels)
        if converted_any:
            for converted in self._resampler.resample(None):  # what the converter still holds
                yield converted.to_ndarray().reshape(-1, self.channels)

    def read(self, frames: int, dtype: str = "float32", always_2d: bool = True) -> np.ndarray:
        """The next ``frames`` frames, fewer at the end of the file.

        Parameters
        ----------
        frames : int
        dtype : {"float32"}
        always_2d : {True}
            Accepted for :class:`soundfile.SoundFile` compatibility; the output
            is always 2-D float32.

        Returns
        -------
        block : np.ndarray [shape=(min(frames, left), channels), dtype=float32]

        Raises
        ------
        RuntimeError
            FFmpeg fails while decoding.
        """
        pieces, n = [self._pending], len(self._pending)
        try:
            while n < frames:
                block = next(self._blocks, None)
                if block is None:
                    break
                pieces.append(block)
                n += len(block)
        except self._decode_error as exc:
            raise RuntimeError(f"FFmpeg: {exc}") from exc
        data = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        self._pending = data[frames:]
        return data[:frames]

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> FFmpegReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
