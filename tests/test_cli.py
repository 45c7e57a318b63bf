"""`sktag tag` and SampleCNNTagger.from_checkpoint."""

import json

import numpy as np
import pytest
import soundfile

from sktag.cli import main
from sktag.training import SampleCNNTagger

TINY = {"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    X = [(0.3 * rng.standard_normal(1000)).astype(np.float32) for _ in range(6)]
    y = rng.uniform(0, 1, size=(6, 3)).astype(np.float32)
    tagger = SampleCNNTagger(architecture=TINY, sample_rate=8000, recipe="adam", max_epochs=1, batch_size=3,
                             cache_dir=str(folder / "cache"), random_state=0, verbose=0, precision="fp32")
    tagger.fit(X, y, tags=["calm", "loud", "weird"])
    checkpoint = folder / "tiny.pt"
    tagger.save(checkpoint, half=False)
    clip = folder / "clip.wav"
    soundfile.write(clip, X[0], 8000)
    return tagger, str(checkpoint), str(clip), X


def test_from_checkpoint_reproduces_the_trained_tagger(trained):
    tagger, checkpoint, _, X = trained
    loaded = SampleCNNTagger.from_checkpoint(checkpoint)
    assert list(loaded.classes_) == ["calm", "loud", "weird"] and loaded.sample_rate_ == 8000
    np.testing.assert_allclose(loaded.predict_proba(X), tagger.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_tag_prints_top_tags_and_json(trained, capsys):
    _, checkpoint, clip, _ = trained
    assert main(["tag", clip, "--weights", checkpoint, "--top", "2"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(clip + ": ") and line.count(",") == 1
    assert main(["tag", clip, "--weights", checkpoint, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    expected = SampleCNNTagger.from_checkpoint(checkpoint).predict_proba([clip])[0]
    assert record["path"] == clip and list(record["tags"]) == sorted(record["tags"], key=lambda t: -record["tags"][t])
    assert {t: pytest.approx(p, abs=1e-5) for t, p in zip(["calm", "loud", "weird"], expected)} == record["tags"]


def test_tag_reports_bad_files_and_goes_on(trained, tmp_path, capsys):
    _, checkpoint, clip, _ = trained
    missing = str(tmp_path / "missing.mp3")
    assert main(["tag", missing, clip, "--weights", checkpoint]) == 1
    out = capsys.readouterr()
    assert "missing.mp3" in out.err and out.out.startswith(clip)


def test_tag_without_weights_says_so(capsys, trained):
    assert main(["tag", trained[2], "--weights", "no-such-weights"]) == 2
    assert "no-such-weights" in capsys.readouterr().err


def test_train_from_a_csv_then_tag(tmp_path, capsys):
    rng = np.random.default_rng(1)
    rows = ["path,label,split"]
    for i in range(8):
        soundfile.write(tmp_path / f"c{i}.wav", (0.2 * rng.standard_normal(2000)).astype(np.float32), 8000)
        rows.append(f"c{i}.wav,{'ab'[i % 2]},{'train' if i < 6 else 'valid'}")
    (tmp_path / "clips.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "model.pt"
    status = main(["train", "csv", str(tmp_path / "clips.csv"), "--tag-column", "label", "--split-column", "split",
                   "--out", str(out), "--m", "3", "--n", "4", "--sample-rate", "8000", "--recipe", "adam",
                   "--max-epochs", "2", "--batch-size", "3", "--crops-per-clip", "2", "--precision", "fp32"])
    assert status == 0 and out.exists() and "saved" in capsys.readouterr().out
    assert main(["tag", str(tmp_path / "c0.wav"), "--weights", str(out), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["tags"]) == {"a", "b"}


@pytest.mark.parametrize("network, layers, n_features", [("artist", ["--layers", "embedding"], 256),
                                                         ("melcnn", [], 256 + 256 + 512)])
def test_train_a_mel_network_then_extract_its_features(network, layers, n_features, tmp_path, capsys):
    rng = np.random.default_rng(2)
    rows = ["path,artist,split"]
    for i in range(6):
        soundfile.write(tmp_path / f"a{i}.wav", (0.2 * rng.standard_normal(9000)).astype(np.float32), 8000)
        rows.append(f"a{i}.wav,{'xy'[i % 2]},{'train' if i < 4 else 'valid'}")
    (tmp_path / "clips.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "artist.pt"
    assert main(["train", "csv", str(tmp_path / "clips.csv"), "--tag-column", "artist", "--split-column", "split",
                 "--network", network, "--sample-rate", "8000", "--out", str(out), "--recipe", "adam",
                 "--max-epochs", "1", "--batch-size", "2", "--precision", "fp32"]) == 0
    assert main(["extract", str(tmp_path / "clips.csv"), "-o", str(tmp_path / "features"), "--extractor", network,
                 "--weights", str(out), *layers]) == 0
    assert f"6 clips x {n_features} features" in capsys.readouterr().out
