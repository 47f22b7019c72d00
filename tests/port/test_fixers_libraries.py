"""apex, flash-attn and xformers rewrites (port/fixers/libraries.py), checked by running the ported code
with real torch on the CPU against reference implementations of what the original libraries compute."""

from __future__ import annotations

import math

import pytest
import torch

from homeport.assess.analyze import analyze_snippet
from homeport.port.changes import Status
from homeport.port.codemod import Options, port_python


def port(code: str, **options) -> tuple[str, list]:
    findings = analyze_snippet(code, "t.py").findings
    return port_python("t.py", code, findings, Options(**{"min_torch": (2, 13), "unsafe": True, **options}))


def run(code: str, name: str):
    """Port `code`, check no CUDA-only import is left, and return the function `name` it defines."""
    out, _ = port(code)
    assert "flash_attn" not in out and "xformers" not in out and "apex" not in out, out
    namespace: dict = {}
    exec(compile(out, "ported.py", "exec"), namespace)
    return namespace[name]


# -- references: what the libraries compute, written from their documentation -----------------------
def attention_bshd(q, k, v, scale=None, causal=False, bottom_right=True):
    """Attention on (batch, seq, heads, dim) tensors, one head at a time. K/V may have fewer heads (GQA):
    query head h reads K/V head h // (Hq / Hk). The causal mask lets query i see key j when
    j <= i + (Sk - Sq) (flash-attn: bottom-right aligned) or j <= i (xformers' LowerTriangularMask)."""
    batch, sq, heads, dim = q.shape
    sk, kv_heads = k.shape[1], k.shape[2]
    scale = 1 / math.sqrt(dim) if scale is None else scale
    out = torch.empty(batch, sq, heads, v.shape[-1], dtype=q.dtype)
    shift = sk - sq if bottom_right else 0
    for b in range(batch):
        for h in range(heads):
            kh = h // (heads // kv_heads)
            scores = q[b, :, h] @ k[b, :, kh].T * scale
            if causal:
                allowed = torch.arange(sk)[None, :] <= torch.arange(sq)[:, None] + shift
                scores = scores.masked_fill(~allowed, float("-inf"))
            out[b, :, h] = torch.softmax(scores, dim=-1) @ v[b, :, kh]
    return out


def tensors(sq=6, sk=6, heads=4, kv_heads=4, dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(2, sq, heads, dim, generator=g), torch.randn(2, sk, kv_heads, dim, generator=g),
            torch.randn(2, sk, kv_heads, dim, generator=g))


FLASH = "from flash_attn import flash_attn_func\n\n\ndef attention(q, k, v):\n    return flash_attn_func({})\n"
XFORMERS = ("from xformers.ops import LowerTriangularMask, memory_efficient_attention\n\n\n"
            "def attention(q, k, v):\n    return memory_efficient_attention({})\n")


# -- flash-attn ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, scale, causal", [
    ("q, k, v", None, False),
    ("q, k, v, causal=True", None, True),
    ("q, k, v, dropout_p=0.0, softmax_scale=0.25, causal=False", 0.25, False),
    ("q, k, v, 0.0, 0.5, True", 0.5, True),  # the positional form
    ("q, k, v, causal=True, window_size=(-1, -1), alibi_slopes=None", None, True),  # defaults are dropped
])
def test_flash_attn_func_rewrite_computes_flash_attention(args, scale, causal):
    attention = run(FLASH.format(args), "attention")
    q, k, v = tensors()
    expected = attention_bshd(q, k, v, scale=scale, causal=causal)
    assert torch.allclose(attention(q, k, v), expected, atol=1e-5)


def test_flash_attn_func_rewrite_keeps_the_layout_with_unequal_lengths():
    attention = run(FLASH.format("q, k, v"), "attention")
    q, k, v = tensors(sq=3, sk=7)
    out = attention(q, k, v)
    assert out.shape == (2, 3, 4, 8)
    assert torch.allclose(out, attention_bshd(q, k, v), atol=1e-5)


def test_causal_masks_differ_for_a_shorter_query_as_the_rule_page_says():
    """flash-attn aligns the causal mask to the bottom-right, SDPA's is_causal to the top-left: the
    rewrite matches the top-left reference, not flash-attn, when the query is shorter than the keys."""
    attention = run(FLASH.format("q, k, v, causal=True"), "attention")
    q, k, v = tensors(sq=3, sk=7)
    out = attention(q, k, v)
    assert torch.allclose(out, attention_bshd(q, k, v, causal=True, bottom_right=False), atol=1e-5)
    assert not torch.allclose(out, attention_bshd(q, k, v, causal=True, bottom_right=True), atol=1e-3)


def test_flash_attn_dropout_is_applied_as_given():
    """flash_attn_func applies dropout_p whatever the module's mode; so does SDPA."""
    attention = run(FLASH.format("q, k, v, dropout_p=0.5"), "attention")
    q, k, v = tensors()
    torch.manual_seed(1)
    first = attention(q, k, v)
    torch.manual_seed(2)
    second = attention(q, k, v)
    assert not torch.allclose(first, second)
    assert not torch.allclose(first, attention_bshd(q, k, v))


def test_flash_attn_rewrite_text_and_import():
    out, changes = port(FLASH.format("q, k, v, softmax_scale=s, causal=True"))
    assert out == ("import torch\n\n\ndef attention(q, k, v):\n"
                   "    return torch.nn.functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), "
                   "v.transpose(1, 2), scale=s, is_causal=True).transpose(1, 2)\n")
    assert {c.status for c in changes} == {Status.APPLIED}
    assert ["ACC102", "ACC102"] == [c.rule for c in changes]  # the call and the import


def test_an_expression_argument_is_parenthesised_before_transpose():
    attention = run(FLASH.format("q * 2, k, v"), "attention")
    q, k, v = tensors()
    assert torch.allclose(attention(q, k, v), attention_bshd(q * 2, k, v), atol=1e-5)


@pytest.mark.parametrize("code, says", [
    (FLASH.format("q, k, v, window_size=(256, 0)"), "window_size"),
    (FLASH.format("q, k, v, alibi_slopes=slopes"), "alibi_slopes"),
    (FLASH.format("q, k, v, return_attn_probs=True"), "return_attn_probs"),
    (FLASH.format("q, k, v, deterministic=True"), "deterministic"),
    (FLASH.format("q, k, v, 0.0, None, True, (8, 8)"), "positional argument after `causal`"),
    (FLASH.format("*qkv"), "`*`"),
    ("from flash_attn import flash_attn_qkvpacked_func\ny = flash_attn_qkvpacked_func(qkv, causal=True)\n",
     "unbind(2)"),
    ("from flash_attn import flash_attn_varlen_func\ny = flash_attn_varlen_func(q, k, v, cu, cu, n, n)\n",
     "cu_seqlens"),
    ("from flash_attn import flash_attn_varlen_qkvpacked_func\ny = flash_attn_varlen_qkvpacked_func(qkv, cu, n)\n",
     "cu_seqlens"),
    ("from flash_attn import flash_attn_with_kvcache\ny = flash_attn_with_kvcache(q, kc, vc, k, v)\n", "KV-cache"),
    ("from flash_attn_interface import flash_attn_func\ny = flash_attn_func(q, k, v)\n", "FlashAttention-3"),
])
def test_flash_attn_shapes_without_a_rewrite_are_unsupported_and_left_unchanged(code, says):
    out, changes = port(code)
    assert out == code
    call = [c for c in changes if c.original.startswith("flash_attn")]
    assert [c.status for c in call] == [Status.UNSUPPORTED]
    assert says in call[0].reason


def test_flash_attn_rewrite_is_unsafe():
    code = FLASH.format("q, k, v")
    out, changes = port(code, unsafe=False)
    assert out == code
    assert sorted(c.original.split(" ")[0] for c in changes) == ["flash_attn_func(q,", "from"]  # call and import
    assert {c.status for c in changes} == {Status.LEFT}
    assert all("unsafe" in c.reason for c in changes)


# -- xformers -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, scale, causal, lengths", [
    ("q, k, v", None, False, (6, 6)),
    ("q, k, v, attn_bias=None, p=0.0, scale=0.3", 0.3, False, (6, 6)),
    ("q, k, v, LowerTriangularMask()", None, True, (6, 6)),
    ("q, k, v, attn_bias=LowerTriangularMask()", None, True, (4, 9)),  # both top-left aligned
])
def test_memory_efficient_attention_rewrite_computes_xformers_attention(args, scale, causal, lengths):
    attention = run(XFORMERS.format(args), "attention")
    q, k, v = tensors(*lengths)
    expected = attention_bshd(q, k, v, scale=scale, causal=causal, bottom_right=False)
    assert torch.allclose(attention(q, k, v), expected, atol=1e-5)


def test_memory_efficient_attention_through_a_module_alias():
    code = "import xformers.ops as xops\ny = xops.memory_efficient_attention(q, k, v, xops.LowerTriangularMask())\n"
    out, changes = port(code)
    assert "y = torch.nn.functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), " \
           "v.transpose(1, 2), is_causal=True).transpose(1, 2)\n" in out
    assert [c.status for c in changes if c.rule == "ACC103"] == [Status.APPLIED]


@pytest.mark.parametrize("args, says", [
    ("q, k, v, attn_bias=bias", "attn_bias=bias"),
    ("q, k, v, LowerTriangularMask().make_local_attention(4)", "make_local_attention"),
    ("q, k, v, op=flash_op", "op="),
])
def test_other_xformers_biases_and_ops_are_unsupported(args, says):
    code = XFORMERS.format(args)
    if "LowerTriangularMask" not in args:
        code = code.replace("LowerTriangularMask, ", "")
    out, changes = port(code)
    assert out == code
    call = [c for c in changes if c.original.startswith("memory_efficient_attention")]
    assert [c.status for c in call] == [Status.UNSUPPORTED] and says in call[0].reason


# -- apex -------------------------------------------------------------------------------------------
def apex_adam_reference(param, grads, lr, betas, eps, weight_decay, decoupled):
    """apex FusedAdam's update (csrc/multi_tensor_adam.cu): mode 1 (adam_w_mode) decays the weights in
    the update, mode 0 adds the L2 term to the gradient; bias correction on."""
    p, m, v = param.clone(), torch.zeros_like(param), torch.zeros_like(param)
    for step, g in enumerate(grads, start=1):
        if not decoupled:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat, v_hat = m / (1 - betas[0] ** step), v / (1 - betas[1] ** step)
        update = m_hat / (v_hat.sqrt() + eps)
        if decoupled:
            update = update + weight_decay * p
        p = p - lr * update
    return p


def steps(optimizer_factory, param, grads):
    p = torch.nn.Parameter(param.clone())
    optimizer = optimizer_factory([p])
    for g in grads:
        optimizer.zero_grad()
        p.grad = g.clone()
        optimizer.step()
    return p.detach()


@pytest.mark.parametrize("arguments, decoupled, lr, weight_decay", [
    ("lr=1e-2, weight_decay=0.1", True, 1e-2, 0.1),
    ("lr=1e-2", True, 1e-2, 0.0),  # apex's weight_decay default is 0, AdamW's is 0.01
    ("1e-2, adam_w_mode=False, weight_decay=0.1", False, 1e-2, 0.1),
    ("lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05, adam_w_mode=True", True, 3e-3, 0.05),
])
def test_fused_adam_rewrite_takes_apex_steps(arguments, decoupled, lr, weight_decay):
    code = f"from apex.optimizers import FusedAdam\n\n\ndef make(params):\n    return FusedAdam(params, {arguments})\n"
    make = run(code, "make")
    g = torch.Generator().manual_seed(0)
    param = torch.randn(32, generator=g)
    grads = [torch.randn(32, generator=g) for _ in range(5)]
    betas, eps = ((0.8, 0.99), 1e-6) if "betas" in arguments else ((0.9, 0.999), 1e-8)
    expected = apex_adam_reference(param, grads, lr, betas, eps, weight_decay, decoupled)
    got = steps(make, param, grads)
    assert torch.allclose(got, expected, atol=1e-6)
    assert type(make([torch.nn.Parameter(param)])).__name__ == ("AdamW" if decoupled else "Adam")


def test_fused_adam_uses_the_fused_kernel():
    make = run("from apex.optimizers import FusedAdam\n\n\ndef make(params):\n    return FusedAdam(params)\n", "make")
    assert make([torch.nn.Parameter(torch.zeros(2))]).defaults["fused"] is True


def apex_rms_norm_reference(x, weight, eps):
    """apex's RMSNorm off CUDA (normalization/fused_layer_norm.py, manual_rms_norm)."""
    variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def test_fused_rms_norm_rewrite_keeps_apex_eps():
    make = run("from apex.normalization import FusedRMSNorm\n\n\ndef make():\n    return FusedRMSNorm(16)\n", "make")
    norm = make()
    with torch.no_grad():
        norm.weight.copy_(torch.linspace(0.5, 1.5, 16))
    x = torch.randn(4, 16, generator=torch.Generator().manual_seed(0)) * 1e-3  # small: eps matters
    expected = apex_rms_norm_reference(x, norm.weight, 1e-5)
    assert torch.allclose(norm(x), expected, atol=1e-6)
    # torch's own default (the dtype's epsilon) would not match apex here
    assert not torch.allclose(torch.nn.RMSNorm(16)(x), expected / norm.weight, atol=1e-3)


def test_fused_layer_norm_rewrite_keeps_the_parameters_and_their_names():
    make = run("from apex.normalization import FusedLayerNorm\n\n\ndef make():\n"
               "    return FusedLayerNorm([4, 8], eps=1e-6, elementwise_affine=True, memory_efficient=True)\n", "make")
    norm = make()
    assert isinstance(norm, torch.nn.LayerNorm) and norm.eps == 1e-6
    assert sorted(norm.state_dict()) == ["bias", "weight"]
    x = torch.randn(3, 4, 8)
    assert torch.allclose(norm(x), torch.nn.functional.layer_norm(x, [4, 8], eps=1e-6), atol=1e-6)


def test_apex_imports_go_only_when_unused():
    code = ("from apex.optimizers import FusedAdam, FusedLAMB\n\n"
            "a = FusedAdam(params, lr=1e-3)\nb = FusedLAMB(params)\n")
    out, changes = port(code)
    assert out.startswith("import torch\nfrom apex.optimizers import FusedLAMB\n")
    assert "a = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.0, fused=True)\n" in out
    assert "b = FusedLAMB(params)\n" in out
    lamb = [c for c in changes if c.original.startswith("FusedLAMB")]
    assert lamb[0].status is Status.UNSUPPORTED


@pytest.mark.parametrize("code, says", [
    ("from apex import amp\nmodel, opt = amp.initialize(model, opt, opt_level='O1')\n",
     "torch.autocast + torch.amp.GradScaler"),
    ("from apex import amp\nwith amp.scale_loss(loss, opt) as scaled:\n    scaled.backward()\n", "GradScaler"),
    ("from apex.optimizers import FusedAdam\nopt = FusedAdam(params, bias_correction=False)\n", "bias_correction"),
    ("from apex.optimizers import FusedAdam\nopt = FusedAdam(params, adam_w_mode=mode)\n", "adam_w_mode"),
    ("from apex.optimizers import FusedAdam\nopt = FusedAdam(params, 1e-3, True)\n", "positional argument"),
    ("from apex.optimizers import FusedAdam\nopt = FusedAdam(params, master_weights=True)\n", "master_weights"),
    ("from apex.parallel import DistributedDataParallel\nm = DistributedDataParallel(m)\n",
     "torch.nn.parallel.DistributedDataParallel"),
    ("from apex.normalization import MixedFusedLayerNorm\nn = MixedFusedLayerNorm(8)\n", "torch.autocast"),
])
def test_apex_parts_without_a_rewrite_are_unsupported_with_a_route(code, says):
    out, changes = port(code)
    assert out == code
    unsupported = [c for c in changes if c.status is Status.UNSUPPORTED]
    assert len(unsupported) == 1 and says in unsupported[0].reason


def test_apex_rewrite_is_unsafe():
    code = "from apex.normalization import FusedLayerNorm\nn = FusedLayerNorm(8)\n"
    out, changes = port(code, unsafe=False)
    assert out == code
    assert {c.status for c in changes} == {Status.LEFT}


def test_rms_norm_needs_torch_2_4():
    code = "from apex.normalization import FusedRMSNorm\nn = FusedRMSNorm(8)\n"
    out, changes = port(code, min_torch=(2, 3))
    assert out == code
    assert "needs torch >= 2.4" in changes[0].reason
