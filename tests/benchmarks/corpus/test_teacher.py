"""The teacher-output job of benchmarks/corpus (teacher.py), without tensorflow or audio.

The musicnn graph is replaced by a fake teacher and the audio loader by a fake one, so
these tests check the patching, the resumable per-game parts and the packed file.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.corpus import teacher as T

N_TAGS = 5


def fake_teacher(name: str, calls: list | None = None, with_max_pool: bool = True) -> T.Teacher:
    """A deterministic stand-in: per-patch outputs computed from the patch's mean."""

    def forward(patches: np.ndarray) -> dict[str, np.ndarray]:
        if calls is not None:
            calls.append((name, len(patches)))
        m = patches.reshape(len(patches), -1).mean(1, keepdims=True)
        out = {"tags": 1 / (1 + np.exp(-(m + np.arange(N_TAGS) / 10))), "penultimate": m * np.arange(1, 4)}
        if with_max_pool:
            out["max_pool"] = m + np.arange(6)
        return out

    return T.Teacher(name=name, tag_names=[f"{name}_tag{i}" for i in range(N_TAGS)], forward=forward)


def fake_patches(n: int, value: float) -> np.ndarray:
    """``n`` patches whose patch ``i`` is constant ``value + i``."""
    return (value + np.arange(n, dtype=np.float32))[:, None, None] * np.ones(
        (1, T.PATCH_FRAMES, T.N_MELS), dtype=np.float32
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A clips.csv (and tracks.csv) of 5 clips in 2 games; the audio files need not exist."""
    folder = tmp_path / "tiny_corpus"
    folder.mkdir()
    rows = [
        ("a_t000_c00", "game-a", "a_t000", 0.0),
        ("a_t000_c01", "game-a", "a_t000", 29.1),
        ("b_t000_c00", "game-b", "b_t000", 0.0),
        ("a_t001_c00", "game-a", "a_t001", 0.0),
        ("b_t001_c00", "game-b", "b_t001", 0.0),
    ]
    with open(folder / "clips.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["clip_id", "path", "game", "track_id", "start_s"])
        for cid, game, track, start in rows:
            w.writerow([cid, f"audio/{cid}.mp3", game, track, start])
    with open(folder / "tracks.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["track_id", "game", "md5"])
        for track in ("a_t000", "a_t001", "b_t000", "b_t001"):
            w.writerow([track, "x", f"md5-{track}"])
    return folder / "clips.csv"


#: patches per clip in the fixture (b_t001_c00 has 1: a padded short clip)
N_PATCHES = {"a_t000_c00": 3, "a_t000_c01": 2, "b_t000_c00": 3, "a_t001_c00": 3, "b_t001_c00": 1}


def fake_loader(loads: list | None = None):
    """A loader giving each clip its N_PATCHES patches (and ``padded`` for the 1-patch clip)."""

    def load(path: Path) -> tuple[np.ndarray, bool]:
        cid = Path(path).stem
        if loads is not None:
            loads.append(cid)
        return fake_patches(N_PATCHES[cid], float(sorted(N_PATCHES).index(cid))), N_PATCHES[cid] == 1

    return load


# ----------------------------------------------------------------------------- patching


def test_patches_are_non_overlapping_and_drop_the_last_partial_one():
    spec = np.arange((3 * T.PATCH_FRAMES + 100) * T.N_MELS, dtype=np.float32).reshape(-1, T.N_MELS)
    patches = T.patch_frames(spec)
    assert patches.shape == (3, T.PATCH_FRAMES, T.N_MELS) and patches.dtype == np.float32
    for i in range(3):
        np.testing.assert_array_equal(patches[i], spec[i * T.PATCH_FRAMES : (i + 1) * T.PATCH_FRAMES])
    assert T.patch_frames(spec[: T.PATCH_FRAMES - 1]).shape == (0, T.PATCH_FRAMES, T.N_MELS)
    assert T.patch_frames(spec[: 2 * T.PATCH_FRAMES]).shape[0] == 2


def test_a_29_1_s_clip_gives_9_patches():
    # a game clip decodes to 467,136 samples; a centred STFT gives 1 + n // hop frames
    n_frames = 1 + 467_136 // T.HOP_LENGTH
    assert T.patch_frames(np.zeros((n_frames, T.N_MELS))).shape[0] == 9


def test_short_audio_is_zero_padded_to_one_patch():
    audio = np.linspace(-1, 1, 1000, dtype=np.float32)
    padded, was_padded = T.pad_audio(audio)
    assert was_padded and padded.shape == (T.MIN_SAMPLES,)
    np.testing.assert_array_equal(padded[:1000], audio)
    assert not padded[1000:].any()
    assert T.patch_frames(np.zeros((1 + padded.shape[0] // T.HOP_LENGTH, T.N_MELS))).shape[0] == 1
    long = np.ones(T.MIN_SAMPLES + 5, dtype=np.float32)
    same, was_padded = T.pad_audio(long)
    assert same is long and not was_padded


def test_log_compress_rounds_to_float16_then_computes_in_float32():
    mel = np.array([[0.0, 1e-3, 0.1234567, 7.0, 300.0]], dtype=np.float32)
    out = T.log_compress(mel)
    assert out.dtype == np.float32 and np.isfinite(out).all()  # no float16 overflow above 6.55
    expected = np.log10(10000 * mel.astype(np.float16).astype(np.float64) + 1)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_clip_outputs_average_over_patches():
    out = T.clip_outputs(fake_patches(3, 0.5), fake_teacher("t"))
    per_patch = fake_teacher("t").forward(fake_patches(3, 0.5))
    assert out["patch_tags"].shape == (3, N_TAGS)
    np.testing.assert_allclose(out["taggram_mean"], per_patch["tags"].mean(0), rtol=1e-6)
    np.testing.assert_allclose(out["penultimate"], per_patch["penultimate"].mean(0), rtol=1e-6)
    np.testing.assert_allclose(out["max_pool"], per_patch["max_pool"].mean(0), rtol=1e-6)
    assert "max_pool" not in T.clip_outputs(fake_patches(2, 0.0), fake_teacher("v", with_max_pool=False))
    with pytest.raises(ValueError, match="at least one patch"):
        T.clip_outputs(fake_patches(0, 0.0), fake_teacher("t"))


# ----------------------------------------------------------------------------- resumable job


def test_run_writes_one_part_per_teacher_and_game(corpus: Path, tmp_path: Path):
    out = tmp_path / "parts"
    seconds = T.run_job(corpus, ["T1", "T2"], out, make_teacher=fake_teacher, load=fake_loader())
    assert set(seconds) == {"decode", "T1", "T2"}
    for teacher in ("T1", "T2"):
        for game, ids in (
            ("game-a", ["a_t000_c00", "a_t000_c01", "a_t001_c00"]),
            ("game-b", ["b_t000_c00", "b_t001_c00"]),
        ):
            part = T.read_part(T.part_path(out, "tiny_corpus", teacher, game))
            assert list(part["clip_id"]) == ids
            assert list(part["n_patches"]) == [N_PATCHES[c] for c in ids]
            assert part["patch_tags"].shape == (sum(N_PATCHES[c] for c in ids), N_TAGS)
            assert part["taggram_mean"].shape == (len(ids), N_TAGS)
            assert str(part["teacher"]) == teacher
    assert not list(out.rglob("*.tmp"))


def test_rerun_skips_finished_parts(corpus: Path, tmp_path: Path):
    out = tmp_path / "parts"
    T.run_job(corpus, ["T1"], out, make_teacher=fake_teacher, load=fake_loader())
    first = T.part_path(out, "tiny_corpus", "T1", "game-a").stat().st_mtime_ns

    built, loads, calls = [], [], []

    def make(name: str) -> T.Teacher:
        built.append(name)
        return fake_teacher(name, calls)

    T.run_job(corpus, ["T1"], out, make_teacher=make, load=fake_loader(loads))
    assert built == [] and loads == [] and calls == []  # nothing decoded, no graph built

    T.part_path(out, "tiny_corpus", "T1", "game-b").unlink()  # as if interrupted during game-b
    T.run_job(corpus, ["T1", "T2"], out, make_teacher=make, load=fake_loader(loads))
    assert sorted(built) == ["T1", "T2"]
    # game-a is decoded once, for T2 only; game-b once, for both teachers
    assert sorted(loads) == sorted(N_PATCHES)
    assert sorted(name for name, _ in calls) == ["T1", "T1", "T2", "T2", "T2", "T2", "T2"]
    assert T.part_path(out, "tiny_corpus", "T1", "game-a").stat().st_mtime_ns == first


def test_run_subset_of_games(corpus: Path, tmp_path: Path):
    out = tmp_path / "parts"
    T.run_job(corpus, ["T1"], out, games=["game-b"], make_teacher=fake_teacher, load=fake_loader())
    assert not T.part_path(out, "tiny_corpus", "T1", "game-a").exists()
    assert T.part_path(out, "tiny_corpus", "T1", "game-b").exists()


def test_atomic_write_leaves_no_partial_file(tmp_path: Path):
    path = tmp_path / "x" / "part.npz"

    class Unsaveable:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        T.write_npz_atomic(path, a=np.zeros(3), b=Unsaveable())
    assert not path.exists() and not list(path.parent.iterdir())
    T.write_npz_atomic(path, a=np.zeros(3))
    assert list(path.parent.iterdir()) == [path]


# ----------------------------------------------------------------------------- pack


def test_pack_writes_float16_rows_in_clips_csv_order(corpus: Path, tmp_path: Path):
    out, dest = tmp_path / "parts", tmp_path / "packed"
    dest.mkdir()
    T.run_job(
        corpus, ["T1", "V"], out, load=fake_loader(), make_teacher=lambda n: fake_teacher(n, with_max_pool=n != "V")
    )
    path = T.pack(corpus, "T1", out, dest)
    assert path == dest / "teacher_tiny_corpus_T1.npz"
    with open(corpus, newline="") as f:
        ids = [r["clip_id"] for r in csv.DictReader(f)]
    with np.load(path) as z:
        assert set(z.files) == {
            "clip_id",
            "source_md5",
            "start_s",
            "n_patches",
            "padded",
            "patch_tags",
            "taggram_mean",
            "penultimate",
            "max_pool",
            "tag_names",
            "teacher",
            "patch_frames",
        }
        assert list(z["clip_id"]) == ids
        assert list(z["source_md5"]) == [f"md5-{c.rsplit('_', 1)[0]}" for c in ids]
        np.testing.assert_array_equal(z["start_s"], np.array([0, 29.1, 0, 0, 0], dtype=np.float32))
        assert z["n_patches"].dtype == np.int16 and list(z["n_patches"]) == [N_PATCHES[c] for c in ids]
        assert list(z["padded"]) == [N_PATCHES[c] == 1 for c in ids]
        assert z["patch_tags"].shape == (5, 3, N_TAGS)
        for key, width in (("taggram_mean", N_TAGS), ("penultimate", 3), ("max_pool", 6)):
            assert z[key].dtype == np.float16 and z[key].shape == (5, width)
        assert z["patch_tags"].dtype == np.float16
        assert list(z["tag_names"]) == [f"T1_tag{i}" for i in range(N_TAGS)]
        assert str(z["teacher"]) == "T1" and int(z["patch_frames"]) == T.PATCH_FRAMES
        # each row is that clip's own outputs, rounded to float16; missing patches are NaN
        load = fake_loader()
        for i, cid in enumerate(ids):
            want = T.clip_outputs(load(Path(cid))[0], fake_teacher("T1"))
            n = N_PATCHES[cid]
            np.testing.assert_array_equal(z["patch_tags"][i, :n], want["patch_tags"].astype(np.float16))
            assert np.isnan(z["patch_tags"][i, n:]).all()
            for key in ("taggram_mean", "penultimate", "max_pool"):
                np.testing.assert_array_equal(z[key][i], want[key].astype(np.float16))
    with np.load(T.pack(corpus, "V", out, dest, keep=("taggram_mean", "penultimate", "max_pool"))) as z:
        assert "max_pool" not in z.files and "patch_tags" not in z.files  # a vgg-like teacher; patches dropped
        assert z["penultimate"].shape == (5, 3)


def test_pack_refuses_missing_or_stale_parts(corpus: Path, tmp_path: Path):
    out = tmp_path / "parts"
    T.run_job(corpus, ["T1"], out, games=["game-a"], make_teacher=fake_teacher, load=fake_loader())
    with pytest.raises(FileNotFoundError, match="game-b"):
        T.pack(corpus, "T1", out, tmp_path)
    T.run_job(corpus, ["T1"], out, make_teacher=fake_teacher, load=fake_loader())
    with open(corpus, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(corpus, "w", newline="") as f:  # a clip removed from clips.csv since the run
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(r for r in rows if r["clip_id"] != "a_t000_c01")
    with pytest.raises(ValueError, match="differ from clips.csv"):
        T.pack(corpus, "T1", out, tmp_path)


def test_pack_command_line(corpus: Path, tmp_path: Path, capsys):
    out, dest = tmp_path / "parts", tmp_path / "packed"
    dest.mkdir()
    T.run_job(corpus, ["MSD_vgg"], out, load=fake_loader(), make_teacher=lambda n: fake_teacher(n, with_max_pool=False))
    T.main(
        [
            "pack",
            "--clips",
            str(corpus),
            "--teachers",
            "MSD_vgg",
            "--out",
            str(out),
            "--dest",
            str(dest),
            "--drop",
            "patch_tags",
        ]
    )
    assert "teacher_tiny_corpus_MSD_vgg.npz" in capsys.readouterr().out
    with np.load(dest / "teacher_tiny_corpus_MSD_vgg.npz") as z:
        assert "patch_tags" not in z.files and z["taggram_mean"].shape == (5, N_TAGS)
    with pytest.raises(SystemExit):
        T.main(["pack", "--clips", str(corpus), "--teachers", "nope", "--out", str(out)])


def test_tables_writes_the_shared_game_music_layout(corpus: Path, tmp_path: Path, capsys):
    out, dest = tmp_path / "parts", tmp_path / "packed"
    dest.mkdir()
    T.run_job(corpus, ["MTT_musicnn"], out, load=fake_loader(), make_teacher=fake_teacher)
    packed = T.pack(corpus, "MTT_musicnn", out, dest)
    T.main(["tables", "--clips", str(corpus), "--dest", str(dest)])
    assert "teacher_mtt50.csv" in capsys.readouterr().out
    with open(corpus, newline="") as f:
        ids = [r["clip_id"] for r in csv.DictReader(f)]
    with open(corpus.parent / "teacher_mtt50.csv", newline="") as f:
        rows = list(csv.reader(f))
    with np.load(packed) as z, np.load(corpus.parent / "peers" / "musicnn_MTT.npz") as peers:
        assert rows[0] == ["clip_id", *z["tag_names"]]
        assert [r[0] for r in rows[1:]] == ids == list(peers["clip_id"])
        np.testing.assert_allclose(
            np.asarray([r[1:] for r in rows[1:]], dtype=np.float32), z["taggram_mean"], atol=1e-5
        )
        np.testing.assert_array_equal(peers["max_pool"], z["max_pool"])
    with open(corpus, "a", newline="") as f:  # a clip the packed file lacks
        f.write("zz_t000_c00,audio/zz.mp3,game-z,zz_t000,0.0\n")
    with pytest.raises(SystemExit, match="no teacher outputs for 1 clips"):
        T.write_corpus_tables(corpus, packed)


def test_module_imports_without_tensorflow_librosa_or_sktag():
    code = (
        "import sys, benchmarks.corpus.teacher; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'librosa', 'sktag', 'torch')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])


def test_check_against_peers_from_parts(corpus: Path, tmp_path: Path):
    out = tmp_path / "parts"
    T.run_job(corpus, ["T1"], out, make_teacher=fake_teacher, load=fake_loader())
    part = T.read_part(T.part_path(out, "tiny_corpus", "T1", "game-a"))
    max_pool = part["max_pool"].astype(np.float16)
    max_pool[1, 2] += np.float16(0.5)
    peers = tmp_path / "peers.npz"
    np.savez(
        peers,
        clip_id=part["clip_id"],
        taggram_mean=part["taggram_mean"] + 1e-3,
        max_pool=max_pool,
        n_patches=part["n_patches"].astype(np.int16),
    )
    diffs = T.check_against_peers(corpus, peers, teacher="T1", parts=out)
    assert diffs["n_clips"] == 3 and diffs["n_patches"] == 0
    assert diffs["taggram_mean"] == pytest.approx(1e-3, rel=1e-3)
    assert diffs["max_pool_f16_mismatches"] == 1 and diffs["max_pool_f16_values"] == max_pool.size
    assert diffs["max_pool"] == pytest.approx(0.5, abs=0.01)
