"""Teacher outputs (musicnn tags and embeddings) for every clip of a corpus (issue 26, step 2).

Run with a Python that has ``tensorflow-cpu==2.15.1``, ``librosa`` and ``musicnn``
(installed ``--no-deps``); this module imports neither sktag nor torch::

    # compute (resumable: one file per teacher and game, written by atomic rename)
    ~/musicnn-env/bin/python -m benchmarks.corpus.teacher run \\
        --clips ~/.cache/sktag-corpus/game_music2/clips.csv \\
        --teachers MTT_musicnn,MSD_musicnn,MSD_vgg --out ~/.cache/sktag-corpus/teacher
    # pack the finished parts into the committed float16 file(s) (numpy only)
    python -m benchmarks.corpus.teacher pack \\
        --clips ~/.cache/sktag-corpus/game_music2/clips.csv \\
        --teachers MTT_musicnn,MSD_musicnn,MSD_vgg --out ~/.cache/sktag-corpus/teacher
    # write teacher_mtt50.csv and peers/musicnn_MTT.npz into the corpus folder, laid out like
    # shared game_music, for ``sktag bench --heldout-corpus`` (numpy only)
    python -m benchmarks.corpus.teacher tables --clips ~/.cache/sktag-corpus/game_music2/clips.csv
    # reproduce shared peers/musicnn_MTT.npz on a sample of shared game_music clips
    ~/musicnn-env/bin/python -m benchmarks.corpus.teacher check \\
        --clips ../shared/data/game_music/clips.csv \\
        --peers ../shared/data/game_music/peers/musicnn_MTT.npz --n-clips 20

The computation is musicnn's ``extractor(path, model, input_length=3, input_overlap=False,
extract_features=True)`` with the graph built and restored once per teacher and run, and
with ``penultimate`` computed for every patch (musicnn 0.1.0's ``extractor()`` repeats the
first patch's): ``librosa.load`` at 16 kHz mono; mel power spectrogram (512-point FFT,
hop 256, 96 bands) rounded to float16, then ``log10(10000 x + 1)`` in float32;
non-overlapping 187-frame (2.992 s) patches from frame 0, the last partial patch dropped;
audio shorter than one patch (48,000 samples) zero-padded at the end to 48,000 samples
first. Each teacher gives per patch:

- ``tags``: sigmoid tag probabilities (50);
- ``penultimate``: musicnn: the 200-unit dense layer after batch norm (the input of the
  output layer); vgg: ``pool5`` flattened (2 time steps x 128 channels = 256), which is
  likewise the whole input of the vgg's output layer;
- ``max_pool`` (musicnn only): the max-over-time pool of the 753 mid-end features.

Per clip: ``patch_tags`` (n_patches x 50), and the means over patches of the three.
See ``README.md`` (section "Teacher outputs") for the files and their arrays.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "FEATURES",
    "HOP_LENGTH",
    "MIN_SAMPLES",
    "N_FFT",
    "N_MELS",
    "PATCH_FRAMES",
    "SAMPLE_RATE",
    "TEACHERS",
    "Clip",
    "Teacher",
    "build_musicnn_teacher",
    "check_against_peers",
    "clip_outputs",
    "load_log_mel",
    "log_compress",
    "pack",
    "packed_name",
    "pad_audio",
    "part_path",
    "patch_frames",
    "read_clips",
    "read_part",
    "run_job",
    "write_npz_atomic",
]

logger = logging.getLogger("benchmarks.corpus.teacher")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_OUT = Path("~/.cache/sktag-corpus/teacher")

SAMPLE_RATE = 16000
N_FFT = 512
HOP_LENGTH = 256
N_MELS = 96
#: frames per patch: ``librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1``
PATCH_FRAMES = 187
#: audio shorter than this (3 s) is zero-padded at the end to it (gives 188 frames: one patch)
MIN_SAMPLES = 3 * SAMPLE_RATE
#: the teachers in the musicnn 0.1.0 wheel
TEACHERS = ("MTT_musicnn", "MSD_musicnn", "MTT_vgg", "MSD_vgg")
#: per-patch outputs averaged over a clip's patches (``max_pool`` only for musicnn models)
FEATURES = ("tags", "penultimate", "max_pool")

#: a teacher's forward pass: patches (n, 187, 96) float32 -> {"tags": (n, 50), "penultimate": (n, D), ...}
TeacherFn = Callable[[np.ndarray], dict[str, np.ndarray]]


@dataclass
class Teacher:
    """A teacher model: its name, its tag names and its forward pass.

    Parameters
    ----------
    name : str
        ``MTT_musicnn``, ``MSD_musicnn``, ``MTT_vgg`` or ``MSD_vgg`` (or any name, for tests).
    tag_names : sequence of str
        The 50 tag names in output order.
    forward : callable
        Maps log-mel patches, shape ``(n, PATCH_FRAMES, N_MELS)`` float32, to a dict with
        ``tags`` ``(n, n_tags)``, ``penultimate`` ``(n, D)`` and optionally ``max_pool``
        ``(n, 753)``, one row per patch.
    close : callable, optional
        Releases the model (the TF session).
    """

    name: str
    tag_names: Sequence[str]
    forward: TeacherFn
    close: Callable[[], None] | None = None


@dataclass(frozen=True)
class Clip:
    """One row of a corpus's ``clips.csv``.

    Parameters
    ----------
    clip_id, game : str
    path : Path
        Absolute path of the audio file.
    start_s : float
    """

    clip_id: str
    game: str
    path: Path
    start_s: float


# ----------------------------------------------------------------------------- audio


def pad_audio(audio: np.ndarray, min_samples: int = MIN_SAMPLES) -> tuple[np.ndarray, bool]:
    """Zero-pad audio at the end to ``min_samples`` when it is shorter.

    Parameters
    ----------
    audio : ndarray, shape (n_samples,)
    min_samples : int

    Returns
    -------
    audio : ndarray
        ``audio`` itself when long enough, else a padded copy.
    padded : bool
    """
    if audio.shape[0] >= min_samples:
        return audio, False
    return np.pad(audio, (0, min_samples - audio.shape[0])), True


def log_compress(mel_power: np.ndarray) -> np.ndarray:
    """musicnn's input compression: round to float16, then ``log10(10000 x + 1)`` in float32.

    musicnn's ``batch_data`` casts the mel power to float16 and computes
    ``np.log10(10000 * x + 1)``; under numpy 1.x's value-based casting the Python int
    10000 promotes the float16 array to float32, so everything after the rounding is
    float32. (Under numpy 2 the same expression stays float16 and overflows to ``inf``
    above x = 6.55; this function does not depend on the numpy version.)

    Parameters
    ----------
    mel_power : ndarray, shape (n_frames, N_MELS)
        Mel power spectrogram (time first).

    Returns
    -------
    log_mel : ndarray of float32
    """
    x = np.asarray(mel_power).astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * x + np.float32(1))


def patch_frames(log_mel: np.ndarray, n_frames: int = PATCH_FRAMES) -> np.ndarray:
    """Cut a spectrogram into non-overlapping patches from frame 0; the last partial one is dropped.

    Parameters
    ----------
    log_mel : ndarray, shape (n_total, n_bands)
    n_frames : int

    Returns
    -------
    patches : ndarray of float32, shape (n_total // n_frames, n_frames, n_bands)
    """
    n = log_mel.shape[0] // n_frames
    return np.ascontiguousarray(log_mel[: n * n_frames], dtype=np.float32).reshape(n, n_frames, log_mel.shape[1])


def load_log_mel(path: Path) -> tuple[np.ndarray, bool]:
    """musicnn's input of an audio file (needs librosa): patches of the log-mel spectrogram.

    Parameters
    ----------
    path : Path

    Returns
    -------
    patches : ndarray of float32, shape (n_patches, PATCH_FRAMES, N_MELS)
    padded : bool
        Whether the audio was shorter than one patch and zero-padded to ``MIN_SAMPLES``.
    """
    import librosa

    audio, sr = librosa.load(str(path), sr=SAMPLE_RATE)
    audio, padded = pad_audio(audio)
    mel = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=HOP_LENGTH, n_fft=N_FFT, n_mels=N_MELS)
    return patch_frames(log_compress(mel.T)), padded


# ----------------------------------------------------------------------------- teachers


def build_musicnn_teacher(name: str, batch_patches: int = 64, threads: int = 2) -> Teacher:
    """Build one musicnn model's TF graph and restore its weights (once).

    TensorFlow and musicnn are imported here only, so the rest of the module needs numpy alone.

    Parameters
    ----------
    name : str
        One of :data:`TEACHERS`.
    batch_patches : int
        Patches per ``session.run`` (inference mode: batch norm uses its stored statistics, so
        batching does not change the outputs beyond float rounding).
    threads : int
        TF intra-op threads.

    Returns
    -------
    teacher : Teacher
    """
    if name not in TEACHERS:
        raise ValueError(f"unknown teacher {name!r}; choose from {TEACHERS}")
    import tensorflow as tf
    from musicnn import configuration, models

    tf.compat.v1.disable_eager_execution()
    tag_names = list(configuration.MTT_LABELS if name.startswith("MTT") else configuration.MSD_LABELS)
    vgg = "vgg" in name
    graph = tf.Graph()
    with graph.as_default():
        with tf.name_scope("model"):  # as musicnn's extractor() builds it
            x = tf.compat.v1.placeholder(tf.float32, [None, PATCH_FRAMES, N_MELS])
            is_training = tf.compat.v1.placeholder(tf.bool)
            out = models.define_model(x, is_training, name, len(tag_names))
            tags = tf.nn.sigmoid(out[0])
            if vgg:  # pool5: (n, 2, 1, 128), the whole input of the output layer
                fetch = {"tags": tags, "penultimate": tf.compat.v1.layers.flatten(out[5])}
            else:  # logits, timbral, temporal, cnn1, cnn2, cnn3, mean_pool, max_pool, penultimate
                fetch = {"tags": tags, "penultimate": out[8], "max_pool": out[7]}
        saver = tf.compat.v1.train.Saver()
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1)
    session = tf.compat.v1.Session(graph=graph, config=config)
    import musicnn

    saver.restore(session, str(Path(musicnn.__file__).parent / name) + "/")
    graph.finalize()

    def forward(patches: np.ndarray) -> dict[str, np.ndarray]:
        parts = [
            session.run(fetch, feed_dict={x: patches[i : i + batch_patches], is_training: False})
            for i in range(0, len(patches), batch_patches)
        ]
        return {k: np.concatenate([p[k] for p in parts]).reshape(len(patches), -1).astype(np.float32) for k in fetch}

    return Teacher(name=name, tag_names=tag_names, forward=forward, close=session.close)


def clip_outputs(patches: np.ndarray, teacher: Teacher) -> dict[str, np.ndarray]:
    """One clip's outputs: per-patch tags and the means over patches.

    Parameters
    ----------
    patches : ndarray, shape (n_patches, PATCH_FRAMES, N_MELS)
    teacher : Teacher

    Returns
    -------
    outputs : dict
        ``patch_tags`` (n_patches, n_tags), ``taggram_mean`` (n_tags,), ``penultimate`` (D,)
        and, where the teacher gives it, ``max_pool`` (753,); float32.
    """
    if len(patches) == 0:
        raise ValueError("a clip needs at least one patch (pad short audio with pad_audio)")
    out = teacher.forward(patches)
    result = {
        "patch_tags": np.asarray(out["tags"], dtype=np.float32),
        "taggram_mean": np.asarray(out["tags"], dtype=np.float64).mean(0).astype(np.float32),
    }
    for key in FEATURES[1:]:
        if key in out:
            result[key] = np.asarray(out[key], dtype=np.float64).mean(0).astype(np.float32)
    return result


# ----------------------------------------------------------------------------- files


def read_clips(clips_csv: Path) -> list[Clip]:
    """Read a corpus's ``clips.csv`` (paths relative to its folder).

    Parameters
    ----------
    clips_csv : Path

    Returns
    -------
    clips : list of Clip
        In file order.
    """
    clips_csv = Path(clips_csv).expanduser()
    with open(clips_csv, newline="") as f:
        return [
            Clip(r["clip_id"], r["game"], clips_csv.parent / r["path"], float(r["start_s"])) for r in csv.DictReader(f)
        ]


def part_path(out: Path, corpus: str, teacher: str, game: str) -> Path:
    """Where one teacher's outputs for one game of a corpus are kept while running.

    Parameters
    ----------
    out : Path
    corpus, teacher, game : str

    Returns
    -------
    path : Path
        ``OUT/<corpus>/<teacher>/<game>.npz``
    """
    return Path(out).expanduser() / corpus / teacher / f"{game}.npz"


def write_npz_atomic(path: Path, compressed: bool = False, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` to a temporary name in the same folder, then rename it into place.

    Parameters
    ----------
    path : Path
    compressed : bool
        Use ``np.savez_compressed``.
    **arrays : ndarray
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            (np.savez_compressed if compressed else np.savez)(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_part(path: Path) -> dict[str, np.ndarray]:
    """Load a finished part (all arrays in memory).

    Parameters
    ----------
    path : Path

    Returns
    -------
    part : dict of ndarray
        ``clip_id``, ``n_patches``, ``padded``, ``patch_tags`` (all patches concatenated in
        clip order), ``taggram_mean``, ``penultimate``, maybe ``max_pool``, ``tag_names``,
        ``teacher``, ``seconds``.
    """
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _game_part(clips: list[Clip], teacher: Teacher, loaded: list[tuple[np.ndarray, bool]]) -> dict[str, np.ndarray]:
    """One teacher's part for one game's clips (``seconds`` is its compute time)."""
    t0 = time.perf_counter()
    outs = [clip_outputs(patches, teacher) for patches, _ in loaded]
    part = {
        "clip_id": np.array([c.clip_id for c in clips]),
        "n_patches": np.array([len(p) for p, _ in loaded], dtype=np.int32),
        "padded": np.array([pad for _, pad in loaded], dtype=bool),
        "patch_tags": np.concatenate([o["patch_tags"] for o in outs]),
        "tag_names": np.array(list(teacher.tag_names)),
        "teacher": np.array(teacher.name),
    }
    for key in ("taggram_mean", "penultimate", "max_pool"):
        if key in outs[0]:
            part[key] = np.stack([o[key] for o in outs])
    part["seconds"] = np.array(time.perf_counter() - t0)
    return part


def run_job(
    clips_csv: Path,
    teachers: Sequence[str],
    out: Path = DEFAULT_OUT,
    corpus: str | None = None,
    games: Iterable[str] | None = None,
    make_teacher: Callable[[str], Teacher] = build_musicnn_teacher,
    load: Callable[[Path], tuple[np.ndarray, bool]] = load_log_mel,
) -> dict[str, float]:
    """Compute the missing parts: for each game, each teacher that has no part for it yet.

    A game's clips are decoded once and fed to every teacher that still needs the game; each
    part is written by atomic rename when finished, so an interrupted run loses at most the
    games in progress, and a rerun skips finished parts. A teacher's graph is built (once)
    only when some game still needs it.

    Parameters
    ----------
    clips_csv : Path
    teachers : sequence of str
    out : Path
        Parts go to ``OUT/<corpus>/<teacher>/<game>.npz``.
    corpus : str, optional
        Default: the name of the folder holding ``clips_csv``.
    games : iterable of str, optional
        Only these games (default: all, in ``clips.csv`` order).
    make_teacher : callable
        Name -> :class:`Teacher` (default: :func:`build_musicnn_teacher`).
    load : callable
        Path -> (patches, padded) (default: :func:`load_log_mel`).

    Returns
    -------
    seconds : dict
        Seconds spent this run: ``decode`` and one entry per teacher (its forward passes).
    """
    clips = read_clips(clips_csv)
    corpus = corpus or Path(clips_csv).expanduser().resolve().parent.name
    by_game: dict[str, list[Clip]] = {}
    for c in clips:
        by_game.setdefault(c.game, []).append(c)
    wanted = list(by_game) if games is None else [g for g in by_game if g in set(games)]
    built: dict[str, Teacher] = {}
    seconds = {"decode": 0.0, **{t: 0.0 for t in teachers}}
    try:
        for game in wanted:
            todo = [t for t in teachers if not part_path(out, corpus, t, game).is_file()]
            if not todo:
                logger.info("%s %s: all parts done, skipped", corpus, game)
                continue
            t0 = time.perf_counter()
            loaded = [load(c.path) for c in by_game[game]]
            seconds["decode"] += time.perf_counter() - t0
            for name in todo:
                if name not in built:
                    built[name] = make_teacher(name)
                part = _game_part(by_game[game], built[name], loaded)
                spent = float(part["seconds"])
                seconds[name] += spent
                write_npz_atomic(part_path(out, corpus, name, game), **part)
                logger.info(
                    "%s %s %s: %d clips, %d patches, %.1f s",
                    corpus,
                    name,
                    game,
                    len(loaded),
                    int(part["n_patches"].sum()),
                    spent,
                )
    finally:
        for teacher in built.values():
            if teacher.close is not None:
                teacher.close()
    return seconds


def packed_name(corpus: str, teacher: str) -> str:
    """File name of a packed (committed) teacher file.

    Parameters
    ----------
    corpus, teacher : str

    Returns
    -------
    name : str
        ``teacher_<corpus>_<teacher>.npz``
    """
    return f"teacher_{corpus}_{teacher}.npz"


def write_corpus_tables(clips_csv: Path, packed: Path) -> list[Path]:
    """Write the MTT teacher's files into a corpus folder the way shared game_music has them.

    ``teacher_mtt50.csv`` (``clip_id`` and the 50 clip-level tag probabilities) and
    ``peers/musicnn_MTT.npz`` (``clip_id``, ``tag_names``, ``taggram_mean``, ``penultimate``,
    ``max_pool``), rows in ``clips.csv`` order, from a packed MTT_musicnn file.

    Parameters
    ----------
    clips_csv : Path
        The corpus's ``clips.csv``; the files go beside it.
    packed : Path
        ``teacher_<corpus>_MTT_musicnn.npz`` (see :func:`pack`).

    Returns
    -------
    paths : list of Path
        The two files written.
    """
    folder = Path(clips_csv).expanduser().parent
    data = np.load(packed)
    index = {clip_id: i for i, clip_id in enumerate(data["clip_id"])}
    ids = [c.clip_id for c in read_clips(clips_csv)]
    missing = [c for c in ids if c not in index]
    if missing:
        raise SystemExit(f"{packed}: no teacher outputs for {len(missing)} clips of {clips_csv} (first {missing[0]})")
    rows = np.asarray([index[c] for c in ids])
    tags = data["taggram_mean"][rows].astype(np.float32)
    csv_path = folder / "teacher_mtt50.csv"
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["clip_id", *data["tag_names"]])
        writer.writerows([clip_id, *(f"{v:.5f}" for v in row)] for clip_id, row in zip(ids, tags))
    (folder / "peers").mkdir(exist_ok=True)
    npz_path = folder / "peers" / "musicnn_MTT.npz"
    write_npz_atomic(
        npz_path,
        compressed=True,
        clip_id=np.asarray(ids),
        tag_names=data["tag_names"],
        taggram_mean=tags,
        penultimate=data["penultimate"][rows],
        max_pool=data["max_pool"][rows],
    )
    return [csv_path, npz_path]


def _source_md5(clips_csv: Path) -> dict[str, str]:
    """Track id -> source md5 from ``tracks.csv`` beside ``clips.csv`` (empty when absent)."""
    tracks = Path(clips_csv).expanduser().parent / "tracks.csv"
    if not tracks.is_file():
        return {}
    with open(tracks, newline="") as f:
        return {r["track_id"]: r.get("md5", "") for r in csv.DictReader(f)}


def pack(
    clips_csv: Path,
    teacher: str,
    out: Path = DEFAULT_OUT,
    dest: Path = HERE,
    corpus: str | None = None,
    keep: Sequence[str] = ("patch_tags", "taggram_mean", "penultimate", "max_pool"),
) -> Path:
    """Gather a teacher's parts into one compact file, rows in ``clips.csv`` order.

    Parameters
    ----------
    clips_csv : Path
    teacher : str
    out : Path
        Folder of the parts (as given to :func:`run_job`).
    dest : Path
        Folder of the packed file (default: this folder, ``benchmarks/corpus``).
    corpus : str, optional
        Default: the name of the folder holding ``clips_csv``.
    keep : sequence of str
        Output arrays to keep (those a teacher lacks are skipped).

    Returns
    -------
    path : Path
        ``DEST/teacher_<corpus>_<teacher>.npz`` (``np.savez_compressed``, written by atomic
        rename) with ``clip_id`` (str), ``source_md5`` (str, empty when unknown), ``start_s``
        (float32), ``n_patches`` (int16), ``padded`` (bool), ``patch_tags`` (N x P x n_tags
        float16, P the largest ``n_patches``, rows past a clip's ``n_patches`` NaN),
        ``taggram_mean`` (N x n_tags float16), ``penultimate`` (N x D float16), ``max_pool``
        (N x 753 float16, musicnn models), ``tag_names`` (str), ``teacher`` (str),
        ``patch_frames`` (int16: 187 frames of hop 256 at 16 kHz per patch).

    Raises
    ------
    FileNotFoundError
        A game's part is missing (the run has not finished).
    ValueError
        A part's clips differ from ``clips.csv``'s, or parts disagree on tag names.
    """
    clips = read_clips(clips_csv)
    corpus = corpus or Path(clips_csv).expanduser().resolve().parent.name
    games = list(dict.fromkeys(c.game for c in clips))
    parts = {}
    for game in games:
        path = part_path(out, corpus, teacher, game)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: part missing; run the job for {corpus} / {teacher} first")
        parts[game] = read_part(path)
    rows: dict[str, tuple[dict, int, int]] = {}  # clip_id -> (part, index, first patch)
    for game, part in parts.items():
        expected = [c.clip_id for c in clips if c.game == game]
        if list(part["clip_id"]) != expected:
            raise ValueError(
                f"{corpus} / {teacher} / {game}: the part's clips differ from clips.csv; delete the part and rerun"
            )
        starts = np.concatenate([[0], np.cumsum(part["n_patches"])[:-1]])
        rows.update({cid: (part, i, int(starts[i])) for i, cid in enumerate(part["clip_id"])})
    tag_names = parts[games[0]]["tag_names"]
    if any(list(p["tag_names"]) != list(tag_names) for p in parts.values()):
        raise ValueError(f"{corpus} / {teacher}: parts disagree on tag names")
    md5 = _source_md5(clips_csv)
    with open(Path(clips_csv).expanduser(), newline="") as f:
        track_of = {r["clip_id"]: r.get("track_id", "") for r in csv.DictReader(f)}
    n_patches = np.array([rows[c.clip_id][0]["n_patches"][rows[c.clip_id][1]] for c in clips], dtype=np.int16)
    arrays: dict[str, np.ndarray] = {
        "clip_id": np.array([c.clip_id for c in clips]),
        "source_md5": np.array([md5.get(track_of.get(c.clip_id, ""), "") for c in clips]),
        "start_s": np.array([c.start_s for c in clips], dtype=np.float32),
        "n_patches": n_patches,
        "padded": np.array([rows[c.clip_id][0]["padded"][rows[c.clip_id][1]] for c in clips], dtype=bool),
    }
    if "patch_tags" in keep:
        tags = np.full((len(clips), int(n_patches.max()), len(tag_names)), np.nan, dtype=np.float16)
        for i, c in enumerate(clips):
            part, _, first = rows[c.clip_id]
            tags[i, : n_patches[i]] = part["patch_tags"][first : first + n_patches[i]]
        arrays["patch_tags"] = tags
    for key in ("taggram_mean", "penultimate", "max_pool"):
        if key in keep and all(key in p for p in parts.values()):
            arrays[key] = np.stack([rows[c.clip_id][0][key][rows[c.clip_id][1]] for c in clips]).astype(np.float16)
    arrays.update(
        tag_names=np.array(list(tag_names)),
        teacher=np.array(teacher),
        patch_frames=np.array(PATCH_FRAMES, dtype=np.int16),
    )
    path = Path(dest) / packed_name(corpus, teacher)
    write_npz_atomic(path, compressed=True, **arrays)
    return path


# ----------------------------------------------------------------------------- reproduction check


def _compare(
    mine: dict[str, np.ndarray], n_patches: int, ref: dict[str, np.ndarray], i: int, diffs: dict[str, float]
) -> None:
    """Fold one clip's differences from row ``i`` of ``ref`` into ``diffs`` (max abs, float16 mismatches)."""
    for key in ("taggram_mean", "penultimate", "max_pool"):
        if key in ref and key in mine:
            theirs = ref[key][i]
            diffs[key] = max(diffs.get(key, 0.0), float(np.abs(mine[key] - theirs.astype(np.float32)).max()))
            if theirs.dtype == np.float16:  # stored rounded: compare in float16 too
                mismatch = int((mine[key].astype(np.float16) != theirs).sum())
                diffs[f"{key}_f16_mismatches"] = diffs.get(f"{key}_f16_mismatches", 0.0) + mismatch
                diffs[f"{key}_f16_values"] = diffs.get(f"{key}_f16_values", 0.0) + theirs.size
    if "n_patches" in ref:
        diffs["n_patches"] = max(diffs.get("n_patches", 0.0), float(abs(n_patches - int(ref["n_patches"][i]))))


def check_against_peers(
    clips_csv: Path,
    peers: Path,
    n_clips: int = 20,
    teacher: str = "MTT_musicnn",
    vs_extractor: int = 0,
    parts: Path | None = None,
    corpus: str | None = None,
) -> dict[str, float]:
    """Compare this job's outputs with a stored file (shared ``peers/musicnn_MTT.npz``).

    Parameters
    ----------
    clips_csv : Path
    peers : Path
        An ``.npz`` with ``clip_id`` and some of ``taggram_mean``, ``penultimate``, ``max_pool``.
    n_clips : int
        Clips to recompute, evenly spaced over the clips ``peers`` holds (sorted by id).
    teacher : str
    vs_extractor : int
        Also compare this many of them with musicnn's own ``extractor()`` (tags and
        ``max_pool``; its ``penultimate`` is right for the first patch only).
    parts : Path, optional
        Instead of recomputing a sample, compare every clip ``peers`` holds with the finished
        parts in this folder (float32; numpy only).
    corpus : str, optional
        Corpus name of the parts (default: the folder of ``clips_csv``).

    Returns
    -------
    diffs : dict
        Max abs difference per array (``<key>``); for arrays stored in float16, the number of
        elements where this run's value rounded to float16 differs from the stored one
        (``<key>_f16_mismatches``, out of ``<key>_f16_values``); ``extractor_<key>`` for the
        extractor check; ``n_clips`` compared.
    """
    with np.load(peers) as z:
        ref = {k: z[k] for k in z.files}
    row = {str(c): i for i, c in enumerate(ref["clip_id"])}
    diffs: dict[str, float] = {}
    if parts is not None:
        corpus = corpus or Path(clips_csv).expanduser().resolve().parent.name
        games = dict.fromkeys(c.game for c in read_clips(clips_csv))
        n = 0
        for game in games:
            part = read_part(part_path(parts, corpus, teacher, game))
            for j, cid in enumerate(part["clip_id"]):
                if str(cid) in row:
                    mine = {k: part[k][j] for k in ("taggram_mean", "penultimate", "max_pool") if k in part}
                    _compare(mine, int(part["n_patches"][j]), ref, row[str(cid)], diffs)
                    n += 1
        diffs["n_clips"] = float(n)
        return diffs
    by_id = {c.clip_id: c for c in read_clips(clips_csv)}
    ids = sorted(set(row) & set(by_id))
    chosen = [ids[int(i)] for i in np.unique(np.round(np.linspace(0, len(ids) - 1, n_clips)).astype(int))]
    model = build_musicnn_teacher(teacher)
    try:
        for cid in chosen:
            patches, _ = load_log_mel(by_id[cid].path)
            _compare(clip_outputs(patches, model), len(patches), ref, row[cid], diffs)
    finally:
        if model.close is not None:
            model.close()
    if vs_extractor:
        from musicnn.extractor import extractor

        model = build_musicnn_teacher(teacher)
        try:
            for cid in chosen[:vs_extractor]:
                taggram, _, features = extractor(
                    str(by_id[cid].path), model=teacher, input_length=3, input_overlap=False, extract_features=True
                )
                patches, _ = load_log_mel(by_id[cid].path)
                out = model.forward(patches)
                pairs = [("tags", taggram, out["tags"])]
                if "max_pool" in out:
                    pairs += [
                        ("max_pool", features["max_pool"], out["max_pool"]),
                        ("penultimate_patch0", features["penultimate"][:1], out["penultimate"][:1]),
                    ]
                for key, theirs, mine in pairs:
                    d = float(np.abs(np.asarray(theirs, dtype=np.float32) - mine).max())
                    diffs[f"extractor_{key}"] = max(diffs.get(f"extractor_{key}", 0.0), d)
        finally:
            if model.close is not None:
                model.close()
    diffs["n_clips"] = float(len(chosen))
    return diffs


# ----------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    args : argparse.Namespace
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus.teacher", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "compute the missing parts (needs tensorflow, librosa, musicnn)"),
        ("pack", "gather finished parts into teacher_<corpus>_<teacher>.npz (numpy only)"),
        ("check", "recompute a sample and compare with a stored .npz (needs tensorflow)"),
        (
            "tables",
            (
                "write teacher_mtt50.csv and peers/musicnn_MTT.npz beside clips.csv "
                "from the packed MTT file (numpy only)"
            ),
        ),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--clips", type=Path, required=True, help="the corpus's clips.csv")
        p.add_argument("--corpus", default=None, help="corpus name (default: the folder of clips.csv)")
        p.add_argument("-v", "--verbose", action="store_true")
        if name == "check":
            p.add_argument("--peers", type=Path, required=True)
            p.add_argument("--teacher", default="MTT_musicnn", choices=TEACHERS)
            p.add_argument("--n-clips", type=int, default=20)
            p.add_argument(
                "--vs-extractor", type=int, default=0, help="also compare this many clips with musicnn's extractor()"
            )
            p.add_argument(
                "--parts",
                type=Path,
                default=None,
                help="compare every clip from the finished parts in this folder instead",
            )
            continue
        if name == "tables":
            p.add_argument("--dest", type=Path, default=HERE, help="folder of the packed files")
            continue
        p.add_argument("--teachers", default="MTT_musicnn", help=f"comma-separated, of {', '.join(TEACHERS)}")
        p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder of the parts")
        if name == "run":
            p.add_argument("--games", default=None, help="comma-separated games (default: all)")
        else:
            p.add_argument("--dest", type=Path, default=HERE, help="folder of the packed files")
            p.add_argument(
                "--drop", default="", help="comma-separated arrays to leave out (patch_tags, penultimate, max_pool)"
            )
    return parser.parse_args(argv)


def _teachers(spec: str) -> list[str]:
    names = [t.strip() for t in spec.split(",") if t.strip()]
    unknown = [t for t in names if t not in TEACHERS]
    if unknown:
        raise SystemExit(f"unknown teacher(s) {unknown}; choose from {TEACHERS}")
    return names


def main(argv: list[str] | None = None) -> None:
    """Run the command line."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    if args.command == "check":
        diffs = check_against_peers(
            args.clips, args.peers, args.n_clips, args.teacher, args.vs_extractor, args.parts, args.corpus
        )
        for key, value in diffs.items():
            print(f"{key}: {int(value)}" if float(value).is_integer() else f"{key}: {value:.3g}")
        return
    if args.command == "tables":
        corpus = args.corpus or Path(args.clips).expanduser().parent.name
        for path in write_corpus_tables(args.clips, args.dest / packed_name(corpus, "MTT_musicnn")):
            print(path)
        return
    teachers = _teachers(args.teachers)
    out = args.out.expanduser().resolve()
    if out.is_relative_to((ROOT.parent / "shared").resolve()):
        raise SystemExit(f"{out}: inside ../shared (read-only); choose another --out")
    if args.command == "run":
        started = time.perf_counter()
        games = args.games.split(",") if args.games else None
        seconds = run_job(args.clips, teachers, out, corpus=args.corpus, games=games)
        print(", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()), f"(total {time.perf_counter() - started:.1f} s)")
        return
    drop = {d.strip() for d in args.drop.split(",") if d.strip()}
    keep = [k for k in ("patch_tags", "taggram_mean", "penultimate", "max_pool") if k not in drop]
    for teacher in teachers:
        path = pack(args.clips, teacher, out, args.dest, corpus=args.corpus, keep=keep)
        print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
