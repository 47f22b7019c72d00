"""Pre-train a GPT-style decoder on tokenized shards with torchrun: SageMaker (torch_distributed),
EKS (PyTorchJob) or plain p4d instances (scripts/launch.sh)."""
from __future__ import annotations

import argparse
import logging
import math
import os
import time
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

import tiktoken
import torch
import torch.distributed as dist
import yaml
from torch.nn.parallel import DistributedDataParallel as DDP

import data
from model import GPT, HAS_APEX, HAS_FLASH_ATTN, GPTConfig
from tracking import Tracker

os.environ.setdefault("NCCL_DEBUG", "WARN")
os.environ.setdefault("TORCH_NCCL_ASYNC_ERROR_HANDLING", "1")

# SageMaker training contract, with fallbacks for EKS / EC2 / a dev box
MODEL_DIR = os.environ.get("SM_MODEL_DIR", "outputs/model")
TRAIN_CHANNEL = os.environ.get("SM_CHANNEL_TRAIN")
VAL_CHANNEL = os.environ.get("SM_CHANNEL_VALIDATION")
CHECKPOINT_DIR = "/opt/ml/checkpoints" if os.path.isdir("/opt/ml/checkpoints") else "outputs/checkpoints"
ON_SAGEMAKER = "SM_TRAINING_ENV" in os.environ

log = logging.getLogger("train")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", default="configs/train.yaml")
    p.add_argument("--run-name")
    p.add_argument("--train-uri", help="s3:// prefix or local dir with *.bin shards")
    p.add_argument("--val-uri")
    for flag, typ in (("--max-steps", int), ("--micro-batch-size", int), ("--learning-rate", float)):
        p.add_argument(flag, type=typ)
    return p.parse_args()


def load_config(args: argparse.Namespace) -> dict:
    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    overrides = {
        ("data", "train_uri"): args.train_uri or TRAIN_CHANNEL,
        ("data", "val_uri"): args.val_uri or VAL_CHANNEL,
        ("train", "max_steps"): args.max_steps,
        ("train", "micro_batch_size"): args.micro_batch_size,
        ("optim", "lr"): args.learning_rate,
    }
    for (section, key), value in overrides.items():
        if value is not None:
            cfg[section][key] = value
    cfg["run_name"] = args.run_name or cfg["run_name"]
    return cfg


def setup_distributed(cfg: dict) -> tuple[int, int, int, str]:
    rt = cfg["runtime"]
    rank = int(os.environ.get("RANK", 0))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    world_size = int(os.environ.get("WORLD_SIZE", 1))
    if rt["device"] == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config asks for device: cuda but no GPU is visible")
    if world_size > 1 and rt["backend"] != "nccl":
        raise ValueError(f"unsupported backend {rt['backend']!r}; the GPU fleet runs NCCL")
    torch.cuda.set_device(local_rank)
    device = f"cuda:{local_rank}"
    if world_size > 1:
        dist.init_process_group(backend="nccl", timeout=timedelta(minutes=rt.get("dist_timeout_min", 30)))
        if rank == 0:
            log.info("NCCL %s, world size %d", ".".join(map(str, torch.cuda.nccl.version())), world_size)
    return rank, local_rank, world_size, device


def configure_cuda(cfg: dict, rank: int) -> None:
    rt = cfg["runtime"]
    torch.backends.cuda.matmul.allow_tf32 = rt.get("tf32", True)
    torch.backends.cudnn.allow_tf32 = rt.get("tf32", True)
    torch.backends.cudnn.benchmark = rt.get("cudnn_benchmark", True)
    seed = cfg.get("seed", 1337) + rank
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)


def lr_at(step: int, ocfg: dict, max_steps: int) -> float:
    """Linear warmup, then cosine decay to min_lr."""
    lr, min_lr, warmup = ocfg["lr"], ocfg["min_lr"], ocfg["warmup_steps"]
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, max_steps - warmup))
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)


def save_checkpoint(model: GPT, optimizer, scaler, step: int, cfg: dict) -> None:
    ckpt_dir = Path(CHECKPOINT_DIR)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    path = ckpt_dir / f"step_{step:08d}.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(),
                "step": step, "config": cfg, "cuda_rng_state": torch.cuda.get_rng_state()}, path)
    # SageMaker syncs /opt/ml/checkpoints to checkpoint_s3_uri by itself; elsewhere we upload
    s3_prefix = cfg["checkpoint"].get("s3_uri")
    if s3_prefix and not ON_SAGEMAKER:
        data.upload_file(path, f"{s3_prefix.rstrip('/')}/{path.name}")
    for old in sorted(ckpt_dir.glob("step_*.pt"))[: -cfg["checkpoint"].get("keep_last", 3)]:
        old.unlink()
    log.info("saved checkpoint %s", path)


def load_latest_checkpoint(cfg: dict, local_rank: int, device: str) -> dict | None:
    ckpt_dir = Path(CHECKPOINT_DIR)
    s3_prefix = cfg["checkpoint"].get("s3_uri")
    if local_rank == 0 and not list(ckpt_dir.glob("step_*.pt")) and s3_prefix:
        uri = data.latest_checkpoint_uri(s3_prefix)
        if uri:
            log.info("downloading %s", uri)
            data.download_file(uri, ckpt_dir / uri.rsplit("/", 1)[-1])
    if dist.is_initialized():
        dist.barrier()
    local = sorted(ckpt_dir.glob("step_*.pt"))
    return torch.load(local[-1], map_location=device) if local else None


@torch.no_grad()
def evaluate(model: GPT, loader, steps: int, device: str, amp_dtype, use_amp: bool) -> float:
    model.eval()
    losses = torch.zeros(steps, device=device)
    batches = iter(loader)
    for i in range(steps):
        x, y = (t.to(device, non_blocking=True) for t in next(batches))
        with torch.cuda.amp.autocast(dtype=amp_dtype, enabled=use_amp):
            _, loss = model(x, y)
        losses[i] = loss
    mean = losses.mean()
    if dist.is_initialized():
        dist.all_reduce(mean, op=dist.ReduceOp.AVG)
    model.train()
    return mean.item()


def main() -> None:
    args = parse_args()
    cfg = load_config(args)
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s [rank {os.environ.get('RANK', 0)}] %(levelname)s %(name)s: %(message)s",
    )
    rank, local_rank, world_size, device = setup_distributed(cfg)
    is_main = rank == 0
    configure_cuda(cfg, rank)
    tcfg, ocfg, rt = cfg["train"], cfg["optim"], cfg["runtime"]

    mcfg = GPTConfig(**cfg["model"])
    enc = tiktoken.get_encoding(cfg["data"].get("tokenizer", "gpt2"))
    if mcfg.vocab_size < enc.n_vocab:
        raise ValueError(f"vocab_size {mcfg.vocab_size} < tokenizer vocab {enc.n_vocab}")

    gpt = GPT(mcfg).cuda()
    if is_main and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(local_rank)
        log.info("%s, %.0f GiB, sm_%d%d | %.1fM params | flash-attn=%s apex=%s",
                 props.name, props.total_memory / 2**30, props.major, props.minor,
                 gpt.num_params() / 1e6, HAS_FLASH_ATTN, HAS_APEX)

    optimizer = gpt.configure_optimizer(ocfg["lr"], ocfg["weight_decay"], ocfg["betas"], fused=True)
    precision = rt["precision"]
    amp_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[precision]
    use_amp = precision != "fp32"
    scaler = torch.cuda.amp.GradScaler(enabled=precision == "fp16")

    start_step = 0
    ckpt = load_latest_checkpoint(cfg, local_rank, device)
    if ckpt is not None:
        gpt.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scaler.load_state_dict(ckpt["scaler"])
        start_step = ckpt["step"]
        if is_main:
            log.info("resumed from step %d", start_step)
        del ckpt

    model = torch.compile(gpt) if tcfg.get("compile", False) else gpt
    if world_size > 1:
        model = DDP(model, device_ids=[local_rank], output_device=local_rank, gradient_as_bucket_view=True)

    seq_len, micro_bs, accum = mcfg.block_size, tcfg["micro_batch_size"], tcfg["grad_accum_steps"]
    seed = cfg.get("seed", 1337)
    train_loader = data.build_dataloader(cfg["data"]["train_uri"], seq_len, micro_bs, rank, world_size,
                                         num_workers=cfg["data"].get("num_workers", 4), seed=seed + start_step)
    val_uri = cfg["data"].get("val_uri")
    val_loader = data.build_dataloader(val_uri, seq_len, micro_bs, rank, world_size, num_workers=2) if val_uri else None
    tracker = Tracker(cfg, run_name=cfg["run_name"], enabled=is_main)

    tokens_per_step = micro_bs * seq_len * accum * world_size
    flops_per_step = gpt.flops_per_token() * tokens_per_step
    max_steps = tcfg["max_steps"]
    train_iter = iter(train_loader)

    torch.cuda.reset_peak_memory_stats(device)
    torch.cuda.synchronize()
    wall_start = time.perf_counter()
    for step in range(start_step, max_steps):
        lr = lr_at(step, ocfg, max_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr

        step_start = time.perf_counter()
        loss_sum = torch.zeros((), device=device)
        for micro in range(accum):
            x, y = (t.to(device, non_blocking=True) for t in next(train_iter))
            # only all-reduce gradients on the last micro-batch
            sync = model.no_sync() if world_size > 1 and micro < accum - 1 else nullcontext()
            with sync:
                with torch.cuda.amp.autocast(dtype=amp_dtype, enabled=use_amp):
                    _, loss = model(x, y)
                    loss = loss / accum
                scaler.scale(loss).backward()
            loss_sum += loss.detach()
        scaler.unscale_(optimizer)
        grad_norm = torch.nn.utils.clip_grad_norm_(gpt.parameters(), tcfg["grad_clip"])
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)

        if step % tcfg["log_interval"] == 0 or step == max_steps - 1:
            torch.cuda.synchronize()
            step_ms = (time.perf_counter() - step_start) * 1e3
            if world_size > 1:
                dist.all_reduce(loss_sum, op=dist.ReduceOp.AVG)
            metrics = {
                "train/loss": loss_sum.item(),
                "train/lr": lr,
                "train/grad_norm": grad_norm.item(),
                "perf/step_time_ms": step_ms,
                "perf/tokens_per_sec": tokens_per_step / (step_ms / 1e3),
                "perf/tflops_per_gpu": flops_per_step / (step_ms / 1e3) / world_size / 1e12,
                "mem/max_allocated_gib": torch.cuda.max_memory_allocated(device) / 2**30,
                "mem/max_reserved_gib": torch.cuda.max_memory_reserved(device) / 2**30,
            }
            if scaler.is_enabled():
                metrics["train/loss_scale"] = scaler.get_scale()
            if is_main:
                log.info("step %d | loss %.4f | lr %.2e | %.0f ms | %.0f tok/s | %.1f GiB", step,
                         metrics["train/loss"], lr, step_ms, metrics["perf/tokens_per_sec"],
                         metrics["mem/max_allocated_gib"])
            tracker.log(metrics, step)

        if val_loader is not None and (step + 1) % tcfg["eval_interval"] == 0:
            val_loss = evaluate(gpt, val_loader, tcfg["eval_steps"], device, amp_dtype, use_amp)
            tracker.log({"val/loss": val_loss, "val/ppl": math.exp(min(val_loss, 20.0))}, step)

        if is_main and (step + 1) % cfg["checkpoint"]["interval"] == 0:
            save_checkpoint(gpt, optimizer, scaler, step + 1, cfg)

    torch.cuda.synchronize()
    elapsed = time.perf_counter() - wall_start
    if is_main:
        save_checkpoint(gpt, optimizer, scaler, max_steps, cfg)
        Path(MODEL_DIR).mkdir(parents=True, exist_ok=True)
        torch.save({"model": gpt.state_dict(), "config": cfg["model"]}, Path(MODEL_DIR) / "model.pt")
        tracker.summary(train_hours=elapsed / 3600,
                        peak_mem_gib=torch.cuda.max_memory_allocated(device) / 2**30)
        log.info("done: %d steps in %.1f min", max_steps - start_step, elapsed / 60)
    tracker.finish()
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
