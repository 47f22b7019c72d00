"""The reference workload's model: a GPT-2-style decoder in plain PyTorch (pre-norm blocks, SDPA with
a causal mask, GELU MLP, tied embedding and head), sized from tiny to about 1.3B parameters.

FLOPs per token follow PaLM appendix B as torchtitan and nanoGPT use them: 6N + 12*L*d*T, where N
counts every weight a token passes through (the tied embedding counts once, as the head's matmul;
position embeddings are a lookup and do not count) and 12*L*d*T is attention's QK^T and AV for a
sequence of T. Causal masking is ignored and recomputation is not counted (model FLOPs, not hardware
FLOPs), so MFU here is comparable with those projects' figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

VOCAB = 50304  # GPT-2's 50257 padded to a multiple of 64: the head's matmul runs on tensor-core shapes


@dataclass(frozen=True)
class Size:
    name: str
    layers: int
    d_model: int
    heads: int
    vocab: int = VOCAB


SIZES = {s.name: s for s in (
    Size("tiny", 2, 64, 4, vocab=512),  # seconds on a CPU: the size the tests run
    Size("124m", 12, 768, 12),  # GPT-2 small
    Size("350m", 24, 1024, 16),  # GPT-2 medium
    Size("760m", 24, 1536, 16),  # GPT-3 Large
    Size("1.3b", 24, 2048, 16),  # GPT-3 XL shape, head dim 128 (what flash kernels run fastest)
)}


class Block(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d, bias=False), nn.LayerNorm(d, bias=False)
        self.qkv, self.proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.fc, self.out = nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, size: Size, seq_len: int):
        super().__init__()
        self.size, self.seq_len = size, seq_len
        self.wte, self.wpe = nn.Embedding(size.vocab, size.d_model), nn.Embedding(seq_len, size.d_model)
        self.blocks = nn.ModuleList(Block(size.d_model, size.heads) for _ in range(size.layers))
        self.ln_f = nn.LayerNorm(size.d_model, bias=False)
        self.head = nn.Linear(size.d_model, size.vocab, bias=False)
        self.head.weight = self.wte.weight
        self.apply(self._init)
        for block in self.blocks:  # GPT-2: residual projections scaled by depth
            for proj in (block.proj, block.out):
                nn.init.normal_(proj.weight, std=0.02 / math.sqrt(2 * size.layers))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.reshape(-1))

    def matmul_params(self) -> int:
        """N of 6N: all parameters but the position embeddings (a lookup, no matmul)."""
        return sum(p.numel() for p in self.parameters()) - self.wpe.weight.numel()

    def flops_per_token(self) -> float:
        s = self.size
        return 6 * self.matmul_params() + 12 * s.layers * s.d_model * self.seq_len


def batch(size: Size, batch_size: int, seq_len: int, seed: int, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Synthetic tokens that can be learned, the same on every device for a (seed, step): every odd
    position follows from the one before (token*7+3 mod V) nine times in ten, so the loss falls and a
    numeric difference between devices shows in the curve, which random tokens would hide."""
    gen = torch.Generator().manual_seed(seed * 1_000_003 + step)
    x = torch.randint(0, size.vocab, (batch_size, seq_len + 1), generator=gen)
    follow = (x[:, :-1:2] * 7 + 3) % size.vocab
    keep = torch.rand(follow.shape, generator=gen) < 0.9
    x[:, 1::2] = torch.where(keep, follow, x[:, 1::2])
    return x[:, :-1], x[:, 1:]
