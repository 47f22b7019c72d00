import torch

from homeport.bench.model import GPT, SIZES, batch


def test_flops_per_token_is_6n_plus_attention_by_hand():
    size = SIZES["tiny"]  # 2 layers, d 64, vocab 512
    model = GPT(size, seq_len=128)
    d, layers, vocab = 64, 2, 512
    per_block = 3 * d * d + d * d + 4 * d * d * 2 + 2 * d  # qkv, proj, mlp in/out, two LayerNorm weights
    n = vocab * d + layers * per_block + d  # tied embedding (the head's matmul), blocks, final norm
    assert model.matmul_params() == n
    assert model.flops_per_token() == 6 * n + 12 * layers * d * 128


def test_position_embeddings_are_not_matmul_parameters():
    model = GPT(SIZES["tiny"], seq_len=32)
    total = sum(p.numel() for p in model.parameters())
    assert total - model.matmul_params() == 32 * 64


def test_the_1_3b_preset_is_gpt3_xl_shaped():
    with torch.device("meta"):  # shapes only: no 5 GB of weights on the test machine
        model = GPT(SIZES["1.3b"], seq_len=2048)
    layers, d, vocab, seq = 24, 2048, 50304, 2048
    blocks = layers * (12 * d * d + 2 * d)  # attention 4d^2 + MLP 8d^2, two LayerNorm weights
    assert sum(p.numel() for p in model.parameters()) == blocks + vocab * d + seq * d + d  # + tied wte, wpe, ln_f
    assert round(model.matmul_params() / 1e9, 2) == 1.31  # what the MFU of benchmarks/bench/README.md counts


def test_batches_are_the_same_for_a_seed_and_step_and_differ_otherwise():
    size = SIZES["tiny"]
    x1, y1 = batch(size, 4, 32, seed=1, step=3)
    x2, y2 = batch(size, 4, 32, seed=1, step=3)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, batch(size, 4, 32, seed=1, step=4)[0])
    assert not torch.equal(x1, batch(size, 4, 32, seed=2, step=3)[0])
    assert torch.equal(x1[:, 1:], y1[:, :-1])  # targets are the inputs shifted by one


def test_odd_positions_follow_the_rule_nine_times_in_ten():
    size = SIZES["tiny"]
    x, _ = batch(size, 64, 256, seed=0, step=0)
    follows = (x[:, 1::2] == (x[:, 0::2] * 7 + 3) % size.vocab).float().mean().item()
    assert 0.85 < follows < 0.95
