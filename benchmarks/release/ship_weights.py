"""Ship a trained checkpoint inside the package, with reference outputs (issue 11).

Copies the checkpoint to ``sktag/weights/<name>.pt`` (it must already be fp16 and
under 60 MB; ``--meta`` adds metadata, e.g. measured scores), records the reference
outputs of two fixture clips beside it (``<name>.reference.npz``: features of the
default layers and, for a network with an output layer, its tag probabilities,
computed here in fp32), and prints the ``ShippedWeights`` record to paste into
``REGISTRY`` in ``sktag/_catalog.py`` (the measured fields filled in; the training
data, recipe, scores, results file and summary to write). SampleCNN, ArtistCNN and
MelCNN checkpoints are handled::

    python -m benchmarks.release.ship_weights ~/.cache/sktag/runs/basic/basic.pt --name samplecnn-3x9
    python -m benchmarks.release.ship_weights runs/artist/gm16k-all-siamese.pt --name artist-siamese-gm19 \\
        --meta '{"metrics": {"test_verification_eer": 0.239}}'

``tests/weights/test_shipped_weights.py`` then checks that the installed code reproduces
the reference outputs and that each record matches its file (sha256, size, config,
rate, segment, parameters), and that docs/user_guide.rst's table of shipped weights
is ``sktag.weights.weights_table()``'s output.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from benchmarks import common
from sktag import training
from sktag.features import FEATURES_BY_ARCHITECTURE
from sktag.weights import FAMILIES, file_sha256, get_checkpoint, load_checkpoint, save_checkpoint

WEIGHTS_DIR = common.ROOT / "sktag" / "weights"
#: Fixture clips (relative to shared/data/fixtures) whose outputs are recorded.
REFERENCE_CLIPS = ("game_music/wesnoth_t002_c00.mp3", "stereo_44k_10s.flac")
MAX_BYTES = 60 * 2**20


def reference_outputs(weights: str) -> dict[str, np.ndarray]:
    """Features and tag probabilities (``(2, 0)`` without an output layer) of :data:`REFERENCE_CLIPS`."""
    paths = [str(common.SHARED / "fixtures" / clip) for clip in REFERENCE_CLIPS]
    checkpoint = get_checkpoint(weights)
    extractor = FEATURES_BY_ARCHITECTURE[checkpoint.architecture](weights=weights, device="cpu")
    features = extractor.fit(paths).transform(paths)
    if checkpoint.config.get("n_classes"):
        tagger_class = getattr(training, FAMILIES[checkpoint.architecture].tagger)  # computes the tag probabilities
        tagger = tagger_class.from_checkpoint(weights, device="cpu", precision="fp32")
        probabilities = tagger.predict_proba(paths)
    else:
        probabilities = np.zeros((len(paths), 0), dtype=np.float32)
    return {"clips": np.asarray(REFERENCE_CLIPS), "features": features, "probabilities": probabilities}


def check_shippable(path: str) -> None:
    """Refuse a checkpoint that is not stored in fp16 or is over 60 MB."""
    if any(t.is_floating_point() and t.dtype != torch.float16 for t in load_checkpoint(path).state_dict.values()):
        raise SystemExit("shipped weights are stored in fp16: save with SampleCNNTagger.save(..., half=True)")
    if os.path.getsize(path) > MAX_BYTES:
        raise SystemExit(f"{path} is over 60 MB")


def install(path: str, name: str, extra_meta: dict) -> Path:
    """Copy the checkpoint to ``sktag/weights/<name>.pt`` (with ``extra_meta`` merged into its metadata)."""
    target = WEIGHTS_DIR / f"{name}.pt"
    target.parent.mkdir(exist_ok=True)
    if extra_meta:  # rewritten with the added metadata; the fp16 tensors are stored unchanged
        checkpoint = load_checkpoint(path)
        save_checkpoint(
            target, checkpoint.build(), config=checkpoint.config, meta={**checkpoint.meta, **extra_meta}, half=True
        )
    else:
        shutil.copyfile(path, target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("checkpoint")
    parser.add_argument("--name", required=True, help="e.g. samplecnn-3x9 or rese2-multilevel")
    parser.add_argument("--meta", default="{}", help="JSON object merged into the checkpoint's metadata")
    args = parser.parse_args(argv)
    check_shippable(args.checkpoint)
    target = install(args.checkpoint, args.name, json.loads(args.meta))
    np.savez(target.with_suffix(".reference.npz"), **reference_outputs(str(target)))
    print(registry_entry(args.name, target))


def registry_entry(name: str, path: Path) -> str:
    """The ``ShippedWeights(...)`` source for ``REGISTRY``, with placeholders for what a person writes."""
    checkpoint = load_checkpoint(path)
    model = checkpoint.build()
    scores = {
        ("test_teacher_roc_auc" if key == "test" else key): value
        for key, value in checkpoint.meta.get("metrics", {}).items()
    }
    fields = {
        "name": repr(name),
        "architecture": repr(checkpoint.architecture),
        "file": repr(path.name),
        "sha256": repr(file_sha256(path)),
        "sample_rate": repr(int(checkpoint.meta["sample_rate"])),
        "config": repr(checkpoint.config),
        "segment_samples": repr(model.input_length),
        "n_params": repr(sum(p.numel() for p in model.parameters())),
        "file_size": repr(path.stat().st_size),
        "training_data": repr(f"TODO one line; the checkpoint says: {checkpoint.meta.get('training_data', '?')}"),
        "recipe": repr("TODO one line"),
        "metrics": repr(scores),
        "key_metric": repr(next(iter(scores), "TODO")),
        "results": repr("benchmarks/results/TODO.md"),
        "summary": repr("TODO"),
    }
    lines = ["    ShippedWeights(", *(f"        {key}={value}," for key, value in fields.items()), "    ),"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
