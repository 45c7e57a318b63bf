"""Training with DistributedDataParallel: CPU processes (gloo), one in this process, two launched by torchrun."""

import csv
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from sktag import SampleCNNFeatures
from sktag.training import ddp
from sktag.weights import load_checkpoint

TINY = '{"m": 3, "n": 4, "widths": [8, 8, 8, 16], "stem_width": 8}'  # 243-sample segments


def _clips_table(tmp_path, write_audio):
    """Eight short clips, six of them in the train split, and their tags in a CSV."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(8):
        path = write_audio(f"c{i}.wav", rng.standard_normal(2000) * 0.1, 16000)
        rows.append(
            {"path": path.name, "tags": "loud" if i % 2 else "quiet|soft", "split": "train" if i < 6 else "test"}
        )
    table = tmp_path / "clips.csv"
    with open(table, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "tags", "split"])
        writer.writeheader()
        writer.writerows(rows)
    return table


def _arguments(table, out):
    return [
        str(table),
        "--tag-column",
        "tags",
        "--tag-separator",
        "|",
        "--split-column",
        "split",
        "--architecture",
        TINY,
        "--epochs",
        "2",
        "--batch-size",
        "2",
        "--precision",
        "fp32",
        "--out",
        str(out),
    ]


def _check_checkpoint(out, processes, clip):
    checkpoint = load_checkpoint(out)
    assert checkpoint.meta["tags"] == ["loud", "quiet", "soft"]
    assert checkpoint.meta["recipe"]["processes"] == processes
    assert [h["epoch"] for h in checkpoint.meta["history"]] == [1, 2]
    features = SampleCNNFeatures(str(out)).fit([str(clip)]).transform([str(clip)])
    assert np.isfinite(features).all()


def test_a_one_process_group_in_this_process_writes_a_loadable_checkpoint(tmp_path, write_audio, monkeypatch, capsys):
    """The module's training loop, quickly (the slow test below runs two processes)."""
    table = _clips_table(tmp_path, write_audio)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    for name, value in {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
        "RANK": "0",
        "WORLD_SIZE": "1",
        "LOCAL_RANK": "0",
        "SKTAG_CACHE": str(tmp_path / "cache"),
    }.items():
        monkeypatch.setenv(name, value)  # what torchrun sets in each process it starts
    out = tmp_path / "ddp.pt"
    ddp.main(_arguments(table, out))
    assert "wrote" in capsys.readouterr().out
    _check_checkpoint(out, 1, tmp_path / "c7.wav")


@pytest.mark.slow  # torchrun and its two training processes each start Python and import torch
def test_torchrun_two_processes_write_a_loadable_checkpoint(tmp_path, write_audio):
    table = _clips_table(tmp_path, write_audio)
    out = tmp_path / "ddp.pt"
    (tmp_path / "tmp").mkdir()  # torchrun leaves a torchelastic_* folder in the temporary folder: this one
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "SKTAG_CACHE": str(tmp_path / "cache"),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "sktag.training.ddp",
            *_arguments(table, out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "wrote" in result.stdout
    _check_checkpoint(out, 2, tmp_path / "c7.wav")
