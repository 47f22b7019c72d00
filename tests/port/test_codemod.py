"""The codemod on its own: what it keeps (formatting, comments, prose, suppressions), how versions and
targets change the replacement, and that a file it cannot parse is skipped with a reason."""

from __future__ import annotations

import pytest

from homeport.assess.analyze import analyze_snippet
from homeport.core.model import Target
from homeport.port.changes import Status
from homeport.port.codemod import Options, port_python
from homeport.rules.acc._common import BINDING


def port(code: str, **options) -> tuple[str, list]:
    findings = analyze_snippet(code, "t.py").findings
    return port_python("t.py", code, findings, Options(**{"min_torch": (2, 13), **options}))


def test_formatting_and_comments_outside_the_fixed_nodes_are_kept():
    code = ("import torch  # the framework\n\n\n"
            "def f( a ,b ):   # odd spacing stays\n"
            "    x = torch.zeros( 3 ,\n"
            "        device = 'cuda' )  # on the GPU\n"
            "    return [ a,b ,x ]\n")
    out, _ = port(code)
    assert "def f( a ,b ):   # odd spacing stays\n" in out
    assert "    x = torch.zeros( 3 ,\n        device = _accelerator.type )  # on the GPU\n" in out
    assert out.startswith("import torch  # the framework\n")


def test_the_binding_goes_after_the_docstring_and_future_imports():
    out, _ = port('"""Doc."""\nfrom __future__ import annotations\nfrom torch import nn\n\nm = nn.Linear(1, 1).cuda()\n')
    assert out.startswith('"""Doc."""\nfrom __future__ import annotations\nimport torch\nfrom torch import nn\n'
                          + BINDING)
    compile(out, "t.py", "exec")


def test_the_binding_comes_after_the_import_of_torch_even_when_os_is_used_first():
    out, _ = port("import os\nos.environ.setdefault('OMP_NUM_THREADS', '1')\nimport torch\nm = torch.ones(1).cuda()\n")
    assert out == ("import os\nos.environ.setdefault('OMP_NUM_THREADS', '1')\nimport torch\n" + BINDING
                   + "m = torch.ones(1).to(_accelerator)\n")
    exec(compile(out, "t.py", "exec"), {})


@pytest.mark.parametrize("code", [
    "try:\n    import torch\nexcept ImportError:\n    torch = None\nx = 'cuda'\n",
    "def f(x):\n    import torch\n    return x.cuda()\n",
])
def test_a_conditional_torch_import_is_not_made_unconditional(code):
    from homeport.port.codemod import NotPortable

    with pytest.raises(NotPortable, match="imported conditionally"):
        port(code)


def test_an_own_accelerator_binding_is_not_overwritten():
    from homeport.port.codemod import NotPortable

    with pytest.raises(NotPortable, match="already defines `_accelerator`"):
        port("import torch\n_accelerator = 'mine'\nx = torch.ones(1).cuda()\n")


def test_prose_and_suppressed_lines_are_left_alone():
    code = ("import torch\n"
            "raise SystemExit('cuda')\n"
            "x = torch.ones(1).cuda()  # homeport: ignore[ACC002] the NVIDIA smoke test\n")
    out, changes = port(code)
    assert out == code and changes == []


@pytest.mark.parametrize("floor, expected", [
    ((2, 6), "torch.accelerator.set_device_idx(0)"),
    ((2, 7), "torch.accelerator.set_device_index(0)"),
])
def test_device_index_names_follow_the_torch_floor(floor, expected):
    out, _ = port("import torch\ntorch.cuda.set_device(0)\n", min_torch=floor)
    assert expected in out


@pytest.mark.parametrize("floor, expected", [
    ((2, 6), "torch.get_device_module(_accelerator).memory_allocated()"),
    ((2, 9), "torch.accelerator.memory_allocated()"),
])
def test_memory_functions_follow_the_torch_floor(floor, expected):
    out, _ = port("import torch\nm = torch.cuda.memory_allocated()\n", min_torch=floor)
    assert expected in out


def test_below_the_first_accelerator_api_nothing_changes_and_the_log_says_why():
    code = "import torch\nif torch.cuda.is_available():\n    torch.cuda.synchronize()\n"
    out, changes = port(code, min_torch=(2, 3))
    assert out == code
    assert {c.status for c in changes} == {Status.LEFT}
    assert all("needs torch >= 2.6" in c.reason and "--min-torch" in c.reason for c in changes)


def test_unsafe_fixes_wait_for_the_flag():
    code = "import torch\ntorch.cuda.manual_seed(0)\n"
    out, (change,) = port(code)
    assert out == code and change.status is Status.LEFT and "--unsafe-fixes" in change.reason
    out, (change,) = port(code, unsafe=True)
    assert out == "import torch\ntorch.manual_seed(0)\n" and change.status is Status.APPLIED


def test_a_check_already_there_is_not_repeated():
    out, _ = port("import torch\nif torch.cuda.is_available():\n    torch.cuda.synchronize()\n    torch.cuda.empty_cache()\n")
    assert out == ("import torch\nif torch.accelerator.is_available():\n    torch.accelerator.synchronize()\n"
                   "    torch.accelerator.empty_cache()\n")


def test_adjacent_guards_become_one_block():
    out, _ = port("import torch\ntorch.backends.cudnn.benchmark = True\ntorch.backends.cudnn.deterministic = False\n")
    assert out.count("if torch.backends.cudnn.is_available():") == 1


def test_events_have_no_cpu_form():
    code = "import torch\ne = torch.cuda.Event(enable_timing=True)\n"
    out, (change,) = port(code, target=Target.CPU)
    assert out == code and change.status is Status.UNSUPPORTED and "perf_counter" in change.reason
    out, _ = port(code, target=Target.GAUDI)
    assert "torch.Event(enable_timing=True)" in out


def test_an_index_never_becomes_a_bare_int():
    out, _ = port("def f(m, rank):\n    return m.cuda(rank)\n")
    assert "m.to(torch.device(_accelerator.type, rank))" in out


def test_porting_twice_changes_nothing_more():
    code = ("import torch\nfrom torch.cuda.amp import GradScaler\n"
            "s = GradScaler()\nx = torch.zeros(1, device='cuda:0')\ntorch.cuda.synchronize()\n")
    once, _ = port(code)
    twice, changes = port(once)
    assert twice == once and changes == []


def test_crlf_line_endings_survive():
    out, _ = port("import torch\r\nx = torch.ones(1).cuda()\r\n")
    assert "\r\n" in out and "\n" not in out.replace("\r\n", "")


def test_the_ported_code_runs_on_this_cpu_machine():
    code = ("import torch\n"
            "dev = 'cuda' if torch.cuda.is_available() else 'cpu'\n"
            "x = torch.ones(4).cuda()\n"
            "torch.cuda.synchronize()\n"
            "with torch.cuda.amp.autocast(dtype=torch.bfloat16):\n"
            "    y = (x @ x).item()\n"
            "peak = torch.cuda.max_memory_allocated() / 2**20\n"
            "torch.cuda.empty_cache()\n")
    out, _ = port(code)
    scope: dict = {}
    exec(compile(out, "ported.py", "exec"), scope)
    assert scope["dev"] == "cpu" and scope["y"] == 4.0 and scope["peak"] == 0


def test_init_process_group_gets_a_device_id_only_as_an_unsafe_fix():
    code = 'import torch.distributed as dist\ndist.init_process_group(backend="nccl")\n'
    safe, changes = port(code)
    assert "device_id" not in safe and [c.status for c in changes] == [Status.APPLIED, Status.LEFT]
    unsafe, _ = port(code, unsafe=True)
    assert ('device_id=torch.device(_accelerator.type, int(os.environ.get("LOCAL_RANK", '
            'torch.accelerator.current_device_index()))) if torch.accelerator.is_available() else None' in unsafe)
    assert "import os\n" in unsafe


def test_the_ported_process_group_starts_on_this_cpu_machine(tmp_path):
    """A one-process group through torchrun's variables: gloo, and no device_id without an accelerator."""
    import os
    import subprocess
    import sys

    out, _ = port('import torch\nimport torch.distributed as dist\ndist.init_process_group("nccl")\n'
                  "t = torch.ones(2)\ndist.all_reduce(t)\nprint(dist.get_backend(), t.tolist())\n"
                  "dist.destroy_process_group()\n", unsafe=True)
    script = tmp_path / "ddp.py"
    script.write_text(out)
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29517", "RANK": "0", "WORLD_SIZE": "1",
           "LOCAL_RANK": "0"}
    run = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "gloo [1.0, 1.0]"


def test_a_fixer_bug_costs_one_file_not_the_port(tmp_path, monkeypatch):
    """A fixer that raises (a bug, simulated by registering one) leaves its file unchanged and says so."""
    from homeport.port.engine import port as port_tree
    from homeport.port.fixers import base

    def broken(node, fix):
        raise RuntimeError("boom")

    monkeypatch.delenv("HOMEPORT_DEBUG", raising=False)
    monkeypatch.setitem(base.FIXERS, "ACC005", [base.Fixer("ACC005", base.CALL, broken, base.Kind.EXACT,
                                                           base.Applicability.SAFE, (0, 0), ())])
    (tmp_path / "a.py").write_text("import torch\ntorch.cuda.synchronize()\n")
    (tmp_path / "b.py").write_text("import torch\nx = torch.ones(1).cuda()\n")
    files = {f.path: f for f in port_tree(tmp_path).files}
    assert not files["a.py"].changed and "internal error while porting (RuntimeError: boom)" in files["a.py"].skipped
    assert files["b.py"].changed


def test_a_device_comparison_also_asks_whether_there_is_an_accelerator():
    """With the CPU fallback `device_type == _accelerator.type` alone would be True on a CPU-only machine
    and run the GPU branch there (nanoGPT's pin_memory)."""
    out, _ = port("import torch\nif device_type == 'cuda':\n    x = x.pin_memory()\nok = dev != 'cuda'\n")
    assert "if torch.accelerator.is_available() and device_type == _accelerator.type:" in out
    assert "ok = (not torch.accelerator.is_available() or dev != _accelerator.type)" in out
    scope = {"device_type": "cpu", "dev": "cpu"}
    exec(compile(out.replace("x = x.pin_memory()", "raise AssertionError"), "t.py", "exec"), scope)
    assert scope["ok"] is True


def test_per_device_tables_are_left_to_a_person():
    code = 'import torch\nbackends = {"cuda": "nccl", "xpu": "xccl"}\nfused = ["cuda", "xpu", "hpu"]\n'
    out, changes = port(code)
    assert out == code
    assert changes and all(c.status is Status.UNSUPPORTED and "per-device table" in c.reason for c in changes)


@pytest.mark.parametrize("call, expected", [
    ("model.cuda(args.gpu)", "model.to(torch.device(_accelerator.type, args.gpu))"),
    ("model.cuda(device)", "model.to(device)"),
    ("model.cuda(0)", "model.to(torch.device(_accelerator.type, 0))"),
])
def test_cuda_method_arguments_are_read_by_their_names(call, expected):
    out, _ = port(f"import torch\n{call}\n")
    assert expected in out


def test_an_ambiguous_cuda_argument_is_left_with_a_reason():
    code = "import torch\nmodel.cuda(where)\n"
    out, (change,) = port(code)
    assert out == code and change.status is Status.UNSUPPORTED and "device index or a device" in change.reason


def test_a_one_element_tuple_comparison_is_a_device_comparison():
    out, _ = port("import torch\nif device.type in ('cuda',) and fp16:\n    pass\n")
    assert "if (torch.accelerator.is_available() and device.type in (_accelerator.type,)) and fp16:" in out


@pytest.mark.parametrize("code, expected", [
    ("torch.cuda.synchronize(device=d)", "torch.accelerator.synchronize(d)"),
    ("m = torch.cuda.max_memory_allocated(device=d)", "torch.accelerator.max_memory_allocated(d)"),
    ("torch.cuda.set_device(device=rank)", "torch.accelerator.set_device_index(rank)"),
    ("e = torch.cuda.Event(True)", "torch.Event(enable_timing=True)"),
    ("s = torch.cuda.Stream(None, -1)", "torch.Stream(None, priority=-1)"),
    ("with torch.cuda.amp.autocast(use_amp):\n    pass", "torch.autocast(_accelerator.type, enabled=use_amp)"),
    ("with torch.cuda.amp.autocast(True, torch.bfloat16):\n    pass",
     "torch.autocast(_accelerator.type, enabled=True, dtype=torch.bfloat16)"),
])
def test_arguments_move_to_where_the_portable_function_expects_them(code, expected):
    out, _ = port(f"import torch\n{code}\n")
    assert expected in out


def test_positional_cuda_arguments_keep_their_meaning_at_run_time():
    out, _ = port("import torch\nwith torch.cuda.amp.autocast(False, torch.bfloat16):\n"
                  "    on = torch.is_autocast_enabled(_accelerator.type if '_accelerator' in dir() else 'cpu')\n")
    scope: dict = {}
    exec(compile(out, "t.py", "exec"), scope)
    assert scope["on"] is False  # `enabled=False` stayed `enabled`, not a dtype


@pytest.mark.parametrize("code, reason", [
    ("with torch.cuda.device(x.device):\n    pass", "takes an index"),
    ("d = torch.device('cuda:0\\n')", "escape sequences"),
    ("class Box:\n    def cuda(self):\n        return self\n\nb = Box().cuda()", "defines a `cuda()` method"),
])
def test_shapes_the_fixers_cannot_get_right_are_left_with_a_reason(code, reason):
    source = f"import torch\n{code}\n"
    out, changes = port(source)
    assert out == source
    assert any(c.status is Status.UNSUPPORTED and reason in c.reason for c in changes)


def test_a_raw_f_string_keeps_its_prefix():
    out, _ = port("import torch\nd = rf'cuda:{i}'\n")
    assert "d = (rf'{_accelerator.type}:{i}' if torch.accelerator.is_available() else 'cpu')" in out


def test_is_cuda_is_false_for_cpu_tensors_without_an_accelerator():
    out, _ = port("import torch\nflag = torch.ones(1).is_cuda\n")
    scope: dict = {}
    exec(compile(out, "t.py", "exec"), scope)
    assert scope["flag"] is False


def test_an_indexed_device_string_is_plain_cpu_on_the_fallback_so_a_checkpoint_loads(tmp_path):
    """f"cuda:{rank}" on a machine without an accelerator: "cpu:0" would make torch.load(map_location=)
    fail ("don't know how to restore data location"); the ported line says "cpu" there."""
    code = ("import torch\n"
            "rank = 0\n"
            "device = f'cuda:{rank}'\n"
            f"torch.save({{'w': torch.ones(2)}}, {str(tmp_path / 'ck.pt')!r})\n"
            f"state = torch.load({str(tmp_path / 'ck.pt')!r}, map_location=device)\n")
    out, _ = port(code)
    assert "device = (f'{_accelerator.type}:{rank}' if torch.accelerator.is_available() else 'cpu')" in out
    scope: dict = {}
    exec(compile(out, "t.py", "exec"), scope)  # the CPU build of torch in the tests: no accelerator
    assert scope["device"] == "cpu" and scope["state"]["w"].tolist() == [1.0, 1.0]
