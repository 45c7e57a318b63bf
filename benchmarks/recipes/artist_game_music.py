"""Artist-label CNNs on game_music composers: basic vs Siamese vs random init (issue 4).

Trains the paper's two artist models on the composers of the game_music train split
(16 kHz, 3 s log-mel patches, hop 372 = the paper's 23 ms), then, on the test split
(tracks unseen in training):

- composer recognition: LogisticRegression on frozen clip features of the train split
  (``ArtistCNNFeatures``, ``layers="block5"``: max over time, mean over segments, the
  paper's transfer feature), accuracy on the test split, the protocol of ``sktag
  bench``'s ``composer`` task (``unknown`` left out);
- artist verification: cosine similarity of clip embeddings (the 256-d embedding,
  mean over segments) for every pair of test clips from different tracks, equal
  error rate.

Composers with fewer than ``--min-tracks`` training tracks, and ``unknown``, are left
out of training (listed in the report). Writes ``benchmarks/results/artist_<name>.md``
/ ``.json``; checkpoints go to ``--out``::

    python -m benchmarks.recipes.artist_game_music --name gm16k --out ~/.cache/sktag/runs/artist
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks import common
from sktag import ArtistCNNFeatures
from sktag.metrics import equal_error_rate, pair_similarities
from sktag.training import ArtistCNNTagger, SiameseArtistCNN

ARCHITECTURE = {"sample_rate": 16000, "hop_length": 372, "fmax": 8000}
TRAINING_RECORD = ("basic_train_seconds", "siamese_train_seconds", "basic_history", "siamese_history")


def build_parser():
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", required=True, help="folder for the two checkpoints")
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--crops-per-clip", type=int, default=4)
    parser.add_argument("--min-tracks", type=int, default=2)
    parser.add_argument("--siamese-epochs", type=int, default=None, help="default: --max-epochs")
    parser.add_argument(
        "--random-seeds",
        type=int,
        default=5,
        help="random-init networks of the baseline (reported one by one and as mean and sd)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="score the two checkpoints already in --out instead of training them"
    )
    parser.add_argument(
        "--layers",
        action="append",
        default=None,
        help="comma-separated layers of the recognition features; repeat for several sets (default: block5)",
    )
    return parser


def load_clips() -> dict[str, np.ndarray]:
    """Every game_music clip: ``path``, ``artist``, ``track_id``, ``split``."""
    rows = common.game_music_clips()
    return {
        "path": np.asarray([str(common.GAME_MUSIC / r["path"]) for r in rows]),
        **{key: np.asarray([r[key] for r in rows]) for key in ("artist", "track_id", "split")},
    }


def training_split(clips: dict[str, np.ndarray], min_tracks: int) -> dict:
    """The composers trained on (at least ``min_tracks`` train tracks), those folded out, and their clips."""
    known = clips["artist"] != "unknown"
    train_tracks = {
        a: len(set(clips["track_id"][(clips["artist"] == a) & (clips["split"] == "train")]))
        for a in set(clips["artist"][known])
    }
    kept = sorted(a for a, n in train_tracks.items() if n >= min_tracks)
    fit = np.isin(clips["artist"], kept) & (clips["split"] == "train")
    valid = np.isin(clips["artist"], kept) & (clips["split"] == "valid")
    return {
        "composers_trained": kept,
        "folded_out": sorted(set(train_tracks) - set(kept)),
        "X_fit": list(clips["path"][fit]),
        "y_fit": clips["artist"][fit],
        "X_valid": list(clips["path"][valid]),
        "y_valid": clips["artist"][valid],
    }


def verification_eer(embeddings: np.ndarray, artists: np.ndarray, tracks: np.ndarray) -> float:
    same, similarity = pair_similarities(embeddings, artists)
    i, j = np.triu_indices(len(artists), k=1)
    other_track = tracks[i] != tracks[j]
    return equal_error_rate(same[other_track], similarity[other_track])


def train_models(args, out: Path, X_fit, y_fit, X_valid, y_valid) -> dict:
    """Train and save the basic and Siamese models; their training times and histories."""
    started = time.perf_counter()
    basic = ArtistCNNTagger(
        architecture=ARCHITECTURE,
        recipe="adam",
        max_epochs=args.max_epochs,
        crops_per_clip=args.crops_per_clip,
        batch_size=15,
        random_state=0,
        verbose=1,
    )
    basic.fit(X_fit, y_fit, X_valid=X_valid, y_valid=y_valid)
    report = {"basic_train_seconds": time.perf_counter() - started}
    basic.save(out / f"{args.name}-basic.pt", meta={"training_data": "game_music train split composers"})
    started = time.perf_counter()
    siamese = SiameseArtistCNN(
        ARCHITECTURE,
        max_epochs=args.siamese_epochs or args.max_epochs,
        crops_per_clip=args.crops_per_clip,
        random_state=0,
        verbose=1,
    )
    siamese.fit(X_fit, y_fit, X_valid=X_valid, y_valid=y_valid)
    report["siamese_train_seconds"] = time.perf_counter() - started
    siamese.save(out / f"{args.name}-siamese.pt", meta={"training_data": "game_music train split composers"})
    report["basic_history"] = [
        {k: r.get(k) for k in ("epoch", "train_loss", "valid_loss", "valid_roc_auc")} for r in basic.history_
    ]
    report["siamese_history"] = [{k: r.get(k) for k in ("epoch", "train_loss", "valid_loss")} for r in siamese.history_]
    return report


def training_record(args, out: Path, split: dict) -> dict:
    """Train the two models, or with ``--reuse`` read the record of the run that made the checkpoints."""
    if args.reuse:
        previous = json.loads((common.RESULTS / f"artist_{args.name}.json").read_text())
        return {key: previous[key] for key in TRAINING_RECORD}
    return train_models(args, out, split["X_fit"], split["y_fit"], split["X_valid"], split["y_valid"])


def score_models(args, out: Path, clips: dict[str, np.ndarray], layer_sets: list[list[str]]) -> list[dict]:
    """Composer accuracy per layer set and verification EER of the two models and of random-init networks."""
    known = clips["artist"] != "unknown"
    train, test = known & (clips["split"] == "train"), known & (clips["split"] == "test")
    X_train, X_test = list(clips["path"][train]), list(clips["path"][test])
    models = [("basic", out / f"{args.name}-basic.pt", None), ("siamese", out / f"{args.name}-siamese.pt", None)]
    models += [(f"random init, seed {seed}", None, seed) for seed in range(args.random_seeds)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="sktag-artist-bench-") as cache:  # activations, shared by the layer sets
        for label, weights, seed in models:
            common_params = {
                "weights": None if weights is None else str(weights),
                "random_state": seed,
                "memory": cache,
                **({"architecture": ARCHITECTURE} if weights is None else {}),
            }
            embed = ArtistCNNFeatures(layers="embedding", pooling="mean", **common_params).fit(X_test)
            eer = verification_eer(embed.transform(X_test), clips["artist"][test], clips["track_id"][test])
            for layers in layer_sets:
                started = time.perf_counter()
                features = ArtistCNNFeatures(layers=layers, **common_params).fit(X_train)
                clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
                clf.fit(features.transform(X_train), clips["artist"][train])
                accuracy = clf.score(features.transform(X_test), clips["artist"][test])
                rows.append(
                    {
                        "features": label,
                        "layers": ",".join(layers),
                        "composer_accuracy": accuracy,
                        "verification_eer": eer,
                        "seconds": time.perf_counter() - started,
                    }
                )
                print(rows[-1], flush=True)
    return rows


def random_init_summary(rows: list[dict], layer_sets: list[list[str]]) -> list[dict]:
    """Mean and sd over the random-init seeds, per layer set."""
    summary = []
    for layers in layer_sets:
        random = [r for r in rows if r["features"].startswith("random init") and r["layers"] == ",".join(layers)]
        accuracy = np.array([r["composer_accuracy"] for r in random])
        eer = np.array([r["verification_eer"] for r in random])
        summary.append(
            {
                "features": f"random init, mean (sd) of {len(random)} seeds",
                "layers": ",".join(layers),
                "composer_accuracy": float(accuracy.mean()),
                "composer_accuracy_sd": float(accuracy.std()),
                "verification_eer": float(eer.mean()),
                "verification_eer_sd": float(eer.std()),
            }
        )
    return summary


def markdown(args, report: dict, clips: dict[str, np.ndarray], layer_sets: list[list[str]]) -> list[str]:
    def cell(r, key):
        return f"{r[key]:.3f}" + (f" ({r[key + '_sd']:.3f})" if key + "_sd" in r else "")

    known = clips["artist"] != "unknown"
    train, test = known & (clips["split"] == "train"), known & (clips["split"] == "test")
    kept, folded_out = report["composers_trained"], report["folded_out"]
    return [
        f"# Artist-label CNNs on game_music composers, `{args.name}`",
        "",
        f"`python -m {__spec__.name} --name {args.name} --out ... --max-epochs {args.max_epochs} "
        f"--crops-per-clip {args.crops_per_clip} --min-tracks {args.min_tracks}"
        f"{f' --siamese-epochs {args.siamese_epochs}' if args.siamese_epochs else ''}"
        f"{''.join(' --layers ' + ','.join(ls) for ls in layer_sets)} --random-seeds {args.random_seeds}"
        f"{' --reuse' if args.reuse else ''}`; "
        f"ArtistCNN {ARCHITECTURE} (3 s patches at 16 kHz). Trained on {report['train_clips']} train clips of "
        f"{len(kept)} composers (folded out: `unknown` and {', '.join(folded_out) or 'none'}, fewer than "
        f"{args.min_tracks} training tracks); basic = softmax head (ArtistCNNTagger, AdamW, "
        f"{report['basic_train_seconds'] / 60:.1f} min), Siamese = 1 positive + 4 negative artists, hinge 0.4 "
        f"(SiameseArtistCNN, SGD 0.1 Nesterov, {report['siamese_train_seconds'] / 60:.1f} min); "
        f"2-core CI-class CPU.",
        "",
        f"Composer recognition: LogisticRegression(C=0.1) on the features of the listed layers (max over time, "
        f"mean over segments) of {int(train.sum())} train clips, "
        f"accuracy on {int(test.sum())} test clips of {len(set(clips['track_id'][test]))} tracks "
        f"({len(set(clips['artist'][train]))} composers, `unknown` left "
        "out). Verification: equal error rate of the cosine similarity of clip embeddings over all pairs of test "
        "clips from different tracks.",
        "",
        "| features | layers | composer accuracy | verification EER | s |",
        "|---|---|---:|---:|---:|",
        *[
            f"| {r['features']} | {r['layers']} | {cell(r, 'composer_accuracy')} | {cell(r, 'verification_eer')} | "
            f"{r.get('seconds', 0):.0f} |"
            for r in report["results"] + report["random_init_summary"]
        ],
        "",
        "SampleCNN features on the same composer split (benchmarks/results/composer_basic-lmse-c4.md): "
        "distilled 3^9 0.566, random init 0.495; ../shared/DESIGN.md: musicnn max_pool 0.604, MFCC 0.560.",
    ]


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    layer_sets = [text.split(",") for text in (args.layers or ["block5"])]
    out = Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    clips = load_clips()
    split = training_split(clips, args.min_tracks)
    report = {
        "name": args.name,
        "architecture": ARCHITECTURE,
        "composers_trained": split["composers_trained"],
        "folded_out": split["folded_out"],
        "train_clips": len(split["X_fit"]),
        "valid_clips": len(split["X_valid"]),
        **training_record(args, out, split),
    }
    report["results"] = score_models(args, out, clips, layer_sets)
    report["random_init_summary"] = random_init_summary(report["results"], layer_sets)
    common.write_results(f"artist_{args.name}", report, markdown(args, report, clips, layer_sets))


if __name__ == "__main__":
    main()
