#!/usr/bin/env python3
"""Port real training repositories with `homeport port` and check what comes out.

For each repository (nanoGPT, pytorch/examples imagenet + DDP + mnist, timm train.py + timm/):

* `homeport port SRC --out PORTED --log LOG.json -q` with safe fixes, and again with `--unsafe-fixes`
  (and, for a repository whose requirements allow torch < 2.6, both again with `--min-torch 2.6`);
* every ported .py compiles (a file that did not compile before the port is counted apart);
* no name the port introduced is undefined or used at import time before it is bound (a static
  check: only problems that the original file did not already have are reported);
* `homeport port PORTED --check` exits 0 (no safe fix remains) and porting PORTED again gives an
  empty diff (idempotent);
* the totals and the reasons for what was left, from the JSON log; the wall time of the port.

Then nanoGPT trains on this machine: a tiny random dataset in nanoGPT's format (data/tiny/train.bin,
val.bin: uint16 tokens; meta.pkl: vocab_size) and the ORIGINAL train.py, with no --device flag, and
the PORTED train.py with the same arguments. A probe reports which dtype / device_type / GradScaler
each train.py picks on this machine.

The repositories are never copied into this folder: pass checked-out work trees (--nanogpt,
--examples, --timm) or a folder of bare mirrors (--mirror-root, layout owner+name/repo as the
`fetch` tool makes them); everything is staged and ported under --work (default
/tmp/homeport-port-bench).

    python benchmarks/port/run.py --mirror-root /work/.mirror
    python benchmarks/port/run.py --nanogpt ~/src/nanoGPT --examples ~/src/examples --timm ~/src/pytorch-image-models
"""
from __future__ import annotations

import argparse
import ast
import builtins
import collections
import datetime as _dt
import filecmp
import difflib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

REPOS = [
    {"name": "nanoGPT", "github": "karpathy/nanoGPT", "arg": "nanogpt",
     "include": None},  # the whole repository
    {"name": "pytorch-examples", "github": "pytorch/examples", "arg": "examples",
     "include": ["imagenet", "distributed/ddp", "distributed/ddp-tutorial-series", "mnist"]},
    {"name": "timm", "github": "huggingface/pytorch-image-models", "arg": "timm",
     "include": ["train.py", "timm", "pyproject.toml", "requirements.txt"]},
]

# the tiny nanoGPT run: the arguments of the issue, plus --log_interval=1 (already nanoGPT's default)
# and an --out_dir inside the work folder
NANOGPT_ARGS = ["--dataset=tiny", "--n_layer=2", "--n_head=2", "--n_embd=32", "--block_size=32",
                "--batch_size=4", "--max_iters=3", "--eval_interval=2", "--eval_iters=1",
                "--compile=False", "--always_save_checkpoint=False", "--log_interval=1",
                "--out_dir=out-tiny"]
TINY_VOCAB = 65
HELPER = "_accelerator"


# --------------------------------------------------------------------------- small helpers

def sh(cmd: list[str], cwd: Path | None = None, timeout: int = 900, env: dict | None = None) -> dict:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = 124, (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), \
            (e.stderr or b"").decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
    return {"cmd": cmd, "rc": rc, "stdout": out, "stderr": err, "wall_s": time.perf_counter() - t0}


def quote(cmd: list[str]) -> str:
    import shlex
    return " ".join(shlex.quote(str(c)) for c in cmd)


def last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def homeport_cmd(arg: str | None) -> list[str]:
    if arg:
        return arg.split()
    exe = Path(sys.executable).with_name("homeport")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("homeport")
    if not found:
        sys.exit("homeport not found: pass --homeport or activate the venv")
    return [found]


# --------------------------------------------------------------------------- staging

def stage_repo(spec: dict, args, dest: Path) -> dict:
    """Copy the files of `spec` (or the whole tree) to `dest`; return the source and its commit."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    path = getattr(args, spec["arg"])
    if path:
        src = Path(path).resolve()
        sha = sh(["git", "-C", str(src), "rev-parse", "HEAD"])["stdout"].strip() or "unknown"
        names = spec["include"] or [p.name for p in src.iterdir() if p.name != ".git"]
        for n in names:
            s = src / n
            if s.is_dir():
                shutil.copytree(s, dest / n, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            elif s.exists():
                (dest / n).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(s, dest / n)
        return {"source": str(src), "commit": sha}
    if not args.mirror_root:
        raise SystemExit(f"no checkout for {spec['name']}: pass --{spec['arg']} or --mirror-root")
    git_dir = Path(args.mirror_root) / spec["github"].replace("/", "+") / "repo"
    sha = sh(["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"])["stdout"].strip()
    if not sha:
        raise SystemExit(f"no mirror at {git_dir} (fetch github:{spec['github']} first)")
    # git archive of only the paths needed: a snapshot may lack some big blobs elsewhere
    archive = subprocess.Popen(["git", "--git-dir", str(git_dir), "archive", "HEAD", *(spec["include"] or [])],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    err = archive.stderr.read().decode(errors="replace")
    if archive.wait() != 0:
        raise SystemExit(f"git archive failed for {git_dir}: {err}")
    return {"source": str(git_dir), "commit": sha}


# --------------------------------------------------------------------------- static checks

def compiles(path: Path) -> str | None:
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        return None
    except (SyntaxError, ValueError) as e:
        return f"{type(e).__name__}: {e}"


_BUILTINS = set(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__", "__loader__",
                                  "__package__", "__builtins__", "__path__", "__annotations__",
                                  "__dict__", "__qualname__", "__module__"}


def _stored_names(node: ast.AST) -> set[str]:
    """Names a module-level statement binds (not looking into nested function or class bodies)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)  # its body is another scope
            continue
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            for a in n.names:
                if a.name == "*":
                    out.add("*")
                else:
                    out.add(a.asname or a.name.split(".")[0])
        elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(n.names)
        elif isinstance(n, ast.MatchAs) and n.name:
            out.add(n.name)
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return out


def _loaded_at_import(node: ast.AST) -> list[ast.Name]:
    """Names a module-level statement reads when it runs (not function bodies; decorators and
    defaults included; comprehension variables excluded)."""
    out: list[ast.Name] = []

    def visit(n: ast.AST, local: frozenset[str]):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in n.decorator_list:
                visit(d, local)
            for d in n.args.defaults + [d for d in n.args.kw_defaults if d is not None]:
                visit(d, local)
            return
        if isinstance(n, ast.Lambda):
            for d in n.args.defaults:
                visit(d, local)
            return
        if isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            bound = set(local)
            for g in n.generators:
                bound |= {x.id for x in ast.walk(g.target) if isinstance(x, ast.Name)}
            for c in ast.iter_child_nodes(n):
                visit(c, frozenset(bound))
            return
        if isinstance(n, ast.ClassDef):
            for d in n.decorator_list + n.bases + [k.value for k in n.keywords]:
                visit(d, local)
            return  # the class body runs too, but its own names shadow; leave it out
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in local:
            out.append(n)
        for c in ast.iter_child_nodes(n):
            visit(c, local)

    visit(node, frozenset())
    return out


def name_problems(path: Path) -> list[tuple[str, str, int]]:
    """(kind, name, line) for module-level names read before any binding ('used before bound') or
    never bound in the module ('undefined'). Function bodies: only the second check."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return []
    everywhere: set[str] = set()
    for stmt in tree.body:
        everywhere |= _stored_names(stmt)
    star = "*" in everywhere
    problems: list[tuple[str, str, int]] = []
    bound: set[str] = set()

    def check(nodes):
        for node in nodes:
            for n in _loaded_at_import(node):
                if n.id in bound or n.id in _BUILTINS:
                    continue
                if n.id in everywhere:
                    problems.append(("used before bound at import", n.id, n.lineno))
                elif not star:
                    problems.append(("undefined", n.id, n.lineno))

    def walk(stmts):
        # statements in order; a compound statement's header first, then its blocks in order
        for st in stmts:
            if isinstance(st, (ast.If, ast.While)):
                check([st.test]); walk(st.body); walk(st.orelse)
            elif isinstance(st, (ast.For, ast.AsyncFor)):
                check([st.iter]); bound.update(_stored_names(st.target)); walk(st.body); walk(st.orelse)
            elif isinstance(st, (ast.With, ast.AsyncWith)):
                for it in st.items:
                    check([it.context_expr])
                    if it.optional_vars is not None:
                        bound.update(_stored_names(it.optional_vars))
                walk(st.body)
            elif isinstance(st, ast.Try) or type(st).__name__ == "TryStar":
                walk(st.body)
                for h in st.handlers:
                    if h.type is not None:
                        check([h.type])
                    if h.name:
                        bound.add(h.name)
                    walk(h.body)
                walk(st.orelse); walk(st.finalbody)
            else:
                check([st])
                bound.update(_stored_names(st))

    walk(tree.body)
    # names read inside functions that nothing binds: the module, the outermost function (with
    # everything nested in it: closures, lambdas, comprehensions) or the builtins
    def roots(stmts):
        for st in stmts:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield st
            elif isinstance(st, ast.ClassDef):
                yield from roots(st.body)
            elif isinstance(st, (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.AsyncFor, ast.AsyncWith)):
                yield from roots(getattr(st, "body", []) + getattr(st, "orelse", []) + getattr(st, "finalbody", [])
                                 + [x for h in getattr(st, "handlers", []) for x in h.body])

    for fn in roots(tree.body):
        local: set[str] = set()
        for n in ast.walk(fn):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                local.add(n.id)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                local |= {x.asname or x.name.split(".")[0] for x in n.names}
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                local.add(n.name)
            elif isinstance(n, ast.ExceptHandler) and n.name:
                local.add(n.name)
            elif isinstance(n, ast.arg):
                local.add(n.arg)
            elif isinstance(n, (ast.Global, ast.Nonlocal)):
                local.update(n.names)
        for n in ast.walk(fn):
            if (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in local
                    and n.id not in everywhere and n.id not in _BUILTINS and not star):
                problems.append(("undefined", n.id, n.lineno))
    return problems


def new_name_problems(orig: Path, ported: Path) -> list[dict]:
    """The name problems of the ported file that the original did not have (matched by kind+name)."""
    before = collections.Counter((k, n) for k, n, _ in name_problems(orig)) if orig.exists() else collections.Counter()
    out = []
    for k, n, line in name_problems(ported):
        if before[(k, n)] > 0:
            before[(k, n)] -= 1
            continue
        out.append({"kind": k, "name": n, "line": line})
    return out


def _is_acc_type(n: ast.AST) -> bool:
    return (isinstance(n, ast.Attribute) and n.attr == "type" and isinstance(n.value, ast.Name)
            and n.value.id == HELPER)


def review_sites(path: Path) -> list[dict]:
    """Rewrites worth a second look, found in a ported file:
    - compare: `x == _accelerator.type` / `x in (_accelerator.type, ...)` not joined to an
      `torch.accelerator.is_available()` test: where the original compared with 'cuda' (false on a
      CPU-only machine) this is true on a CPU-only machine (the fallback is cpu);
    - table: `_accelerator.type` as an element of a list/tuple/set or a dict key next to other device
      names (a per-device table whose 'cuda' entry was renamed);
    - index: `torch.device(_accelerator.type, X)` with X not an int literal (torch.device wants an int)."""
    try:
        src = path.read_text()
        tree = ast.parse(src)
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return []
    lines = src.splitlines()
    out, seen = [], set()

    def add(kind, node):
        key = (kind, node.lineno)
        if key not in seen:
            seen.add(key)
            out.append({"kind": kind, "line": node.lineno, "code": lines[node.lineno - 1].strip()[:160]})

    checked = set()  # comparisons in `torch.accelerator.is_available() and ...` (what homeport writes)
    for n in ast.walk(tree):
        if isinstance(n, ast.BoolOp) and any("accelerator.is_available" in ast.unparse(v) for v in n.values):
            checked.update(id(v) for v in n.values)
    for n in ast.walk(tree):
        if isinstance(n, ast.Compare) and id(n) not in checked:
            operands = [n.left, *n.comparators]
            for o in operands:
                elts = o.elts if isinstance(o, (ast.Tuple, ast.List, ast.Set)) else [o]
                if any(_is_acc_type(e) for e in elts):
                    add("compare", n)
        elif isinstance(n, (ast.Tuple, ast.List, ast.Set)) and len(n.elts) > 1:
            if any(_is_acc_type(e) for e in n.elts) and any(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in n.elts):
                add("table", n)
        elif isinstance(n, ast.Dict) and any(k is not None and _is_acc_type(k) for k in n.keys):
            add("table", n)
        elif (isinstance(n, ast.Call) and len(n.args) == 2 and _is_acc_type(n.args[0])
              and isinstance(n.func, ast.Attribute) and n.func.attr == "device"
              and not (isinstance(n.args[1], ast.Constant) and isinstance(n.args[1].value, int))):
            add("index", n)
    return sorted(out, key=lambda x: x["line"])


# --------------------------------------------------------------------------- one port

def unified(orig_root: Path, new_root: Path, rel: str) -> str:
    a = (orig_root / rel).read_text(errors="replace").splitlines(keepends=True) if (orig_root / rel).exists() else []
    b = (new_root / rel).read_text(errors="replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}", n=2))


def changed_files(a: Path, b: Path) -> list[str]:
    out = []
    for p in sorted(b.rglob("*")):
        if p.is_file() and not p.is_symlink():
            rel = str(p.relative_to(b))
            q = a / rel
            if not q.exists() or not filecmp.cmp(p, q, shallow=False):
                out.append(rel)
    return out


def short_reason(reason: str) -> str:
    r = reason.strip()
    if r.startswith("port by hand: "):  # the rule's whole doc follows: keep its first sentence
        first = re.split(r"(?<=[.:])\s", r[len("port by hand: "):], maxsplit=1)[0]
        r = "port by hand: " + first
    return r if len(r) <= 140 else r[:137] + "..."


def port_once(hp: list[str], stage: Path, wdir: Path, flags: list[str], repeat: int) -> dict:
    ported, log = wdir / "ported", wdir / "log.json"
    walls, run = [], None
    for _ in range(repeat):
        if ported.exists():
            shutil.rmtree(ported)
        run = sh(hp + ["port", str(stage), "--out", str(ported), "--log", str(log), "-q", *flags])
        walls.append(run["wall_s"])
        if run["rc"] != 0:
            break
    res: dict = {"flags": flags, "command": quote(hp + ["port", str(stage), "--out", str(ported), "--log", str(log), "-q", *flags]),
                 "rc": run["rc"], "wall_s": statistics.median(walls), "wall_s_all": walls}
    if run["rc"] != 0 or not ported.exists():
        dbg = sh(hp + ["--debug", "port", str(stage), "--out", str(wdir / "ported-debug"), "-q", *flags])
        res["error"] = (run["stderr"] or run["stdout"])[-4000:]
        res["debug_traceback"] = (dbg["stderr"] or dbg["stdout"])[-8000:]
        return res

    # (b) compile, and names the port left unbound
    py = sorted(p for p in ported.rglob("*.py") if p.is_file())
    fails_new, fails_old = [], []
    for p in py:
        rel = str(p.relative_to(ported))
        err = compiles(p)
        if err:
            (fails_old if (stage / rel).exists() and compiles(stage / rel) else fails_new).append({"file": rel, "error": err})
    changed = changed_files(stage, ported)
    names = []
    for rel in changed:
        if rel.endswith(".py"):
            for pr in new_name_problems(stage / rel, ported / rel):
                names.append({"file": rel, **pr})
    review = [{"file": rel, **x} for rel in changed if rel.endswith(".py") for x in review_sites(ported / rel)]
    diff = "".join(unified(stage, ported, rel) for rel in changed)
    (wdir / "port.diff").write_text(diff)
    res.update({"py_files": len(py), "changed_files": changed,
                "compile_ok": len(py) - len(fails_new) - len(fails_old),
                "compile_fail_new": fails_new, "compile_fail_already": fails_old,
                "name_problems": names, "review": review, "diff_file": str(wdir / "port.diff"),
                "diff_lines_plus": sum(1 for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")),
                "diff_lines_minus": sum(1 for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---"))})

    # (c) --check and idempotence on the ported tree
    min_flags = [f for f in flags if f != "--unsafe-fixes"]
    chk = sh(hp + ["port", str(ported), "--check", "-q", *min_flags])
    res["check"] = {"command": quote(chk["cmd"]), "rc": chk["rc"], "last_line": last_line(chk["stdout"] + chk["stderr"])}
    if "--unsafe-fixes" in flags:
        chk2 = sh(hp + ["port", str(ported), "--check", "-q", *flags])
        res["check_unsafe"] = {"command": quote(chk2["cmd"]), "rc": chk2["rc"], "last_line": last_line(chk2["stdout"] + chk2["stderr"])}
    again = sh(hp + ["port", str(ported), "--diff", "-q", *flags])
    (wdir / "report.diff").write_text(again["stdout"])
    res["idempotent"] = {"command": quote(again["cmd"]), "rc": again["rc"],
                         "diff_lines": len(again["stdout"].splitlines()), "empty": again["rc"] == 0 and not again["stdout"].strip()}

    # (d) the log
    data = json.loads(log.read_text())
    res["min_torch"], res["min_torch_from"] = data.get("min_torch"), data.get("min_torch_from")
    res["totals"] = data["totals"]
    reasons = collections.Counter()
    rules = collections.Counter()
    for c in data["changes"]:
        rules[(c["rule"], c["status"])] += 1
        if c["status"] != "applied":
            reasons[(c["status"], c["rule"], short_reason(c.get("reason", "")))] += 1
    res["reasons"] = [{"status": s, "rule": r, "reason": why, "count": n} for (s, r, why), n in reasons.most_common()]
    res["rules"] = [{"rule": r, "status": s, "count": n} for (r, s), n in sorted(rules.items())]
    res["skipped_files"] = len(data.get("skipped") or [])
    return res


# --------------------------------------------------------------------------- smoke calls

SMOKE = r"""
# load one module with its relative imports stubbed out, call one function or evaluate one
# expression in its namespace; print the result or the exception, as JSON
import ast, json, sys, traceback
path, what, code = sys.argv[1], sys.argv[2], sys.argv[3]
src = open(path).read()
tree = ast.parse(src)
body = []
def guarded(st):  # a statement that may fail here (a missing optional package): run it, or skip it
    return ast.Try(body=[st], handlers=[ast.ExceptHandler(type=ast.Name("Exception", ast.Load()), name=None,
                   body=[ast.Pass()])], orelse=[], finalbody=[])
for st in tree.body:
    if isinstance(st, ast.ImportFrom) and st.level > 0:
        body += ast.parse("; ".join(f"{a.asname or a.name} = None" for a in st.names)).body
    elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        body.append(st)
    elif what == "module" or isinstance(st, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)):
        body.append(guarded(st))
ns = {"__name__": "smoke"}
try:
    exec(compile(ast.fix_missing_locations(ast.Module(body, [])), path, "exec"), ns)
    print(json.dumps({"ok": True, "result": repr(eval(code, ns))}))
except BaseException as e:
    print(json.dumps({"ok": False, "result": f"{type(e).__name__}: {e}"}))
"""

# (repo, file, what to load, expression, why): run against the original and each ported tree.
# `what`: "defs" = imports, top-level defs/classes/assignments, "module" = every top-level statement;
# a statement other than a def/class that raises (a missing optional package) is skipped.
SMOKES = [
    ("timm", "timm/utils/distributed.py", "defs", "init_distributed_device_so(device='cpu')",
     "timm train.py --device cpu: resolve the device (no distributed env)"),
    ("timm", "timm/utils/distributed.py", "defs", "init_distributed_device_so()",
     "timm train.py with its default --device: resolve the device"),
]


def smoke_checks(name: str, stage: Path, ports: dict, py: str) -> list[dict]:
    out = []
    for repo, rel, what, code, why in SMOKES:
        if repo != name:
            continue
        row = {"file": rel, "expression": code, "why": why, "results": {}}
        trees = {"original": stage, **{m: Path(p["ported"]) for m, p in ports.items() if "totals" in p}}
        for label, tree in trees.items():
            f = tree / rel
            if not f.exists():
                continue
            if compiles(f):
                row["results"][label] = {"ok": False, "result": "does not compile"}
                continue
            r = sh([py, "-c", SMOKE, str(f), what, code], cwd=tree, timeout=120)
            try:
                row["results"][label] = json.loads(last_line(r["stdout"]))
            except json.JSONDecodeError:
                row["results"][label] = {"ok": False, "result": last_line(r["stderr"])}
        out.append(row)
    return out


# --------------------------------------------------------------------------- nanoGPT on the CPU

PROBE = r"""
# what train.py picks on this machine: its imports, the assignments to device/dtype/device_type/
# backend/_accelerator and the configurator, in file order (imports first), with the run's arguments
import ast, json, sys, warnings
sys.argv = ["train.py", *json.loads(sys.argv[1])]
src = open("train.py").read()
tree = ast.parse(src)
names = {"device", "dtype", "device_type", "_accelerator", "backend"}
imports, rest, scaler = [], [], []
for st in tree.body:
    if isinstance(st, (ast.Import, ast.ImportFrom)) and not any(a.name == "wandb" for a in st.names):
        imports.append(st)
    elif isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in st.targets):
        rest.append(st)
    elif isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "scaler" for t in st.targets):
        scaler.append(st)
    elif isinstance(st, ast.Expr) and "configurator.py" in ast.get_source_segment(src, st):
        rest.append(st)
ns = {}
exec(compile(ast.Module(imports + rest, []), "train.py", "exec"), ns)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    exec(compile(ast.Module(scaler, []), "train.py", "exec"), ns)
out = {k: str(ns.get(k)) for k in ["device", "dtype", "device_type", "backend"]}
out["scaler"] = ast.get_source_segment(src, scaler[0].value) if scaler else None
out["scaler_enabled"] = ns["scaler"].is_enabled() if "scaler" in ns else None
out["scaler_warnings"] = [str(x.message) for x in w]
print(json.dumps(out))
"""


def make_dataset(root: Path) -> dict:
    import pickle
    import numpy as np
    d = root / "data" / "tiny"
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rng.integers(0, TINY_VOCAB, 20_000, dtype=np.int64).astype(np.uint16).tofile(d / "train.bin")
    rng.integers(0, TINY_VOCAB, 4_000, dtype=np.int64).astype(np.uint16).tofile(d / "val.bin")
    with open(d / "meta.pkl", "wb") as f:
        pickle.dump({"vocab_size": TINY_VOCAB}, f)
    return {"dir": "data/tiny", "train_tokens": 20_000, "val_tokens": 4_000, "vocab_size": TINY_VOCAB}


def move_helper_below_torch_import(train_dir: Path) -> list[str]:
    """Diagnostic variant (not homeport output): put the `_accelerator = ...` line right after the
    first top-level `import torch` in each .py of the tree, to see what fails next."""
    fixed = []
    for p in sorted(train_dir.glob("*.py")):
        lines = p.read_text().splitlines(keepends=True)
        idx = [i for i, ln in enumerate(lines) if ln.startswith(f"{HELPER} = ")]
        imp = [i for i, ln in enumerate(lines) if re.match(r"import torch\s*$", ln)]
        if idx and imp and idx[0] < imp[0]:
            helper = lines.pop(idx[0])
            if idx[0] < len(lines) and not lines[idx[0]].strip() and idx[0] > 0 and not lines[idx[0] - 1].strip():
                lines.pop(idx[0])
            j = next(i for i, ln in enumerate(lines) if re.match(r"import torch\s*$", ln))
            lines.insert(j + 1, helper)
            p.write_text("".join(lines))
            fixed.append(p.name)
    return fixed


def run_train(label: str, tree: Path, dest: Path, py: str, extra: list[str], note: str = "",
              patch=None) -> dict:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(tree, dest, symlinks=True)
    res: dict = {"label": label, "dir": str(dest), "note": note}
    if patch:
        res["patched_files"] = patch(dest)
    res["dataset"] = make_dataset(dest)
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONWARNINGS="default")
    probe_args = [a for a in NANOGPT_ARGS + extra if a[2:].split("=")[0] in ("device", "dtype", "backend")]
    probe = sh([py, "-c", PROBE, json.dumps(probe_args)],
               cwd=dest, env=env, timeout=300)
    try:
        res["probe"] = json.loads(last_line(probe["stdout"]))
    except json.JSONDecodeError:
        res["probe"] = {"error": last_line(probe["stderr"])}
    cmd = [py, "train.py", *NANOGPT_ARGS, *extra]
    run = sh(cmd, cwd=dest, env=env, timeout=900)
    out = run["stdout"] + run["stderr"]
    (dest / "train.log").write_text(out)
    res.update({
        "command": f"cd {dest} && {quote(cmd)}",
        "rc": run["rc"], "wall_s": round(run["wall_s"], 1),
        "error_line": last_line(run["stderr"]) if run["rc"] else "",
        "traceback_tail": "\n".join(run["stderr"].strip().splitlines()[-6:]) if run["rc"] else "",
        "eval_lines": re.findall(r"^step \d+: train loss [\d.]+, val loss [\d.]+", out, re.M),
        "loss_lines": re.findall(r"^iter \d+: loss [\d.]+", out, re.M),
        "fused_adamw": (re.findall(r"using fused AdamW: (\w+)", out) or [None])[0],
        "warnings": sorted(set(re.findall(r"^\S*Warning: .*$|\w*Warning: .*$", run["stderr"], re.M)))[:10],
        "log": str(dest / "train.log"),
    })
    return res


def patch_pin_memory_branch(train_dir: Path) -> list[str]:
    """Diagnostic (not homeport output): nanoGPT's get_batch pins memory `if device_type == 'cuda'`;
    the port made that `== _accelerator.type`, which is 'cpu' without an accelerator. Put back the
    intent (any accelerator, never the CPU) to see whether anything else fails."""
    p = train_dir / "train.py"
    s = p.read_text()
    new = s.replace("    if device_type == _accelerator.type:\n        # pin arrays",
                    "    if device_type != 'cpu':\n        # pin arrays")
    if new != s:
        p.write_text(new)
        return ["train.py: get_batch `if device_type == _accelerator.type:` -> `if device_type != 'cpu':`"]
    return []


# known failures of a ported nanoGPT on a CPU machine -> the hand fix that gets past them (diagnostic)
DIAGNOSTIC_PATCHES = [
    (f"name '{HELPER}' is not defined", "helper moved below `import torch`", move_helper_below_torch_import),
    ("Cannot access accelerator device when none is available", "pin_memory branch back to `!= 'cpu'`",
     patch_pin_memory_branch),
]


def nanogpt_train(stage: Path, ports: dict, work: Path, py: str) -> list[dict]:
    runs = [run_train("original, no --device", stage, work / "original", py, []),
            run_train("original, --device=cpu (what it needed)", stage, work / "original-cpu", py, ["--device=cpu"])]
    for mode in ("safe", "unsafe"):
        p = ports.get(mode)
        if not p or "totals" not in p:
            continue
        tree = Path(p["ported"])
        r = run_train(f"ported ({mode}), no --device", tree, work / f"ported-{mode}", py, [])
        runs.append(r)
        applied: list = []
        for _ in range(len(DIAGNOSTIC_PATCHES)):
            if r["rc"] == 0:
                break
            hit = [d for d in DIAGNOSTIC_PATCHES if d[0] in r.get("error_line", "") and d not in applied]
            if not hit:
                break
            applied.append(hit[0])
            patches = list(applied)
            r = run_train(f"ported ({mode}) + hand fix: " + " + ".join(d[1] for d in patches) + " (diagnostic)",
                          tree, work / f"ported-{mode}-diag{len(patches)}", py, [],
                          note="not homeport output: this script patched the ported copy to see what fails next",
                          patch=lambda d, ps=patches: [x for _, _, f in ps for x in f(d)])
            runs.append(r)
    return runs


def ddp_tutorial_run(stage: Path, ports: dict, py: str) -> list[dict]:
    """pytorch/examples distributed/ddp-tutorial-series/multigpu_torchrun.py, 1 epoch, 2 processes
    under torchrun on this machine, original and ported (random data, no download)."""
    rel = Path("distributed/ddp-tutorial-series")
    cmd = [py, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "multigpu_torchrun.py", "1", "1"]
    out = []
    for label, tree in [("original", stage), *((m, Path(p["ported"])) for m, p in ports.items() if "totals" in p)]:
        d = tree / rel
        if not d.exists():
            continue
        r = sh(cmd, cwd=d, timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))
        text = r["stdout"] + r["stderr"]
        err = re.findall(r"^(?:\[rank\d+\]: )?(\w+(?:Error|Exception): .*)$", text, re.M)
        where = re.findall(r'^(?:\[rank\d+\]:)?\s+File "[^"]*/(multigpu_torchrun\.py)", line (\d+)', text, re.M)
        out.append({"label": label, "command": f"cd {d} && {quote(cmd)}", "rc": r["rc"],
                    "error_line": err[0] if err else ("" if r["rc"] == 0 else last_line(r["stderr"])),
                    "at": f"{where[-1][0]}:{where[-1][1]}" if where else "",
                    "epochs": re.findall(r"^\[GPU\d+\] Epoch \d+ .*$", text, re.M)})
    return out


# --------------------------------------------------------------------------- report

def md_report(res: dict) -> str:
    L = []
    L.append(f"homeport port on real repositories: {res['date']}, homeport {res['homeport_version']} "
             f"(git {res['homeport_git']}), torch {res['torch']}, {res['machine']}\n")
    L.append("| repo | commit | mode | .py files | flagged files (changed) | refs flagged | converted | left | lines migrated "
             "| applied / left / unsupported | compile (new failures) | new name errors | --check rc | re-port diff | port wall s |")
    L.append("|" + "---|" * 15)
    for r in res["repos"]:
        for mode, p in r["ports"].items():
            if "totals" not in p:
                L.append(f"| {r['name']} | {r['commit'][:8]} | {mode} | port FAILED rc={p['rc']}: {last_line(p.get('error', ''))} |" + " |" * 11)
                continue
            t, ch = p["totals"], p["totals"]["changes"]
            L.append(f"| {r['name']} | {r['commit'][:8]} | {mode} | {p['py_files']} | {t['files']} ({t['files_changed']}) | "
                     f"{t['references_before']} | {t['references_converted']} | {t['references_left']} | "
                     f"{t['flagged_lines_migrated']}/{t['flagged_lines']} = {t['share_migrated']:.0%} | "
                     f"{ch.get('applied', 0)} / {ch.get('left', 0)} / {ch.get('unsupported', 0)} | "
                     f"{p['compile_ok']}/{p['py_files']} ({len(p['compile_fail_new'])}) | {len(p['name_problems'])} | "
                     f"{p['check']['rc']} | {'empty' if p['idempotent']['empty'] else str(p['idempotent']['diff_lines']) + ' lines'} | "
                     f"{p['wall_s']:.2f} |")
    L.append("")
    L.append("min torch as inferred: " + "; ".join(
        f"{r['name']}: {next(iter(r['ports'].values())).get('min_torch')} ({next(iter(r['ports'].values())).get('min_torch_from')})"
        for r in res["repos"]) + "\n")
    for r in res["repos"]:
        for mode, p in r["ports"].items():
            if p.get("name_problems") or p.get("compile_fail_new"):
                L.append(f"**{r['name']} {mode}: problems the port introduced**\n")
                for c in p.get("compile_fail_new", []):
                    L.append(f"- does not compile: `{c['file']}`: {c['error']}")
                for n in p.get("name_problems", []):
                    L.append(f"- `{n['file']}:{n['line']}`: `{n['name']}` {n['kind']}")
                L.append("")
    L.append("Rewrites to look at again (static scan of the ported files; `compare`: a test against "
             "`_accelerator.type` that was a test against 'cuda', now true on a CPU-only machine; `table`: "
             "`_accelerator.type` inside a per-device list/dict; `index`: `torch.device(_accelerator.type, X)` "
             "with X not an int literal):\n")
    for r in res["repos"]:
        for mode, p in r["ports"].items():
            if p.get("review"):
                c = collections.Counter(x["kind"] for x in p["review"])
                L.append(f"- {r['name']} {mode}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    L.append("")
    L.append("Reasons for what was left (status, rule, reason as the log prints it; count):\n")
    for r in res["repos"]:
        for mode, p in r["ports"].items():
            if not p.get("reasons"):
                continue
            L.append(f"*{r['name']} - {mode}*\n")
            L.append("| count | status | rule | reason |\n|---:|---|---|---|")
            for x in p["reasons"][:8]:
                L.append(f"| {x['count']} | {x['status']} | {x['rule']} | {x['reason'].replace('|', '/')} |")
            if len(p["reasons"]) > 8:
                L.append(f"| ... | | | {len(p['reasons']) - 8} more in the JSON |")
            L.append("")
    smokes = [(r["name"], sm) for r in res["repos"] for sm in r.get("smoke", [])]
    if smokes:
        L.append("Smoke calls (module loaded with relative imports stubbed; the call run on this machine):\n")
        L.append("| repo | file | call | what it is | original | " + " | ".join(
            sorted({k for _, sm in smokes for k in sm["results"] if k != "original"}, key=len)) + " |")
        modes = sorted({k for _, sm in smokes for k in sm["results"] if k != "original"}, key=len)
        L.append("|" + "---|" * (5 + len(modes)))
        for name, sm in smokes:
            cells = [sm["results"].get(m, {}).get("result", "") for m in ["original", *modes]]
            L.append(f"| {name} | `{sm['file']}` | `{sm['expression'][:70]}` | {sm['why']} | " +
                     " | ".join(c.replace("|", "/")[:110] for c in cells) + " |")
        L.append("")
    for r in res["repos"]:
        if r.get("ddp_run"):
            L.append("pytorch/examples `distributed/ddp-tutorial-series/multigpu_torchrun.py 1 1` under "
                     "`torchrun --standalone --nproc_per_node=2` on this machine:\n")
            L.append("| tree | rc | result |\n|---|---:|---|")
            for t in r["ddp_run"]:
                res_ = ("trains: " + "; ".join(t["epochs"][:2])) if t["rc"] == 0 else f"fails at {t['at']}: `{t['error_line']}`"
                L.append(f"| {t['label']} | {t['rc']} | {res_} |")
            L.append("")
    if res.get("nanogpt_train"):
        L.append("nanoGPT on this machine (`python train.py " + " ".join(NANOGPT_ARGS) + "`):\n")
        L.append("| run | rc | result | dtype / device_type / GradScaler enabled (probe) | fused AdamW |\n|---|---:|---|---|---|")
        for t in res["nanogpt_train"]:
            pr = t.get("probe", {})
            probe = (f"{pr.get('dtype')} / {pr.get('device_type')} / {pr.get('scaler_enabled')}" if "dtype" in pr
                     else f"probe failed: {pr.get('error')}")
            if t["rc"] == 0:
                result = "trains: " + "; ".join(t["loss_lines"]) + ("; " + "; ".join(t["eval_lines"]) if t["eval_lines"] else "")
            else:
                result = f"fails: `{t['error_line']}`"
            L.append(f"| {t['label']} | {t['rc']} | {result} | {probe} | {t['fused_adamw']} |")
        L.append("")
    return "\n".join(L)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--mirror-root", help="folder of bare mirrors, owner+name/repo (the fetch layout)")
    for spec in REPOS:
        ap.add_argument(f"--{spec['arg']}", metavar="DIR", help=f"a checkout of github.com/{spec['github']} (wins over --mirror-root)")
    ap.add_argument("--only", nargs="*", choices=[s["name"] for s in REPOS], help="only these repositories")
    ap.add_argument("--work", default="/tmp/homeport-port-bench", help="scratch folder (wiped per repository)")
    ap.add_argument("--homeport", help="the homeport command (default: the one next to this python, else on PATH)")
    ap.add_argument("--python", default=sys.executable, help="python that runs nanoGPT's train.py (needs torch, numpy)")
    ap.add_argument("--repeat", type=int, default=3, help="port runs per mode; the wall time is their median")
    ap.add_argument("--skip-train", action="store_true", help="do not run nanoGPT's train.py")
    ap.add_argument("--out-dir", default=str(HERE), help="where results-DATE.json / .md go (default: next to this script)")
    args = ap.parse_args()

    hp = homeport_cmd(args.homeport)
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    torch_v = sh([args.python, "-c", "import torch; print(torch.__version__, torch.accelerator.current_accelerator())"])["stdout"].strip()
    res: dict = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "homeport_version": last_line(sh(hp + ["--version"])["stdout"]),
        "homeport_git": sh(["git", "-C", str(HERE), "describe", "--always", "--dirty"])["stdout"].strip(),
        "torch": torch_v,
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}",
        "homeport": quote(hp), "work": str(work), "repos": [],
    }
    for spec in REPOS:
        if args.only and spec["name"] not in args.only:
            continue
        rdir = work / spec["name"]
        stage = rdir / "src"
        info = stage_repo(spec, args, stage)
        print(f"== {spec['name']} @ {info['commit'][:12]} ({info['source']})", flush=True)
        r = {"name": spec["name"], "github": spec["github"], "include": spec["include"] or ["(whole repository)"],
             **info, "ports": {}}
        modes = [("safe", []), ("unsafe", ["--unsafe-fixes"])]
        for mode, flags in modes:
            wdir = rdir / mode
            wdir.mkdir(parents=True, exist_ok=True)
            p = port_once(hp, stage, wdir, flags, args.repeat)
            p["ported"] = str(wdir / "ported")
            r["ports"][mode] = p
            mt = p.get("min_torch")
            if mode == "safe" and mt and tuple(map(int, mt.split(".")[:2])) < (2, 6):
                modes += [("safe --min-torch 2.6", ["--min-torch", "2.6"]),
                          ("unsafe --min-torch 2.6", ["--unsafe-fixes", "--min-torch", "2.6"])]
            if "totals" in p:
                t = p["totals"]
                print(f"  {mode:24s} refs {t['references_before']:4d} converted {t['references_converted']:4d} "
                      f"left {t['references_left']:4d}  compile new-fail {len(p['compile_fail_new'])}  "
                      f"name-problems {len(p['name_problems'])}  review {len(p['review'])}  check rc {p['check']['rc']}  "
                      f"idempotent {p['idempotent']['empty']}  {p['wall_s']:.2f}s", flush=True)
            else:
                print(f"  {mode}: port FAILED rc={p['rc']}\n{p.get('debug_traceback', '')}", flush=True)
        r["smoke"] = smoke_checks(spec["name"], stage, r["ports"], args.python)
        for sm in r["smoke"]:
            print(f"  smoke {sm['file']}: {sm['expression'][:60]}: " + "; ".join(
                f"{k}: {v['result'][:90]}" for k, v in sm["results"].items()), flush=True)
        if spec["name"] == "pytorch-examples" and not args.skip_train:
            r["ddp_run"] = ddp_tutorial_run(stage, r["ports"], args.python)
            for t in r["ddp_run"]:
                print(f"  ddp-tutorial torchrun x2: {t['label']}: rc {t['rc']} {t['at']} {t['error_line'] or t['epochs'][:2]}", flush=True)
        if spec["name"] == "nanoGPT" and not args.skip_train:
            res["nanogpt_train"] = nanogpt_train(stage, r["ports"], rdir / "train", args.python)
            for t in res["nanogpt_train"]:
                print(f"  train: {t['label']}: rc {t['rc']} {t['error_line'] or '; '.join(t['loss_lines'])}", flush=True)
        res["repos"].append(r)

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = _dt.date.today().isoformat()
    (out_dir / f"results-{stamp}.json").write_text(json.dumps(res, indent=1) + "\n")
    md = md_report(res)
    (out_dir / f"results-{stamp}.md").write_text(md + "\n")
    print()
    print(md)
    print(f"wrote {out_dir / f'results-{stamp}.json'} and .md; diffs and logs under {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
