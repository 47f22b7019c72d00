"""Lists and streams pre-tokenized shards (flat uint16 GPT-2 token ids, `shard_000123.bin`)
from S3 or a local dir; each rank/worker reads a disjoint subset of shards."""
from __future__ import annotations

import logging
import os
import random
from pathlib import Path
from urllib.parse import urlparse

import boto3
import numpy as np
import torch
from botocore.config import Config
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

log = logging.getLogger(__name__)

_S3_CLIENT = None


def s3_client():
    """One client per process; botocore clients are not fork-safe, so workers build their own."""
    global _S3_CLIENT
    if _S3_CLIENT is None:
        _S3_CLIENT = boto3.client(
            "s3",
            region_name="eu-west-1",
            config=Config(retries={"max_attempts": 10, "mode": "adaptive"}, max_pool_connections=32),
        )
    return _S3_CLIENT


def parse_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"expected s3://bucket/key, got {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def list_shards(uri: str, suffix: str = ".bin") -> list[str]:
    """Return the sorted shard URIs (or local paths) under `uri`."""
    if not uri.startswith("s3://"):
        return sorted(str(p) for p in Path(uri).glob(f"**/*{suffix}"))

    bucket, prefix = parse_s3_uri(uri)
    paginator = s3_client().get_paginator("list_objects_v2")
    shards = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(suffix) and obj["Size"] > 0:
                shards.append(f"s3://{bucket}/{obj['Key']}")
    return sorted(shards)


def load_shard(uri: str) -> np.ndarray:
    if uri.startswith("s3://"):
        bucket, key = parse_s3_uri(uri)
        body = s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
        return np.frombuffer(body, dtype=np.uint16)
    return np.memmap(uri, dtype=np.uint16, mode="r")


def upload_file(local_path: str | os.PathLike, uri: str) -> None:
    bucket, key = parse_s3_uri(uri)
    s3_client().upload_file(str(local_path), bucket, key)


def download_file(uri: str, local_path: str | os.PathLike) -> None:
    bucket, key = parse_s3_uri(uri)
    Path(local_path).parent.mkdir(parents=True, exist_ok=True)
    s3_client().download_file(bucket, key, str(local_path))


def latest_checkpoint_uri(prefix: str) -> str | None:
    """Newest `step_*.pt` under an S3 checkpoint prefix, by key order (steps are zero-padded)."""
    ckpts = list_shards(prefix, suffix=".pt")
    return ckpts[-1] if ckpts else None


class TokenShardDataset(IterableDataset):
    """Infinite stream of (input, target) windows; shards are split across ranks and workers."""

    def __init__(self, shards: list[str], seq_len: int, rank: int, world_size: int, seed: int = 0,
                 windows_per_shard: int | None = None):
        super().__init__()
        self.shards = shards
        self.seq_len = seq_len
        self.rank = rank
        self.world_size = world_size
        self.seed = seed
        self.windows_per_shard = windows_per_shard

    def __iter__(self):
        global _S3_CLIENT
        _S3_CLIENT = None  # fresh client in each DataLoader worker
        info = get_worker_info()
        num_workers = info.num_workers if info else 1
        worker_id = info.id if info else 0
        stream_id = self.rank * num_workers + worker_id
        n_streams = self.world_size * num_workers
        mine = self.shards[stream_id::n_streams] or [self.shards[stream_id % len(self.shards)]]

        epoch = 0
        while True:
            rng = random.Random(self.seed + 1000 * epoch + stream_id)
            order = mine[:]
            rng.shuffle(order)
            for shard in order:
                tokens = load_shard(shard)
                n_windows = (len(tokens) - 1) // self.seq_len
                if self.windows_per_shard:
                    n_windows = min(n_windows, self.windows_per_shard)
                starts = rng.sample(range(len(tokens) - self.seq_len - 1), n_windows)
                for s in starts:
                    chunk = torch.from_numpy(tokens[s : s + self.seq_len + 1].astype(np.int64))
                    yield chunk[:-1], chunk[1:]
            epoch += 1


def build_dataloader(uri: str, seq_len: int, batch_size: int, rank: int, world_size: int,
                     num_workers: int = 4, seed: int = 0) -> DataLoader:
    shards = list_shards(uri)
    if not shards:
        raise FileNotFoundError(f"no *.bin token shards under {uri}")
    if rank == 0:
        log.info("found %d shards under %s", len(shards), uri)
    dataset = TokenShardDataset(shards, seq_len, rank, world_size, seed=seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        pin_memory=True,
        pin_memory_device="cuda",
        persistent_workers=num_workers > 0,
        prefetch_factor=4 if num_workers > 0 else None,
        drop_last=True,
    )
