"""The reproducible game-music corpus builder (benchmarks/corpus), on a tiny fake package.

Nothing here touches the network: the fake package is a folder laid out like an
unpacked .deb, with a copyright file and short audio files written on the fly.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from benchmarks.corpus import fetch as corpus_fetch
from benchmarks.corpus.__main__ import main as corpus_main
from benchmarks.corpus.__main__ import selected_packages
from benchmarks.corpus.build import CLIP_COLUMNS, TRACK_COLUMNS, build_corpus, check_out_dir
from benchmarks.corpus.clips import CLIP_SAMPLES, MAX_CLIPS, segment_rms, select_segments
from benchmarks.corpus.credits import (
    CreditRow,
    CreditTables,
    match_row,
    normalise_name,
    read_tags,
    resolve_credit,
)
from benchmarks.corpus.fetch import extract, extracted_version, is_wanted_member
from benchmarks.corpus.inventory import (
    ManifestError,
    find_music_files,
    probe,
    read_manifest,
    verify,
    write_manifest,
)
from benchmarks.corpus.packages import PACKAGES, RESERVED, Package, ReservedPackageError, check_allowed, get_package
from benchmarks.corpus.split import SPLITS, Group, assign_splits

CORPUS_DIR = Path(__file__).resolve().parents[3] / "benchmarks" / "corpus"
FAKE = Package("fake-music-data", "fake", "Fake Game")
VERSION = "1.0-1"
MUSIC = "usr/share/games/fake/music"
SR = 8000  # sources at 8 kHz: cheap to write, and the cut stage must resample them to 16 kHz

# (file, seconds, ARTIST tag, silent first 29.1 s)
FILES = [
    ("alpha.ogg", 65.0, "Alice Example", False),  # tagged: 2 clips
    ("beta.ogg", 40.0, None, False),  # credited by the table: 1 clip
    ("gamma.flac", 62.0, None, True),  # nobody credited; first segment silent: 1 clip, 1 skipped
    ("short.ogg", 10.0, None, False),  # shorter than a clip: no clip
]

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2024 Fake Game Team
License: GPL-2+

Files: data/music/beta.ogg
Copyright: Bob Example
License: CC-BY-SA-3.0
"""

COMPOSERS = f"""\
package,pattern,composer,source,license,overrides_tag,note
{FAKE.name},*/music/beta.ogg,Bob Example,copyright-file,CC-BY-SA-3.0,,test
{FAKE.name},*/music/alpha.ogg,Alice Example,copyright-file,GPL-2+,,test
{FAKE.name},*,,copyright-file,GPL-2+,,Files: *
"""


def _tone(seconds: float, silent_head: bool, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    y = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(n)
    if silent_head:
        y[: int(30 * SR)] = 0.0
    return np.stack([y, y], axis=1).astype(np.float32)  # stereo: the cut stage must mix down


def _write_source(path: Path, seconds: float, artist: str | None, silent_head: bool, seed: int) -> None:
    fmt = "FLAC" if path.suffix == ".flac" else "OGG"
    subtype = "PCM_16" if fmt == "FLAC" else "VORBIS"
    with soundfile.SoundFile(str(path), "w", SR, 2, subtype=subtype, format=fmt) as f:
        if artist:
            f.artist = artist
        f.title = path.stem.title()
        f.write(_tone(seconds, silent_head, seed))


def make_fake_package(root: Path) -> Path:
    """A folder laid out like an unpacked .deb: music files plus usr/share/doc/<pkg>/copyright."""
    folder = root / FAKE.name
    (folder / MUSIC).mkdir(parents=True)
    for seed, (name, seconds, artist, silent) in enumerate(FILES):
        _write_source(folder / MUSIC / name, seconds, artist, silent, seed)
    (folder / MUSIC / "readme.txt").write_text("not audio\n")
    doc = folder / "usr" / "share" / "doc" / FAKE.name
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT)
    (folder / corpus_fetch.DONE_MARK).write_text(VERSION + "\n")
    return folder


def make_tables(root: Path) -> CreditTables:
    root.mkdir(parents=True, exist_ok=True)
    (root / "composers.csv").write_text(COMPOSERS)
    (root / "aliases.csv").write_text("name,composer,note\nA. Example,Alice Example,test\n")
    (root / "groups.csv").write_text("package,pattern,group,note\n")
    return CreditTables.load(root)


def manifest_for(folder: Path) -> list:
    audio, _ = find_music_files(folder)
    return [probe(folder, rel, FAKE.name, VERSION) for rel in audio]


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fake package, its manifest, and the corpus built from it (once for the module)."""
    root = tmp_path_factory.mktemp("corpus")
    folder = make_fake_package(root / "extracted")
    manifest = manifest_for(folder)
    tables = make_tables(root / "tables")
    out = root / "out"
    tracks = build_corpus([(FAKE, folder, VERSION)], manifest, tables, out, seed=0)
    return {"root": root, "folder": folder, "manifest": manifest, "tables": tables, "out": out, "tracks": tracks}


# --------------------------------------------------------------------------- reserved packages


@pytest.mark.parametrize("name", sorted(RESERVED))
def test_reserved_packages_are_refused(name):
    for spelling in (name, f"{name}=1.0-1", f"{name}:all", name.upper()):
        with pytest.raises(ReservedPackageError, match="reserved for independent evaluation"):
            check_allowed(spelling)
    with pytest.raises(ReservedPackageError):
        get_package(name)
    with pytest.raises(ReservedPackageError):
        selected_packages(f"naev-data,{name}")


@pytest.mark.parametrize("name", sorted(RESERVED))
def test_reserved_packages_are_never_fetched(name, tmp_path, monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError("nothing may be run for a reserved package")

    monkeypatch.setattr(corpus_fetch.subprocess, "run", no_subprocess)
    with pytest.raises(ReservedPackageError):
        corpus_fetch.fetch(tmp_path, name)
    with pytest.raises(ReservedPackageError):
        corpus_main(["build", "--packages", name, "--cache", str(tmp_path), "--out", str(tmp_path / "out")])


def test_reserved_packages_are_refused_in_manifests(tmp_path):
    row = manifest_for(make_fake_package(tmp_path))[0]
    reserved = type(row)(**{**row.__dict__, "package": min(RESERVED)})
    with pytest.raises(ReservedPackageError):
        write_manifest([reserved], tmp_path / "manifest.csv")
    write_manifest([row], tmp_path / "manifest.csv")
    text = (tmp_path / "manifest.csv").read_text().replace(FAKE.name, min(RESERVED))
    (tmp_path / "manifest.csv").write_text(text)
    with pytest.raises(ReservedPackageError):
        read_manifest(tmp_path / "manifest.csv")


def test_committed_tables_leave_out_reserved_packages():
    names = {p.name for p in PACKAGES}
    assert not names & RESERVED
    for table in ("manifest.csv", "composers.csv", "groups.csv"):
        for row in read_rows(CORPUS_DIR / table):
            assert row["package"] not in RESERVED, table


# --------------------------------------------------------------------------- committed tables


def test_committed_manifest_and_composer_table_agree():
    """Every manifest file has a credit row; every package has a catch-all row; one version per package."""
    manifest = read_manifest(CORPUS_DIR / "manifest.csv")
    tables = CreditTables.load(CORPUS_DIR)
    assert {r.package for r in manifest} == {p.name for p in PACKAGES}
    for package in PACKAGES:
        assert len({r.version for r in manifest if r.package == package.name}) == 1
        assert any(r.package == package.name and r.pattern == "*" for r in tables.rows), package.name
    for row in manifest:
        credit = match_row(tables.rows, row.package, row.source_file)
        assert credit.license
        assert credit.source in ("copyright-file", "credits-file")
    assert len({r.md5 for r in manifest}) == len(manifest)


# --------------------------------------------------------------------------- fetch / extract / inventory


def test_wanted_members():
    assert is_wanted_member("./usr/share/games/x/Music/a.ogg", "x")
    assert is_wanted_member("./usr/share/games/lugaru/Sounds/Music1.ogg", "lugaru-data")
    assert is_wanted_member("./usr/share/doc/x/copyright", "x")
    assert not is_wanted_member("./usr/share/doc/y/copyright", "x")
    assert not is_wanted_member("./usr/share/games/x/sounds/boom.ogg", "x")


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")
def test_extract_unpacks_music_and_copyright_only(tmp_path):
    staging = make_fake_package(tmp_path / "staging")
    (staging / corpus_fetch.DONE_MARK).unlink()
    (staging / "usr/share/games/fake/sounds").mkdir(parents=True)
    (staging / "usr/share/games/fake/sounds/boom.ogg").write_bytes(b"not music")
    (staging / "DEBIAN").mkdir()
    (staging / "DEBIAN" / "control").write_text(
        f"Package: {FAKE.name}\nVersion: {VERSION}\nArchitecture: all\nMaintainer: t <t@example.org>\n"
        "Description: fake\n fake\n"
    )
    deb = tmp_path / "fake.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(staging), str(deb)], check=True, capture_output=True
    )
    folder = extract(deb, tmp_path / "extracted", FAKE.name)
    assert extracted_version(folder) == VERSION
    audio, trackers = find_music_files(folder)
    assert audio == [f"{MUSIC}/{name}" for name in sorted(f[0] for f in FILES)]
    assert trackers == []
    assert (folder / "usr/share/doc" / FAKE.name / "copyright").is_file()
    assert not (folder / "usr/share/games/fake/sounds").exists()
    mtime = (folder / corpus_fetch.DONE_MARK).stat().st_mtime_ns
    assert extract(deb, tmp_path / "extracted", FAKE.name) == folder  # resumable: not unpacked again
    assert (folder / corpus_fetch.DONE_MARK).stat().st_mtime_ns == mtime


def test_inventory_finds_music_and_lists_trackers(tmp_path):
    folder = make_fake_package(tmp_path)
    (folder / MUSIC / "tune.xm").write_bytes(b"Extended Module: ")
    (folder / "usr/share/games/fake/sfx.ogg").write_bytes(b"")  # not under a music path
    audio, trackers = find_music_files(folder)
    assert [Path(a).name for a in audio] == ["alpha.ogg", "beta.ogg", "gamma.flac", "short.ogg"]
    assert trackers == [f"{MUSIC}/tune.xm"]
    row = probe(folder, audio[0], FAKE.name, VERSION)
    assert (row.sample_rate, row.channels, row.duration_s) == (SR, 2, 65.0)


# --------------------------------------------------------------------------- md5 manifest


def test_manifest_round_trip(tmp_path):
    rows = manifest_for(make_fake_package(tmp_path))
    write_manifest(rows, tmp_path / "manifest.csv")
    assert read_manifest(tmp_path / "manifest.csv") == sorted(rows, key=lambda r: r.source_file)


def test_altered_file_is_refused_by_name(tmp_path):
    folder = make_fake_package(tmp_path)
    manifest = manifest_for(folder)
    assert len(verify(folder, FAKE.name, VERSION, manifest)) == len(FILES)
    target = folder / MUSIC / "beta.ogg"
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ManifestError, match=r"beta\.ogg has md5 .* refusing"):
        verify(folder, FAKE.name, VERSION, manifest)


def test_missing_extra_and_wrong_version_are_refused(tmp_path):
    folder = make_fake_package(tmp_path)
    manifest = manifest_for(folder)
    with pytest.raises(ManifestError, match="unpacked version 2.0"):
        verify(folder, FAKE.name, "2.0", manifest)
    with pytest.raises(ManifestError, match="not in the manifest"):
        verify(folder, "other-data", VERSION, manifest)
    shutil.copy(folder / MUSIC / "beta.ogg", folder / MUSIC / "delta.ogg")
    with pytest.raises(ManifestError, match=r"not in the manifest: .*delta\.ogg"):
        verify(folder, FAKE.name, VERSION, manifest)
    (folder / MUSIC / "delta.ogg").unlink()
    (folder / MUSIC / "alpha.ogg").unlink()
    with pytest.raises(ManifestError, match=r"alpha\.ogg is in the manifest but missing"):
        verify(folder, FAKE.name, VERSION, manifest)


def test_build_refuses_an_altered_file(tmp_path):
    folder = make_fake_package(tmp_path / "extracted")
    manifest = manifest_for(folder)
    with open(folder / MUSIC / "alpha.ogg", "ab") as f:
        f.write(b"\0")
    with pytest.raises(ManifestError, match=r"alpha\.ogg"):
        build_corpus([(FAKE, folder, VERSION)], manifest, make_tables(tmp_path / "t"), tmp_path / "out")
    assert not (tmp_path / "out" / "audio").exists()  # refused before anything was cut


# --------------------------------------------------------------------------- clips


def test_select_segments_caps_and_skips_silence():
    rms = np.full(40, 0.1)
    rms[[0, 5]] = 0.0
    chosen = select_segments(rms)
    assert len(chosen) == MAX_CLIPS
    indices = [s.index for s in chosen]
    assert indices == sorted(indices) and 0 not in indices and 5 not in indices
    assert indices[0] == 1 and indices[-1] == 39  # evenly spaced from the first to the last audible
    assert [s.index for s in select_segments(np.full(19, 0.1))] == list(
        np.round(np.linspace(0, 18, 16)).astype(int)
    )  # the grid shared game_music used
    assert select_segments(np.zeros(3)) == []


def test_segment_rms_drops_the_tail():
    y = np.ones(2 * CLIP_SAMPLES + 100, dtype=np.float32)
    np.testing.assert_allclose(segment_rms(y), [1.0, 1.0])
    assert len(segment_rms(y[: CLIP_SAMPLES - 1])) == 0


def test_clips_count_length_and_rate(built):
    clips = read_rows(built["out"] / "clips.csv")
    tracks = read_rows(built["out"] / "tracks.csv")
    assert list(clips[0]) == CLIP_COLUMNS and list(tracks[0]) == TRACK_COLUMNS
    by_title = {t["title"]: t for t in tracks}
    expected = {"Alpha": (2, 2, 0), "Beta": (1, 1, 0), "Gamma": (2, 1, 1), "Short": (0, 0, 0)}
    for title, (possible, kept, silent) in expected.items():
        t = by_title[title]
        assert (int(t["n_possible_clips"]), int(t["n_clips"]), int(t["n_silent_skipped"])) == (possible, kept, silent)
    assert len(clips) == 4
    gamma = [c for c in clips if c["title"] == "Gamma"]
    assert [float(c["start_s"]) for c in gamma] == [29.1]
    assert gamma[0]["clip_id"].endswith("_c01")
    for c in clips:
        info = soundfile.info(str(built["out"] / c["path"]))
        assert (info.samplerate, info.channels, info.format) == (16000, 1, "MP3")
        assert 29.1 <= info.duration < 29.3  # MP3 keeps the encoder delay and padding (29.196 s)
        assert (float(c["duration_s"]), int(c["sample_rate"])) == (29.1, 16000)
        assert float(c["rms"]) > 0.1


def test_cut_stage_is_resumable(built, monkeypatch):
    def no_cut(*args, **kwargs):
        raise AssertionError("a track already cut was cut again")

    monkeypatch.setattr("benchmarks.corpus.build.cut_track", no_cut)
    before = (built["out"] / "clips.csv").read_text()
    build_corpus([(FAKE, built["folder"], VERSION)], built["manifest"], built["tables"], built["out"], seed=0)
    assert (built["out"] / "clips.csv").read_text() == before


# --------------------------------------------------------------------------- composers


def test_composer_from_tag_table_or_unknown(built):
    tracks = {t["title"]: t for t in read_rows(built["out"] / "tracks.csv")}
    assert (tracks["Alpha"]["artist"], tracks["Alpha"]["artist_source"]) == ("Alice Example", "tag+copyright-file")
    assert (tracks["Beta"]["artist"], tracks["Beta"]["artist_source"]) == ("Bob Example", "copyright-file")
    assert (tracks["Beta"]["license"], tracks["Alpha"]["license"]) == ("CC-BY-SA-3.0", "GPL-2+")
    assert (tracks["Gamma"]["artist"], tracks["Gamma"]["artist_source"]) == ("unknown", "unknown")
    assert tracks["Alpha"]["album"] == FAKE.title  # no ALBUM tag: the game's title
    assert (built["out"] / "LICENSES" / f"{FAKE.name}.copyright").read_text() == COPYRIGHT


def test_resolve_credit_precedence():
    aliases = {"Krobonil": "Chris Leutwyler", "0zone0ne": "Max Freeman"}
    row = CreditRow(FAKE.name, "*", "Table Person", "copyright-file", "GPL-2+", False, "")
    assert resolve_credit({"artist": "Tag Person"}, row, aliases).artist_source == "tag"
    assert resolve_credit({"artist": "Tag Person"}, row, aliases).artist == "Tag Person"
    assert (
        resolve_credit({"composer": "Table Person", "artist": "x"}, row, aliases).artist_source == "tag+copyright-file"
    )
    assert resolve_credit({}, row, aliases).artist_source == "copyright-file"
    override = CreditRow(FAKE.name, "*", "Real Composer", "credits-file", "CC-BY-SA-3.0", True, "")
    assert resolve_credit({"artist": "The Modder"}, override, aliases).artist == "Real Composer"
    nobody = CreditRow(FAKE.name, "*", "", "copyright-file", "GPL-2+", False, "")
    assert resolve_credit({}, nobody, aliases) == resolve_credit({"artist": "  "}, nobody, aliases)
    assert resolve_credit({}, nobody, aliases).artist == "unknown"
    assert normalise_name("0zone0ne and Krobonil", aliases) == "Chris Leutwyler & Max Freeman"
    assert normalise_name("Max Freeman  & Chris Leutwyler ", aliases) == "Chris Leutwyler & Max Freeman"


def test_first_matching_table_row_wins_and_a_catch_all_is_required(built):
    rows = built["tables"].rows
    assert match_row(rows, FAKE.name, f"{MUSIC}/beta.ogg").composer == "Bob Example"
    assert match_row(rows, FAKE.name, f"{MUSIC}/other.ogg").composer == ""
    with pytest.raises(KeyError, match="add a"):
        match_row(rows, "no-such-data", "x.ogg")


def test_tags_are_read_with_or_without_mutagen(built, monkeypatch):
    path = built["folder"] / MUSIC / "alpha.ogg"
    expected = {"artist": "Alice Example", "title": "Alpha"}
    assert read_tags(path) == expected  # mutagen, where installed
    monkeypatch.setitem(sys.modules, "mutagen", None)  # import fails: libsndfile's string fields
    assert read_tags(path) == expected


# --------------------------------------------------------------------------- splits


def test_split_by_track(built):
    clips = read_rows(built["out"] / "clips.csv")
    tracks = {t["track_id"]: t for t in read_rows(built["out"] / "tracks.csv")}
    per_track: dict[str, set] = {}
    for c in clips:
        per_track.setdefault(c["track_id"], set()).add(c["split"])
        assert c["split"] == tracks[c["track_id"]]["split"]
    assert all(len(s) == 1 and s <= set(SPLITS) for s in per_track.values())
    assert tracks["fake_t003"]["split"] == ""  # the short track: no clips, no split


def test_assign_splits_keeps_groups_whole_and_is_seeded():
    groups = [Group(f"g{i}", f"artist{i % 3}", 1 + i % 5) for i in range(30)] + [
        Group("solo", "artist9", 4),
        Group("pair1", "artist8", 3),
        Group("pair2", "artist8", 3),
        Group("empty", "artist0", 0),
    ]
    a = assign_splits(groups, seed=1)
    assert a == assign_splits(groups, seed=1)
    assert set(a) == {g.name for g in groups}
    assert a["empty"] == "" and a["solo"] == "train"
    assert sorted([a["pair1"], a["pair2"]]) == ["test", "train"]
    for k in range(3):
        members = [g for g in groups if g.stratum == f"artist{k}" and g.n_clips]
        assert {a[g.name] for g in members} == set(SPLITS)
        clips = {s: sum(g.n_clips for g in members if a[g.name] == s) for s in SPLITS}
        assert clips["train"] > clips["valid"] and clips["train"] > clips["test"]
    assert any(assign_splits(groups, seed=s) != a for s in range(2, 6))


def test_groups_of_derived_versions_share_a_split(tmp_path):
    folder = make_fake_package(tmp_path / "extracted")
    make_tables(tmp_path / "tables")
    (tmp_path / "tables" / "groups.csv").write_text(
        f"package,pattern,group,note\n{FAKE.name},*/music/[ag]*,fake_pair,alpha and gamma\n"
    )
    tables = CreditTables.load(tmp_path / "tables")
    tracks = build_corpus([(FAKE, folder, VERSION)], manifest_for(folder), tables, tmp_path / "out", seed=3)
    by_title = {t.title: t for t in tracks}
    assert by_title["Alpha"].split_group == by_title["Gamma"].split_group == "fake_pair"
    assert by_title["Alpha"].split == by_title["Gamma"].split


# --------------------------------------------------------------------------- output folder


def test_output_folder_outside_repository_and_shared(tmp_path):
    repo = Path(__file__).resolve().parents[3]
    for bad in (repo / "data", repo.parent / "shared" / "data" / "x"):
        with pytest.raises(ValueError, match="outside the repository"):
            check_out_dir(bad, [repo, repo.parent / "shared"])
    assert check_out_dir(tmp_path / "ok", [repo]) == (tmp_path / "ok").resolve()


def test_composer_task_keeps_credited_composers_with_enough_tracks(tmp_path):
    from benchmarks.corpus.composers import composer_clips

    rows = [
        ("a", "t1"),
        ("a", "t2"),
        ("a", "t3"),
        ("b", "t4"),
        ("b", "t5"),
        ("unknown", "t6"),
        ("unknown", "t7"),
        ("unknown", "t8"),
        ("a", "t1"),
    ]
    lines = ["clip_id,path,game,artist,track_id"] + [
        f"c{i},audio/c{i}.mp3,g,{artist},{track}" for i, (artist, track) in enumerate(rows)
    ]
    (tmp_path / "clips.csv").write_text("\n".join(lines) + "\n")
    kept = composer_clips(tmp_path, min_tracks=3)
    assert list(kept.artist.unique()) == ["a"] and len(kept) == 4
    assert list(composer_clips(tmp_path, min_tracks=2).artist.unique()) == ["a", "b"]
