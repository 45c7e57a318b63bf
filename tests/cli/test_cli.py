"""`sktag tag` and SampleCNNTagger.from_checkpoint."""

import json
import signal
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from sktag import weights as weights_module
from sktag.cli import build_parser, main
from sktag.training import SampleCNNTagger


@pytest.fixture(scope="module")
def trained(tiny_tagger_checkpoint, tmp_path_factory):
    tagger, checkpoint, X = tiny_tagger_checkpoint
    clip = tmp_path_factory.mktemp("cli") / "clip.wav"
    soundfile.write(clip, X[0], 8000)
    return tagger, str(checkpoint), str(clip), X


def test_from_checkpoint_reproduces_the_trained_tagger(trained):
    tagger, checkpoint, _, X = trained
    loaded = SampleCNNTagger.from_checkpoint(checkpoint)
    assert list(loaded.classes_) == ["calm", "loud", "weird"] and loaded.analysis_rate_ == 8000
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
    status = main(
        [
            "train",
            "csv",
            str(tmp_path / "clips.csv"),
            "--tag-column",
            "label",
            "--split-column",
            "split",
            "--out",
            str(out),
            "--m",
            "3",
            "--n",
            "4",
            "--analysis-rate",
            "8000",
            "--recipe",
            "adam",
            "--max-epochs",
            "2",
            "--batch-size",
            "3",
            "--crops-per-clip",
            "2",
            "--precision",
            "fp32",
        ]
    )
    assert status == 0 and out.exists() and "saved" in capsys.readouterr().out
    assert main(["tag", str(tmp_path / "c0.wav"), "--weights", str(out), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["tags"]) == {"a", "b"}


@pytest.mark.parametrize(
    "network, layers, n_features", [("artist", ["--layers", "embedding"], 256), ("melcnn", [], 256 + 256 + 512)]
)
@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # 1.1 s clips, shorter than a segment
def test_train_a_mel_network_then_extract_its_features(network, layers, n_features, tmp_path, capsys):
    rng = np.random.default_rng(2)
    rows = ["path,artist,split"]
    for i in range(6):
        soundfile.write(tmp_path / f"a{i}.wav", (0.2 * rng.standard_normal(9000)).astype(np.float32), 8000)
        rows.append(f"a{i}.wav,{'xy'[i % 2]},{'train' if i < 4 else 'valid'}")
    (tmp_path / "clips.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "artist.pt"
    assert (
        main(
            [
                "train",
                "csv",
                str(tmp_path / "clips.csv"),
                "--tag-column",
                "artist",
                "--split-column",
                "split",
                "--network",
                network,
                "--analysis-rate",
                "8000",
                "--out",
                str(out),
                "--recipe",
                "adam",
                "--max-epochs",
                "1",
                "--batch-size",
                "2",
                "--precision",
                "fp32",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "extract",
                str(tmp_path / "clips.csv"),
                "-o",
                str(tmp_path / "features"),
                "--extractor",
                network,
                "--weights",
                str(out),
                *layers,
            ]
        )
        == 0
    )
    assert f"6 clips x {n_features} features" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# Start-up, help, errors, Ctrl-C and -v (issue 25)
# ---------------------------------------------------------------------------

_NO_TORCH = """
import json, sys
import sktag
assert "torch" not in sys.modules, "import sktag imported torch"
from sktag import cli
parser = cli.build_parser()
parser.format_help()
commands = parser._subparsers._group_actions[0].choices
for name, command in commands.items():
    command.format_help()
parser.parse_args(["tag", "song.mp3"])
parser.parse_args(["extract", "music", "-o", "out"])
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {"torch", "sklearn", "pandas", "sktag"})))
"""


def test_building_the_parser_and_its_help_imports_no_torch():
    """``sktag --help``, ``sktag tag --help`` ... start in a fraction of a second: no torch, no scikit-learn."""
    result = subprocess.run([sys.executable, "-c", _NO_TORCH], capture_output=True, text=True, check=True)
    imported = json.loads(result.stdout)
    assert not [name for name in imported if name.split(".")[0] in {"torch", "sklearn", "pandas"}], imported
    assert "sktag.features" not in imported and "sktag.weights" not in imported
    assert "sktag.bench.transfer" not in imported and "sktag.bench.tasks" not in imported


def test_lazy_package_attributes_keep_the_public_names():
    import sktag

    assert set(sktag.__all__) <= set(dir(sktag))
    assert sktag.SampleCNNFeatures.__name__ == "SampleCNNFeatures" and sktag.MLPTagger.__name__ == "MLPTagger"
    assert sktag.weights.SHIPPED_WEIGHTS is weights_module.SHIPPED_WEIGHTS
    with pytest.raises(AttributeError, match="no_such_thing"):
        sktag.no_such_thing  # noqa: B018


def test_bench_options_are_added_when_the_command_is_used():
    bench = build_parser()._subparsers._group_actions[0].choices["bench"]
    assert "--extractors" in bench.format_help() and "--merge" in bench.format_help()


@pytest.mark.parametrize("command", ["tag", "extract", "train"])
def test_weights_help_lists_the_shipped_names(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for name in weights_module.SHIPPED_WEIGHTS:
        assert name in help_text, name
    assert "'sktag weights' describes each" in help_text
    if command == "tag":
        default = weights_module.DEFAULT_WEIGHTS["SampleCNN"]
        assert f"(default: {default};" in help_text


def _one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_a_missing_input_is_one_line_and_status_2(tmp_path, capsys):
    status = main(["extract", str(tmp_path / "nowhere"), "-o", str(tmp_path / "out")])
    line = _one_line(capsys.readouterr().err)
    assert status == 2 and line.startswith("sktag extract: error: ") and "nowhere" in line


def test_an_output_folder_of_another_run_is_one_line_and_status_2(tmp_path, capsys):
    clip = tmp_path / "clip.wav"
    soundfile.write(clip, np.zeros(2000, np.float32), 8000)
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"format": "sktag-features", "format_version": 1, "n_clips": 7}))
    args = [
        "extract",
        str(clip),
        "-o",
        str(out),
        "--set",
        "weights=null",
        "--set",
        "random_state=0",
        "--set",
        json.dumps({"m": 3, "n": 4}).join(["architecture=", ""]),
    ]
    assert main(args) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("sktag extract: error: ") and "Traceback" not in line
    assert main(["--debug", *args]) == 2  # --debug: the traceback, then the same line
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and err.strip().splitlines()[-1] == line


def test_a_usage_error_of_a_command_is_one_line_and_status_2(tmp_path, capsys):
    clip = tmp_path / "clip.wav"
    soundfile.write(clip, np.zeros(2000, np.float32), 8000)
    assert main(["extract", str(clip), "-o", str(tmp_path / "out"), "--set", "no-equals-sign"]) == 2
    assert "--set takes KEY=VALUE" in _one_line(capsys.readouterr().err)


def test_ctrl_c_in_extract_is_one_line_that_says_a_rerun_resumes(tmp_path, capsys, monkeypatch):
    import sktag.extract

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sktag.extract, "extract", interrupted)
    clip = tmp_path / "clip.wav"
    soundfile.write(clip, np.zeros(2000, np.float32), 8000)
    assert main(["extract", str(clip), "-o", str(tmp_path / "out")]) == 130
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("sktag extract: interrupted") and "rerun" in line and "resume" in line


def _fake_dataset(tmp_path):
    from sklearn.utils import Bunch

    return Bunch(
        paths=np.array([str(tmp_path / "a.wav")]),
        target=np.ones((1, 1), np.float32),
        target_names=np.array(["x"]),
        split=np.array(["train"]),
        DESCR="fake",
    )


@pytest.fixture
def sigint_raises():
    """Ctrl-C raises KeyboardInterrupt, as in a terminal (a shell's background job starts with SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_in_train_says_a_rerun_resumes_from_the_checkpoint_dir(tmp_path, capsys, monkeypatch, sigint_raises):
    """skorch's fit swallows Ctrl-C and returns; sktag train notices, writes no --out and says how to resume."""
    import sktag.cli

    def fit_interrupted_like_skorch(self, *args, **kwargs):
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:  # skorch's NeuralNet.partial_fit: `except KeyboardInterrupt: pass`
            pass
        return self

    monkeypatch.setattr(sktag.cli, "_load_dataset", lambda args: _fake_dataset(tmp_path))
    monkeypatch.setattr(SampleCNNTagger, "fit", fit_interrupted_like_skorch)
    out = tmp_path / "model.pt"
    status = main(["train", "csv", "clips.csv", "--out", str(out), "--checkpoint-dir", str(tmp_path / "runs")])
    line = _one_line(capsys.readouterr().err)
    assert status == 130 and not out.exists()
    assert line.startswith("sktag train: interrupted") and "resume" in line and "runs" in line
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back


def test_ctrl_c_while_decoding_for_train_without_checkpoint_dir(tmp_path, capsys, monkeypatch):
    import sktag.cli

    def fit_interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sktag.cli, "_load_dataset", lambda args: _fake_dataset(tmp_path))
    monkeypatch.setattr(SampleCNNTagger, "fit", fit_interrupted)
    assert main(["train", "csv", "clips.csv", "--out", str(tmp_path / "model.pt")]) == 130
    assert "--checkpoint-dir" in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_tag_logs_the_network_device_and_timings(trained, capsys, where):
    _, checkpoint, clip, _ = trained
    argv = ["tag", clip, "--weights", checkpoint]
    assert main(["-v", *argv] if where == "before" else [*argv[:1], "-v", *argv[1:]]) == 0
    err = capsys.readouterr().err
    assert "loaded on cpu" in err and "SampleCNN" in err
    assert "[1/1]" in err and "tagged in" in err and "files/s" in err


def test_without_verbose_tag_logs_nothing(trained, capsys):
    _, checkpoint, clip, _ = trained
    assert main(["tag", clip, "--weights", checkpoint]) == 0
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------
# sktag weights (issue 27)
# ---------------------------------------------------------------------------


def test_weights_lists_every_name_and_marks_the_defaults(capsys):
    assert main(["weights"]) == 0
    rows = {
        line.split()[0]: line.split()
        for line in capsys.readouterr().out.splitlines()
        if line and not line.startswith("=")
    }
    assert set(weights_module.SHIPPED_WEIGHTS) <= set(rows)
    marked = {name: row[1] for name, row in rows.items() if row[2] == "yes"}
    assert marked == {name: family for family, name in weights_module.DEFAULT_WEIGHTS.items()}


def test_weights_json_parses(capsys):
    assert main(["weights", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in records] == list(weights_module.SHIPPED_WEIGHTS)
    assert {r["name"]: r["sha256"] for r in records} == {n: s for n, (_, s) in weights_module.SHIPPED_WEIGHTS.items()}
    assert sum(r["default"] for r in records) == 3
    assert main(["weights", "melcnn-54f", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["config"]["n_frames"] == 54 and record["sample_rate"] == 16000 and record["default"] is True


def test_weights_name_prints_one_entry_in_full(capsys):
    assert main(["weights", "rese2-multilevel"]) == 0
    out = capsys.readouterr().out
    entry = weights_module.REGISTRY["rese2-multilevel"]
    for text in (entry.sha256, entry.file, "distill_rese2-ml-tv.md", "test_teacher_roc_auc", "0.8560", '"rese2"'):
        assert text in out, text
    assert "samplecnn-3x9" not in out.splitlines()[0]


def test_weights_with_an_unknown_name_is_one_line_and_status_2(capsys):
    assert main(["weights", "samplecnn-3x7"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("sktag weights: error: ") and "samplecnn-3x7" in line and "samplecnn-3x9" in line


def test_weights_command_imports_no_torch():
    code = (
        "import sys\nfrom sktag.cli import main\nassert main(['weights']) == 0\n"
        "assert 'torch' not in sys.modules and 'sktag.weights' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "samplecnn-3x9" in result.stdout
