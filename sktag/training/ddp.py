"""Train a SampleCNN on several processes or GPUs with torch DistributedDataParallel (``torchrun``).

:class:`~sktag.SampleCNNTagger` trains on one device. For several GPUs
(or several machines), launch this module with ``torchrun``: every process
trains a replica on its share of the random crops, gradients are averaged by
DDP, and process 0 writes a sktag checkpoint that
``SampleCNNFeatures(weights=...)`` and ``SampleCNNTagger(weights=...)`` load::

    torchrun --nproc_per_node 4 -m sktag.training.ddp clips.csv --label-columns rock,jazz,... \\
        --split-column split --out model.pt --epochs 20

    # two machines with 4 GPUs each, on each machine:
    torchrun --nnodes 2 --nproc_per_node 4 --rdzv_backend c10d --rdzv_endpoint head:29500 \\
        -m sktag.training.ddp clips.csv --tag-column tags --tag-separator "|" --out model.pt

The recipe is :class:`SampleCNNTagger`'s ``recipe="adam"``: AdamW with cosine
decay, random crops from the int16 audio store (decoded once, by process 0,
before the others open it), binary cross-entropy on multi-hot or soft targets,
bf16 autocast where the device supports it. Each process uses the GPU of its
``LOCAL_RANK`` (NCCL), or the CPU (gloo) when there is none. The batch size is
per process.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from .. import weights as sktag_weights
from .._deprecation import renamed_message, warn_renamed
from .._devices import autocast, resolve_precision
from ..datasets import load_csv
from ..nn import SampleCNN
from .data import RandomCrops
from .store import AudioStore

__all__ = ["train_ddp", "main"]

logger = logging.getLogger("sktag")


def train_ddp(
    paths: list[str],
    targets: np.ndarray,
    tags: list[str],
    out: str | os.PathLike,
    *,
    architecture: dict | None = None,
    analysis_rate: float = 16000,
    epochs: int = 20,
    batch_size: int = 23,
    lr: float = 1e-3,
    crops_per_clip: int = 1,
    precision: str = "auto",
    seed: int = 0,
    sample_rate: float | None = None,
) -> str | None:
    """Train a SampleCNN with DistributedDataParallel in the current ``torchrun`` process group.

    Parameters
    ----------
    paths : list of str
        Training clips (the same list in every process).
    targets : np.ndarray [shape=(n_clips, n_tags)]
        Multi-hot or soft targets in [0, 1].
    tags : list of str
        Tag names (recorded in the checkpoint).
    out : str or os.PathLike
        Checkpoint path, written by process 0 (fp16).
    architecture : dict, optional
        Keyword arguments of :class:`sktag.nn.SampleCNN` (``n_classes`` is set
        from ``targets``).
    analysis_rate : float, default=16000
        The network's rate; every clip is resampled to it.
    epochs : int, default=20
    batch_size : int, default=23
        Crops per process and step.
    lr : float, default=1e-3
        AdamW learning rate, decayed by a cosine over ``epochs``.
    crops_per_clip : int, default=1
    precision : {"fp32", "bf16", "auto"}, default="auto"
    seed : int, default=0
        The same in every process: identical initial weights; each epoch's crops
        differ across processes.
    sample_rate : float or None, default=None
        The name of ``analysis_rate`` before sktag 0.1 (a FutureWarning; removed
        in 0.3).

    Returns
    -------
    sha256 : str or None
        The checkpoint's hash in process 0, ``None`` in the others.
    """
    if sample_rate is not None:
        warn_renamed("train_ddp(sample_rate=...)", "analysis_rate=... (the network's rate)")
        analysis_rate = sample_rate
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    if rank == 0:  # decode once; the others reopen the same store
        store = AudioStore.build(paths, sample_rate=analysis_rate)
    dist.barrier()
    if rank != 0:
        store = AudioStore.build(paths, sample_rate=analysis_rate)

    torch.manual_seed(seed)
    config = {**(architecture or {}), "n_classes": int(targets.shape[1])}
    module = SampleCNN(**config).to(device)
    model = DistributedDataParallel(module, device_ids=[local_rank] if device.type == "cuda" else None)
    crops = RandomCrops(store, targets, module.input_length, per_clip=crops_per_clip)
    sampler = DistributedSampler(crops, num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=True)
    loader = DataLoader(crops, batch_size=batch_size, sampler=sampler, drop_last=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    criterion = torch.nn.BCEWithLogitsLoss()
    autocast_dtype = resolve_precision(precision, device)
    history = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        torch.manual_seed(seed + 1000 * epoch + rank)  # this process's crop offsets for this epoch
        model.train()
        started, total, steps = time.perf_counter(), 0.0, 0
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with autocast(device, autocast_dtype):
                logits = model(x)
            loss = criterion(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total, steps = total + float(loss.detach()), steps + 1
        schedule.step()
        mean = torch.tensor([total / max(steps, 1)], device=device)
        dist.all_reduce(mean)
        history.append({"epoch": epoch + 1, "train_loss": float(mean) / world, "dur": time.perf_counter() - started})
        if rank == 0:
            logger.info(
                "sktag ddp: epoch %d/%d, train loss %.4f (%d processes, %.0f s)",
                epoch + 1,
                epochs,
                history[-1]["train_loss"],
                world,
                history[-1]["dur"],
            )
    sha256 = None
    if rank == 0:
        meta = {
            "sample_rate": float(analysis_rate),
            "tags": [str(t) for t in tags],
            "history": history,
            "recipe": {
                "trainer": "sktag.training.ddp",
                "processes": world,
                "epochs": epochs,
                "batch_size_per_process": batch_size,
                "lr": lr,
                "crops_per_clip": crops_per_clip,
                "precision": precision,
                "seed": seed,
            },
        }
        sha256 = sktag_weights.save_checkpoint(out, module.eval(), config=config, meta=meta, half=True)
    dist.barrier()  # no process tears the group down while process 0 still writes
    return sha256


def main(argv: list[str] | None = None) -> None:
    """``torchrun ... -m sktag.training.ddp CSV --out PATH [options]``: train on a CSV's ``train`` split."""
    parser = argparse.ArgumentParser(prog="python -m sktag.training.ddp", description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    labels = parser.add_mutually_exclusive_group(required=True)
    labels.add_argument("--label-columns", help="comma-separated 0/1 or soft-target columns")
    labels.add_argument("--tag-column", help="a column of tag names")
    parser.add_argument("--tag-separator", default=None)
    parser.add_argument("--split-column", default=None, help="train on its 'train' rows (default: every row)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--architecture", default="{}", help="JSON keyword arguments of sktag.nn.SampleCNN")
    parser.add_argument("--analysis-rate", type=float, help="the network's rate (default 16000)")
    parser.add_argument(
        "--sample-rate",
        type=float,
        dest="old_sample_rate",
        help="deprecated name of --analysis-rate (removed in sktag 0.3)",
    )
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=23)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--crops-per-clip", type=int, default=1)
    parser.add_argument("--precision", choices=["fp32", "bf16", "auto"], default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.old_sample_rate is not None:
        if args.analysis_rate is not None:
            parser.error("--sample-rate is the old name of --analysis-rate: give --analysis-rate only")
        print(f"{parser.prog}: warning: {renamed_message('--sample-rate', '--analysis-rate')}", file=sys.stderr)
        args.analysis_rate = args.old_sample_rate
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data = load_csv(
        args.csv,
        label_columns=args.label_columns.split(",") if args.label_columns else None,
        tag_column=args.tag_column,
        tag_separator=args.tag_separator,
        split_column=args.split_column,
    )
    keep = data.split == "train" if args.split_column else np.ones(len(data.paths), dtype=bool)
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        sha256 = train_ddp(
            [str(p) for p in data.paths[keep]],
            data.target[keep],
            list(data.target_names),
            args.out,
            architecture=json.loads(args.architecture),
            analysis_rate=args.analysis_rate or 16000,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            crops_per_clip=args.crops_per_clip,
            precision=args.precision,
            seed=args.seed,
        )
        if sha256:
            print(f"wrote {args.out} (sha256 {sha256})", flush=True)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
