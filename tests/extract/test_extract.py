"""Batch extraction: input discovery, shards, resumption, failures, the CLI and a Dask cluster."""

import json
import os
import shutil

import numpy as np
import pytest
import soundfile

from sktag import SampleCNNFeatures
from sktag.audio import AudioError
from sktag.cli import main
from sktag.extract import ManifestMismatchError, extract, find_clips, load_features
from sktag.weights import DEFAULT_WEIGHTS, SHIPPED_WEIGHTS

SMALL = {"m": 3, "n": 4}  # 243-sample segments


@pytest.fixture
def collection(tmp_path):
    """Five short clips in nested folders (two rates, one stereo) and one file that is not audio."""
    rng = np.random.default_rng(0)
    root = tmp_path / "music"
    (root / "album").mkdir(parents=True)
    for i in range(5):
        sr = 8000 if i % 2 else 16000
        data = 0.3 * rng.standard_normal((sr // 4, 2) if i == 3 else sr // 4)
        soundfile.write(root / ("album" if i < 3 else ".") / f"c{i}.wav", data.astype(np.float32), sr)
    (root / "album" / "broken.mp3").write_bytes(b"this is not an mp3 " * 50)
    (root / "notes.txt").write_text("not picked up")
    return root


def _features(**params):
    return SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, **params)


def test_find_clips_in_folders_globs_and_csv(collection, tmp_path):
    ids, paths = find_clips([str(collection)])
    assert ids == ["album/broken.mp3", "album/c0.wav", "album/c1.wav", "album/c2.wav", "c3.wav", "c4.wav"]
    assert all(os.path.isabs(p) and os.path.exists(p) for p in paths)
    ids, _ = find_clips([str(collection / "**" / "c*.wav")])
    assert len(ids) == 5
    (tmp_path / "list.csv").write_text("path,clip_id,label\nmusic/c3.wav,three,x\nmusic/album/c0.wav,,y\n")
    ids, paths = find_clips([str(tmp_path / "list.csv")])
    assert ids == ["three", "music/album/c0.wav"] and paths[0] == str(collection / "c3.wav")
    with pytest.raises(ValueError, match="unique"):
        find_clips([str(collection), str(collection)])
    with pytest.raises(FileNotFoundError, match="nowhere"):
        find_clips([str(tmp_path / "nowhere")])
    with pytest.raises(ValueError, match="'path' column"):
        (tmp_path / "bad.csv").write_text("file\nx.wav\n")
        find_clips([str(tmp_path / "bad.csv")])


def test_extract_writes_shards_reports_failures_and_resumes_byte_identically(collection, tmp_path):
    ids, paths = find_clips([str(collection)])
    out = tmp_path / "features"
    result = extract(_features(), paths, out, clip_ids=ids, shard_size=2, progress=False)
    expected = _features().fit(paths[1:]).transform(paths[1:])
    assert list(result.clip_ids) == ids and result.features.shape == (6, expected.shape[1])
    assert list(result.failures) == ["album/broken.mp3"] and "broken.mp3" in result.failures["album/broken.mp3"]
    assert np.isnan(result.features[0]).all() and np.isfinite(result.features[1:]).all()
    np.testing.assert_allclose(result.features[1:], expected, rtol=1e-5, atol=1e-6)
    assert "album/broken.mp3" in (out / "failures.csv").read_text()
    assert sorted(f.name for f in out.glob("shard-*.npy")) == ["shard-00000.npy", "shard-00001.npy", "shard-00002.npy"]

    first = {f.name: f.read_bytes() for f in out.glob("shard-*")}
    os.remove(out / "shard-00001.npy")  # an interrupted run: one shard unfinished
    (out / "shard-00002.npy").write_bytes(b"sentinel")  # finished shards are not recomputed
    with pytest.raises(
        ValueError, match="pickled"
    ):  # the sentinel is not a valid .npy: proves shard 2 was skipped, not redone
        extract(_features(), paths, out, clip_ids=ids, shard_size=2, progress=False)
    assert (out / "shard-00001.npy").read_bytes() == first["shard-00001.npy"]  # recomputed byte-identically
    (out / "shard-00002.npy").write_bytes(first["shard-00002.npy"])
    np.testing.assert_array_equal(load_features(out).features, result.features)

    with pytest.raises(
        ManifestMismatchError,
        match=r"other features .*definition.params.layers: null .in the "
        r'folder. vs \["block4"\] .this run.',
    ):
        extract(_features(layers=["block4"]), paths, out, clip_ids=ids, shard_size=2, progress=False)


def test_cli_extract_uses_the_shipped_weights_reproducibly_and_guards_resumes(fixtures_dir, tmp_path, capsys):
    clips = str(fixtures_dir / "game_music" / "wesnoth_t00*.mp3")
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["extract", clips, "-o", str(first)]) == 0
    assert main(["extract", clips, "-o", str(second)]) == 0
    shards = sorted(f.name for f in first.glob("shard-*"))
    assert shards and all((first / name).read_bytes() == (second / name).read_bytes() for name in shards)
    definition = load_features(first).manifest["definition"]
    assert (
        definition["network"] == "sha256-" + SHIPPED_WEIGHTS[DEFAULT_WEIGHTS["SampleCNN"]][1]
    )  # pretrained by default
    assert definition["precision"] == "fp32" and definition["torch_version"] and definition["sktag_version"]

    os.remove(first / "shard-00000.npy")  # the same network named another way resumes the folder
    capsys.readouterr()
    assert main(["extract", clips, "-o", str(first), "--weights", DEFAULT_WEIGHTS["SampleCNN"]]) == 0
    assert (first / "shard-00000.npy").read_bytes() == (second / "shard-00000.npy").read_bytes()

    capsys.readouterr()
    assert main(["extract", clips, "-o", str(first), "--layers", "block9"]) != 0  # other parameters: refused
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "definition.params.layers" in err and "Traceback" not in err
    assert main(["extract", clips, "-o", str(first), "--weights", "samplecnn-3x8"]) != 0
    assert "definition.network" in capsys.readouterr().err


def test_a_resume_is_refused_when_versions_differ_or_the_network_is_unseeded(collection, tmp_path):
    _, paths = find_clips([str(collection / "album" / "c*.wav")])
    out = tmp_path / "features"
    extract(_features(), paths, out, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["definition"]["torch_version"] = "1.0.0"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ManifestMismatchError, match=r"definition.torch_version: \"1.0.0\" \(in the folder\)"):
        extract(_features(), paths, out, progress=False)

    unseeded = SampleCNNFeatures(weights=None, architecture=SMALL)
    extract(unseeded, paths, tmp_path / "unseeded", progress=False)  # a first run is fine: its seed is recorded
    assert load_features(tmp_path / "unseeded").manifest["definition"]["network"].startswith("random-")
    with pytest.raises(ManifestMismatchError, match="without a random_state cannot be resumed"):
        extract(unseeded, paths, tmp_path / "unseeded", progress=False)


def test_load_features_refuses_an_unfinished_folder(collection, tmp_path):
    ids, paths = find_clips([str(collection / "album")])
    out = tmp_path / "features"
    extract(_features(), paths[1:], out, shard_size=1, progress=False)
    os.remove(out / "shard-00001.npy")
    with pytest.raises(FileNotFoundError, match="resume"):
        load_features(out)


def test_cli_extract_with_extractor_parameters(collection, tmp_path, capsys):
    out = tmp_path / "cli"
    status = main(
        [
            "extract",
            str(collection),
            "-o",
            str(out),
            "--set",
            json.dumps(SMALL).join(["architecture=", ""]),
            "--set",
            "weights=null",
            "--set",
            "random_state=0",
            "--layers",
            "block3,block4",
            "--pooling",
            "max+mean",
            "--shard-size",
            "4",
        ]
    )
    assert status == 1  # one clip failed, and the others are all there
    captured = capsys.readouterr()
    widths = {info["name"]: info["num_chs"] for info in _features().fit([np.zeros(9)]).model_.feature_info}
    n_features = 2 * (widths["block3"] + widths["block4"])
    assert f"6 clips x {n_features} features" in captured.out and "clips/s" in captured.err
    result = load_features(out)
    assert result.features.shape == (6, n_features) and list(result.failures) == ["album/broken.mp3"]
    assert result.manifest["extractor"]["params"]["layers"] == ["block3", "block4"]
    shutil.rmtree(collection / "album")
    assert (
        main(
            [
                "extract",
                str(collection),
                "-o",
                str(tmp_path / "ok"),
                "--set",
                "random_state=0",
                "--set",
                json.dumps(SMALL).join(["architecture=", ""]),
                "--set",
                "weights=null",
            ]
        )
        == 0
    )


def test_on_error_raise_stops_at_the_bad_clip_and_keeps_finished_shards(collection, tmp_path, capsys):
    ids, paths = find_clips([str(collection)])
    order = [1, 2, 0, 3, 4, 5]  # the broken clip is in the second shard
    ids, paths = [ids[i] for i in order], [paths[i] for i in order]
    out = tmp_path / "strict"
    with pytest.raises(AudioError, match="broken.mp3"):
        extract(_features(), paths, out, clip_ids=ids, shard_size=2, progress=False, on_error="raise")
    assert sorted(f.name for f in out.glob("shard-*.npy")) == ["shard-00000.npy"]  # no NaN shard written
    with pytest.raises(AudioError, match="broken.mp3"):  # extract's on_error, not the transformer's, decides
        extract(_features(on_error="warn"), paths, out, clip_ids=ids, shard_size=2, progress=False, on_error="raise")
    with pytest.raises(ValueError, match="on_error"):
        extract(_features(), paths, out, clip_ids=ids, shard_size=2, progress=False, on_error="ignore")
    status = main(
        [
            "extract",
            str(collection),
            "-o",
            str(tmp_path / "cli"),
            "--on-error",
            "raise",
            "--set",
            json.dumps(SMALL).join(["architecture=", ""]),
            "--set",
            "weights=null",
        ]
    )
    assert status == 1 and "broken.mp3" in capsys.readouterr().err


def test_m4a_clips_are_found_and_extracted_through_ffmpeg(tmp_path, write_ffmpeg):
    rng = np.random.default_rng(1)
    root = tmp_path / "itunes"
    write_ffmpeg("itunes/album/a.m4a", 0.3 * rng.standard_normal(8000), 16000)
    write_ffmpeg("itunes/b.m4a", 0.3 * rng.standard_normal((12000, 2)), 24000)
    ids, paths = find_clips([str(root)])
    assert ids == ["album/a.m4a", "b.m4a"]
    result = extract(_features(), paths, tmp_path / "out", clip_ids=ids, progress=False, on_error="raise")
    assert not result.failures and np.isfinite(result.features).all()


def test_dask_client_in_this_process_gives_the_same_features(collection, tmp_path):
    """The client code path, quickly: threads in this process (the slow test below runs worker processes)."""
    distributed = pytest.importorskip("distributed")
    ids, paths = find_clips([str(collection)])
    local = extract(_features(), paths, tmp_path / "local", clip_ids=ids, shard_size=2, progress=False)
    with (
        _dask_scratch_in(tmp_path),
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = extract(
            _features(), paths, tmp_path / "dask", clip_ids=ids, shard_size=2, client=client, progress=False
        )
        again = extract(
            _features(), paths, tmp_path / "again", clip_ids=ids, shard_size=2, client=client, progress=False
        )
    assert list(remote.clip_ids) == ids and remote.failures.keys() == local.failures.keys()
    np.testing.assert_array_equal(remote.features, local.features)
    np.testing.assert_array_equal(again.features, remote.features)


@pytest.mark.slow  # starts a two-process Dask LocalCluster
def test_dask_cluster_gives_the_same_features_as_one_process(collection, tmp_path):
    distributed = pytest.importorskip("distributed")
    ids, paths = find_clips([str(collection)])
    local = extract(_features(), paths, tmp_path / "local", clip_ids=ids, shard_size=2, progress=False)
    with (
        _dask_scratch_in(tmp_path),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = extract(
            _features(), paths, tmp_path / "dask", clip_ids=ids, shard_size=2, client=client, progress=False
        )
        for rerun in range(4):  # the same transformer again on this client: its scattered copy must not be lost
            again = extract(
                _features(),
                paths,
                tmp_path / f"again{rerun}",
                clip_ids=ids,
                shard_size=2,
                client=client,
                progress=False,
            )
            np.testing.assert_array_equal(again.features, remote.features)
        models = client.run(_cached_networks)
    assert len(models) == 2 and set(models.values()) <= {0, 1} and sum(models.values()) >= 1  # one per worker
    assert list(remote.clip_ids) == ids and remote.failures.keys() == local.failures.keys()
    np.testing.assert_array_equal(remote.features, local.features)


def _dask_scratch_in(folder):
    """Dask's workers keep their files in ``folder``, not in a ``dask-scratch-space`` left in the temporary folder."""
    import dask

    return dask.config.set({"temporary-directory": str(folder)})


def _cached_networks() -> int:
    from sktag.features import _base

    return len(_base._MODEL_CACHE)
