"""Training with DistributedDataParallel: two CPU processes (gloo) launched by torchrun."""

import csv
import os
import subprocess
import sys

import numpy as np

from sktag import SampleCNNFeatures
from sktag.weights import load_checkpoint

TINY = '{"m": 3, "n": 4, "widths": [8, 8, 8, 16], "stem_width": 8}'  # 243-sample segments


def test_torchrun_two_processes_write_a_loadable_checkpoint(tmp_path, write_audio):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(8):
        path = write_audio(f"c{i}.wav", rng.standard_normal(2000) * 0.1, 16000)
        rows.append({"path": path.name, "tags": "loud" if i % 2 else "quiet|soft", "split": "train" if i < 6 else "test"})
    table = tmp_path / "clips.csv"
    with open(table, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "tags", "split"])
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "ddp.pt"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SKTAG_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "sktag.training.ddp", str(table), "--tag-column", "tags", "--tag-separator", "|",
         "--split-column", "split", "--architecture", TINY, "--epochs", "2", "--batch-size", "2",
         "--precision", "fp32", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "wrote" in result.stdout
    checkpoint = load_checkpoint(out)
    assert checkpoint.meta["tags"] == ["loud", "quiet", "soft"]
    assert checkpoint.meta["recipe"]["processes"] == 2
    assert [h["epoch"] for h in checkpoint.meta["history"]] == [1, 2]
    features = SampleCNNFeatures(str(out)).fit([str(tmp_path / "c7.wav")]).transform([str(tmp_path / "c7.wav")])
    assert np.isfinite(features).all()
