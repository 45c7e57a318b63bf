"""Distil three musicnn teachers' tags and embeddings into the 3^9 SampleCNN, validated on games left out.

Issue 26's training run. The student is the shipped ``samplecnn-3x9`` network (or a
random one with ``--from-scratch``); each step takes ``--batch`` clips, two random
3.69 s crops of each (gain and equaliser changes), and minimises

- **tags**: logit MSE (:class:`sktag.training.losses.TeacherLogitMSE`) to the patch tags of
  MTT_musicnn (the network's own 50 outputs, what ``sktag tag`` prints), MSD_musicnn and
  MSD_vgg (two extra 50-tag heads on ``fc``), each crop's target the overlap-weighted mean of
  the teacher's 3 s patches it covers;
- **embeddings** (``--embedding-weight``): MSE from a linear map of the crop's multi-level
  features (global max of each of ``--feature-layers``; by default block7-9, the 1024 values
  ``SampleCNNFeatures`` pools) to the clip's z-scored musicnn MSD and MTT ``max_pool`` embeddings;
- **contrast** (``--contrast-weight``): NT-Xent between the two crops of a clip over a
  projection of the same features (CLMR, arXiv:2103.09410), temperature 0.1: no teacher.
  With ``--positives track`` the second crop comes from another clip of the same track
  (where the track has one), so the pair shares the piece's sound but not its moment.

``--freeze-through LAYER`` keeps the stem and the blocks up to ``LAYER`` as they start (random
ones with ``--from-scratch``: randomly weighted front ends transfer well, Pons and Serra,
arXiv:1805.00237), in inference mode and without gradients; it also skips their backward pass,
most of a step's cost.

``--multi-level`` puts a new multi-level head on the start's blocks (the global max of the last three
blocks, as in arXiv:1710.10451, instead of the last block alone); with ``--freeze-through block9`` only
that head learns, and a step costs about a third of a full one.

``--start`` continues from another checkpoint (a shipped name or a path) and ``--start-heads``
from the extra tag heads of the run that made it, so a run can continue another with a
different loss or layer set.

Training clips: shared game_music train+valid and every clip of the second corpus except the
games in ``--heldout-games`` (default ``validation``, :data:`benchmarks.corpus.heldout.VALIDATION_GAMES`;
the named sets are :data:`benchmarks.corpus.heldout.GAME_SETS`). The runs behind the shipped issue-26
weights predate the corpus's second batch: ``--heldout-games validation+batch2`` trains on their clips.
Every ``--eval-every`` steps the network alone (no extra heads) is saved as a sktag checkpoint
and scored on the held-out games by :func:`benchmarks.corpus.heldout.checkpoint_scores`; the
best composer accuracy is kept as ``best.pt``. The run state is saved every ``--save-every``
steps and a rerun with the same ``--out`` resumes::

    python -m benchmarks.corpus.distill --out ~/.cache/sktag/runs/multi-teacher --steps 2000

The learning rate follows a cosine from ``--lr`` to 0 over ``--steps`` after 100 warm-up steps.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

import sktag  # noqa: F401  (before torch: it sets the OpenMP wait policy torch's threads start with)

# isort: split
import torch
from torch import nn

from benchmarks.corpus.heldout import (
    CORPUS,
    DEFAULT_LAYERS,
    add_heldout_options,
    checkpoint_scores,
    heldout_clips,
    resolve_games,
    scored_games,
)
from sktag.runtime import autocast
from sktag.training.augment import WaveformAugment
from sktag.training.losses import TeacherLogitMSE
from sktag.training.store import AudioStore
from sktag.weights import get_checkpoint, save_checkpoint

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", HERE.parents[2] / "shared" / "data"))
SAMPLE_RATE = 16000
#: musicnn's patches: 187 frames of hop 256 at 16 kHz (2.99 s), back to back from the clip's start.
PATCH_SAMPLES = 187 * 256
TAG_TEACHERS = ("MTT_musicnn", "MSD_musicnn", "MSD_vgg")
EMBEDDING_TEACHERS = (("MSD_musicnn", "max_pool"), ("MTT_musicnn", "max_pool"))
log = logging.getLogger("distill")


def training_clips(corpus: Path, heldout: set[str]) -> pd.DataFrame:
    """Shared game_music train+valid and the second corpus minus ``heldout`` games, one row per clip."""
    shared = pd.read_csv(SHARED / "game_music" / "clips.csv")
    shared = shared[shared.split.isin(["train", "valid"])].assign(corpus="game_music")
    shared["file"] = [str(SHARED / "game_music" / p) for p in shared.path]
    second = pd.read_csv(corpus / "clips.csv")
    second = second[~second.game.isin(heldout)].assign(corpus="game_music2")
    second["file"] = [str(corpus / p) for p in second.path]
    return pd.concat([shared, second], ignore_index=True)[["clip_id", "file", "game", "corpus", "artist", "track_id"]]


def teacher_arrays(clips: pd.DataFrame, teacher: str, array: str) -> np.ndarray:
    """One committed teacher array (``patch_tags`` or an embedding) for every clip, float32."""
    parts = []
    for name, group in clips.groupby("corpus", sort=False):
        data = np.load(HERE / f"teacher_{name}_{teacher}.npz")
        index = {clip_id: i for i, clip_id in enumerate(data["clip_id"])}
        parts.append(
            pd.Series(list(data[array][[index[c] for c in group.clip_id]].astype(np.float32)), index=group.index)
        )
    return np.stack(pd.concat(parts).sort_index().to_list())


def crop_targets(patch_tags: np.ndarray, start: int, length: int) -> np.ndarray:
    """Overlap-weighted mean of the teacher patches ``(n_patches, n_tags)`` a crop covers."""
    edges = np.arange(len(patch_tags) + 1) * PATCH_SAMPLES
    overlap = np.clip(np.minimum(edges[1:], start + length) - np.maximum(edges[:-1], start), 0, None)
    if overlap.sum() == 0:  # the crop lies in the tail after the last patch
        overlap[-1] = 1
    return (overlap @ patch_tags / overlap.sum()).astype(np.float32)


class Heads(nn.Module):
    """The extra outputs of the student during distillation (dropped when the network is shipped)."""

    def __init__(self, fc_width: int, feature_width: int, n_tags: dict[str, int], embedding_widths: list[int]):
        super().__init__()
        self.tags = nn.ModuleDict({name: nn.Linear(fc_width, n) for name, n in n_tags.items()})
        self.embeddings = nn.ModuleList(nn.Linear(feature_width, w) for w in embedding_widths)
        self.projection = nn.Sequential(nn.Linear(feature_width, 512), nn.ReLU(), nn.Linear(512, 128))


def nt_xent(a: torch.Tensor, b: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """SimCLR's normalised-temperature cross entropy between paired rows of ``a`` and ``b`` ``(n, d)``."""
    z = nn.functional.normalize(torch.cat([a, b]).float(), dim=1)
    similarity = z @ z.T / temperature
    similarity.fill_diagonal_(float("-inf"))
    n = len(a)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return nn.functional.cross_entropy(similarity, target)


def track_partners(clips: pd.DataFrame) -> list[np.ndarray]:
    """For each clip (row), the rows of the other clips of its track (empty for a track's only clip)."""
    track = (clips.corpus + "/" + clips.track_id.astype(str)).to_numpy()
    rows = pd.Series(np.arange(len(clips))).groupby(track).apply(np.asarray)
    return [rows[t][rows[t] != i] for i, t in enumerate(track)]


class Batches:
    """Random clips, two augmented crops each (or one crop of each and one of a ``partners`` clip), and tag targets."""

    def __init__(
        self,
        store: AudioStore,
        patch_tags: dict[str, np.ndarray],
        length: int,
        augment: WaveformAugment,
        seed: int,
        partners: list[np.ndarray] | None = None,
    ):
        self.store, self.patch_tags, self.length, self.augment = store, patch_tags, length, augment
        self.partners = partners
        self.rng = np.random.default_rng(seed)

    def pair(self, clips: np.ndarray) -> np.ndarray:
        """The clips the second crops come from: ``clips`` themselves, or a random partner of each."""
        if self.partners is None:
            return clips
        return np.array([self.rng.choice(self.partners[c]) if len(self.partners[c]) else c for c in clips])

    def draw(self, n_clips: int):
        clips = self.rng.choice(len(self.store), n_clips, replace=False)
        both = np.concatenate([clips, self.pair(clips)])
        waves, tags = [], {name: [] for name in self.patch_tags}
        for half in (both[:n_clips], both[n_clips:]):
            for clip in half:
                room = int(self.store.lengths[clip]) - self.length
                start = int(self.rng.integers(room + 1)) if room > 0 else 0
                waves.append(self.augment.colour(self.store.crop(clip, start, self.length)))
                for name, patches in self.patch_tags.items():
                    tags[name].append(crop_targets(patches[clip], start, self.length))
        return (
            torch.from_numpy(np.stack(waves)),
            {k: torch.from_numpy(np.stack(v)) for k, v in tags.items()},
            torch.from_numpy(both),
        )


def student(start, *, multi_level: bool = False, from_scratch: bool = False) -> tuple[nn.Module, dict]:
    """The network to train and its config: ``start``'s (a :class:`sktag.weights.Checkpoint`), random with
    ``from_scratch``; ``multi_level``: a new multi-level head (``fc``, ``classifier``) on ``start``'s blocks."""
    config = {**start.config, "multi_level": True} if multi_level else start.config
    model = type(start.build())(**config)
    if not from_scratch:
        new_head = ("fc.", "classifier.") if multi_level and not start.config.get("multi_level") else ()
        weights = start.build().state_dict()
        model.load_state_dict({k: v for k, v in weights.items() if not k.startswith(new_head)}, strict=not new_head)
    return model, config


def frozen_front(model: nn.Module, through: str | None) -> list[nn.Module]:
    """Freeze the stem and the blocks up to layer ``through`` of ``model``; return them (none for ``None``)."""
    if through is None:
        return []
    modules = [model.stem, *model.blocks][: model.layer_names.index(through) + 1]
    for module in modules:
        module.requires_grad_(False)
    return modules


def train_mode(model: nn.Module, frozen: list[nn.Module]) -> None:
    """Put ``model`` in training mode, except its ``frozen`` modules (batch norm keeps its statistics)."""
    model.train()
    for module in frozen:
        module.eval()


def export(model: nn.Module, config: dict, meta: dict, path: Path) -> str:
    """Save the network alone (fp16) as a sktag checkpoint; return its sha256."""
    return save_checkpoint(path, model, config=config, meta=meta, half=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="run folder (outside the repository)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    add_heldout_options(parser)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=16, help="clips per step (two crops each)")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--embedding-weight", type=float, default=1.0)
    parser.add_argument("--contrast-weight", type=float, default=0.1)
    parser.add_argument("--augment", default='{"gain_db": 6, "eq_db": 6}')
    parser.add_argument(
        "--positives",
        choices=["clip", "track"],
        default="clip",
        help="the contrastive pairs: two crops of one clip, or crops of two clips of one track",
    )
    parser.add_argument(
        "--feature-layers",
        default=",".join(DEFAULT_LAYERS),
        help="layers whose global max feeds the embedding and contrast heads",
    )
    parser.add_argument(
        "--start",
        default="samplecnn-3x9",
        help="checkpoint to start from: a shipped name or a path (ignored with --from-scratch)",
    )
    parser.add_argument(
        "--start-heads",
        type=Path,
        help="a run's state.pt whose extra tag heads to start from (with --start from that run)",
    )
    parser.add_argument("--from-scratch", action="store_true", help="start from a random network, not samplecnn-3x9")
    parser.add_argument(
        "--multi-level",
        action="store_true",
        help="a new multi-level head (arXiv:1710.10451: global max of the last three blocks -> dense 1024 -> tags) "
        "on the start's blocks; with --freeze-through block9 only the head learns",
    )
    parser.add_argument(
        "--freeze-through",
        help="keep the stem and the blocks up to this layer (e.g. block4) as they start, in inference mode",
    )
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--save-every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(args.out / "train.log")],
    )
    torch.manual_seed(args.seed)
    heldout = set(resolve_games(args.heldout_games))
    clips = training_clips(args.corpus, heldout)
    scored = scored_games(parser, args.heldout_games, args.eval_games)
    validation = heldout_clips(args.corpus, scored)
    log.info(
        "training clips: %d (%d games); held out: %s; scored: %d clips of %s",
        len(clips),
        clips.game.nunique(),
        sorted(heldout),
        len(validation),
        sorted(scored),
    )

    shipped = get_checkpoint(str(Path(args.start).expanduser()) if "/" in args.start else args.start)
    model, config = student(shipped, multi_level=args.multi_level, from_scratch=args.from_scratch)
    frozen = frozen_front(model, args.freeze_through)
    train_mode(model, frozen)
    length, fc_width = model.input_length, model.fc[0].out_features
    feature_layers = args.feature_layers.split(",")
    feature_width = sum(model.feature_info[model.layer_names.index(n)]["num_chs"] for n in feature_layers)
    patch_tags = {t: teacher_arrays(clips, t, "patch_tags") for t in TAG_TEACHERS}
    embeddings = [teacher_arrays(clips, t, a) for t, a in EMBEDDING_TEACHERS]
    embeddings = [torch.from_numpy((e - e.mean(0)) / (e.std(0) + 1e-3)) for e in embeddings]
    heads = Heads(fc_width, feature_width, {t: 50 for t in TAG_TEACHERS[1:]}, [e.shape[1] for e in embeddings])
    if args.start_heads:
        previous = torch.load(args.start_heads.expanduser(), weights_only=False)["heads"]
        heads.tags.load_state_dict({k[len("tags.") :]: v for k, v in previous.items() if k.startswith("tags.")})
    parameters = [p for p in (*model.parameters(), *heads.parameters()) if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / 100) * 0.5 * (1 + np.cos(np.pi * min(s, args.steps) / args.steps))
    )
    store = AudioStore.build(
        list(clips.file), sample_rate=SAMPLE_RATE, cache_dir=str(args.out.parent / "stores"), verbose=1
    )
    batches = Batches(
        store,
        patch_tags,
        length,
        WaveformAugment.from_param(json.loads(args.augment)),
        args.seed,
        partners=track_partners(clips) if args.positives == "track" else None,
    )
    tag_loss = TeacherLogitMSE()
    meta = {
        "sample_rate": float(SAMPLE_RATE),
        "tags": list(shipped.meta["tags"]),
        "training_data": (
            f"shared game_music train+valid and benchmarks/corpus game_music2 minus "
            f"{sorted(heldout)} ({len(clips)} clips, {clips.game.nunique()} games)"
        ),
        "recipe": {k: str(v) for k, v in vars(args).items()},
    }

    state_path, history_path = args.out / "state.pt", args.out / "history.jsonl"
    step, best = 0, -1.0
    if state_path.exists():
        state = torch.load(state_path, weights_only=False)
        model.load_state_dict(state["model"])
        heads.load_state_dict(state["heads"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["torch_rng"])
        batches.rng.bit_generator.state = state["numpy_rng"]
        step, best = state["step"], state["best"]
        log.info("resumed at step %d (best composer accuracy %.3f)", step, best)

    def evaluate() -> None:
        nonlocal best
        path = args.out / f"step{step}.pt"
        sha = export(model.eval(), config, {**meta, "step": step}, path)
        started = time.perf_counter()
        scores = checkpoint_scores(str(path), validation, precision="bf16")
        record = {"step": step, **scores, "seconds": time.perf_counter() - started, "sha256": sha}
        with open(history_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        log.info("eval %s", record)
        if scores["composer_accuracy"] > best:
            best = scores["composer_accuracy"]
            shutil.copy(path, args.out / "best.pt")
        train_mode(model, frozen)

    def save() -> None:
        torch.save(
            {
                "model": model.state_dict(),
                "heads": heads.state_dict(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "numpy_rng": batches.rng.bit_generator.state,
                "step": step,
                "best": best,
            },
            str(state_path) + ".part",
        )
        os.replace(str(state_path) + ".part", state_path)

    if step == 0 and not history_path.exists() and not args.multi_level:  # a new head is not worth scoring
        evaluate()
    started, done_at_start = time.perf_counter(), step
    while step < args.steps:
        waves, tags, both = batches.draw(args.batch)
        with autocast(torch.device("cpu"), torch.bfloat16):
            logits, (*levels, fc) = model.forward_intermediates(
                waves, [*feature_layers, "fc"], intermediates_only=False
            )
            features = torch.cat([a.amax(dim=-1) for a in levels], dim=1)
            fc = model.dropout(fc.squeeze(-1))
            losses = {"MTT_musicnn": tag_loss(logits.float(), tags["MTT_musicnn"])}
            for name, head in heads.tags.items():
                losses[name] = tag_loss(head(fc).float(), tags[name])
            embedding = sum(
                nn.functional.mse_loss(head(features).float(), target[both])
                for head, target in zip(heads.embeddings, embeddings)
            ) / len(embeddings)
            projected = heads.projection(features)
            contrast = nt_xent(projected[: args.batch], projected[args.batch :])
        tag_total = sum(losses.values()) / len(losses)
        loss = tag_total + args.embedding_weight * embedding + args.contrast_weight * contrast
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(parameters, 5.0)
        optimizer.step()
        schedule.step()
        step += 1
        if step % 10 == 0:
            rate = (step - done_at_start) * 2 * args.batch / (time.perf_counter() - started)
            log.info(
                "step %d/%d loss %.3f tags %s embedding %.3f contrast %.3f lr %.2e %.1f crops/s eta %.0f min",
                step,
                args.steps,
                loss.item(),
                {k: round(v.item(), 3) for k, v in losses.items()},
                embedding.item(),
                contrast.item(),
                schedule.get_last_lr()[0],
                rate,
                (args.steps - step) * 2 * args.batch / rate / 60,
            )
        if step % args.eval_every == 0 or step == args.steps:
            evaluate()
        if step % args.save_every == 0 or step == args.steps:
            save()


if __name__ == "__main__":
    main()
