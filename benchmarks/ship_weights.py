"""Ship a trained checkpoint inside the package, with reference outputs (issue 11).

Copies the checkpoint to ``sktag/weights/<name>.pt`` (it must already be fp16 and
under 60 MB), records the reference outputs of two fixture clips beside it
(``<name>.reference.npz``: multi-level features of the default layers and tag
probabilities, computed here in fp32), and prints the ``SHIPPED_WEIGHTS`` entry to
paste into ``sktag/weights.py``::

    python benchmarks/ship_weights.py ~/.cache/sktag/runs/basic/basic.pt --name samplecnn-3x9

``tests/test_shipped_weights.py`` then checks that the installed code reproduces
the reference outputs and that each file's sha256 matches.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from sktag import SampleCNNFeatures
from sktag.training import SampleCNNTagger
from sktag.weights import file_sha256, load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))
#: Fixture clips (relative to shared/data/fixtures) whose outputs are recorded.
REFERENCE_CLIPS = ("game_music/wesnoth_t002_c00.mp3", "stereo_44k_10s.flac")
MAX_BYTES = 60 * 2**20


def reference_outputs(weights: str) -> dict[str, np.ndarray]:
    """Features and tag probabilities of :data:`REFERENCE_CLIPS` under ``weights``."""
    paths = [str(SHARED / "fixtures" / clip) for clip in REFERENCE_CLIPS]
    features = SampleCNNFeatures(weights=weights, device="cpu").fit(paths).transform(paths)
    probabilities = SampleCNNTagger.from_checkpoint(weights, device="cpu", precision="fp32").predict_proba(paths)
    return {"clips": np.asarray(REFERENCE_CLIPS), "features": features, "probabilities": probabilities}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--name", required=True, help="e.g. samplecnn-3x9 or rese2-multilevel")
    args = parser.parse_args()
    checkpoint = load_checkpoint(args.checkpoint)
    if any(t.is_floating_point() and t.dtype != torch.float16 for t in checkpoint.state_dict.values()):
        raise SystemExit("shipped weights are stored in fp16: save with SampleCNNTagger.save(..., half=True)")
    if os.path.getsize(args.checkpoint) > MAX_BYTES:
        raise SystemExit(f"{args.checkpoint} is over 60 MB")
    target = ROOT / "sktag" / "weights" / f"{args.name}.pt"
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(args.checkpoint, target)
    np.savez(target.with_suffix(".reference.npz"), **reference_outputs(str(target)))
    print(f'    "{args.name}": ("{target.name}", "{file_sha256(target)}"),')


if __name__ == "__main__":
    main()
