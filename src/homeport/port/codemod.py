"""Rewrite one Python file with libcst, at the places the assessment flagged and with the fixers
registered for those rules. Formatting and comments are preserved because only the flagged nodes
are replaced; everything else is the original concrete syntax tree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider

from homeport.core.model import Applicability, Finding, Target
from homeport.port import fixers as _registered  # noqa: F401  (registers the fixers)
from homeport.port.changes import Change, Status
from homeport.port.fixers.base import (ACCELERATOR, ASSIGN, ATTRIBUTE, CALL, COMPARISON, FIXERS, IMPORT, KEYWORD,
                                       METHOD, STRING, FixContext, Fixer, Unfixable, code, replace_literal, show)


_AVAILABILITY = frozenset({"torch.cuda.is_available", "torch.accelerator.is_available"})


@dataclass(frozen=True)
class Options:
    target: Target = Target.PORTABLE
    min_torch: tuple[int, int] = (2, 6)
    unsafe: bool = False
    registry: str = ""  # the target's container registry (HOST[/PREFIX]) that ECR images move to


def port_python(path: str, source: str, findings: list[Finding], options: Options) -> tuple[str, list[Change]]:
    """The ported source and one Change per flagged node a fixer looked at. Raises cst.ParserSyntaxError."""
    flagged = [f for f in findings if f.rule in FIXERS]
    if not flagged:
        return source, []
    wrapper = MetadataWrapper(cst.parse_module(source))
    fixer = _FileFixer(path, flagged, options, _module_aliases(wrapper.module))
    fixer.defined = _functions(wrapper.module)
    module = wrapper.visit(fixer)
    module = _add_preamble(module)  # raises NotPortable
    module = _drop_unused_imports(module, [d for _, d in fixer.drop])
    left = _imported(module)
    statements: dict[tuple, list[str]] = defaultdict(list)
    for site, (mod, name) in fixer.drop:
        if f"{mod}.{name}" in left:
            statements[site].append(name)
        else:
            statements.setdefault(site, [])
    for (fx, line, before), used in statements.items():
        fixer.changes.append(Change(path, line, fx.rule, before, before if used else "", fx.kind, fx.applicability,
                                    Status.LEFT if used else Status.APPLIED,
                                    f"still used after the rewrite: {', '.join(used)}" if used else ""))
    try:  # never hand back what Python cannot read: a fixer's slip costs this file its port, not the run
        compile(module.code, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise NotPortable(f"the rewrite would not compile (line {exc.lineno}: {exc.msg}); please report this "
                          "file shape") from exc
    return module.code, fixer.changes


class _FileFixer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(self, path: str, findings: list[Finding], options: Options, aliases: dict[str, str]):
        super().__init__()
        self.path, self.options = path, options
        self.at: dict[tuple[int, int], list[str]] = defaultdict(list)
        for f in findings:
            self.at[(f.location.line, f.location.column - 1)].append(f.rule)
        self.aliases = aliases
        self.changes: list[Change] = []
        self.drop: list[tuple[tuple, tuple[str, str]]] = []  # ((fixer, line, code), (module, name)): drop if unused
        self.guards: set[int] = set()
        self._checked: list[bool] = []  # per enclosing `if`: is its test "is there an accelerator?"
        self.defined: frozenset[str] = frozenset()  # the functions the file defines (see _functions)
        self._made: set[int] = set()  # ids of the `if` guards this port wrote (see _merge_guards)
        self._calls: list[cst.Call] = []  # the calls being visited, innermost last
        self._concatenated: set[int] = set()  # ids of the parts of implicitly concatenated strings
        self._compared: dict[int, cst.SimpleString] = {}  # id(comparison) -> its literal operand
        self._tables: set[int] = set()  # ids of literals that are entries of a per-device table
        self._follow_ups: dict[int, list[Fixer]] = defaultdict(list)  # id(original call) -> its pending edits

    # -- dispatch --------------------------------------------------------------------------------
    def _apply(self, original: cst.CSTNode, anchor: cst.CSTNode, updated: cst.CSTNode, shape: str,
               qualname_of: cst.CSTNode | None = None):
        """Run the fixers of `shape` for the rules flagged at `anchor`'s position on `updated`."""
        pos = self.get_metadata(PositionProvider, anchor).start
        rules = self.at.get((pos.line, pos.column))
        if not rules:
            return updated
        qualname = self._qualname(qualname_of) if qualname_of is not None else None
        for rule in rules:
            for fx in FIXERS.get(rule, ()):
                if fx.shape == shape and fx.handles(qualname):
                    updated = self._run(fx, original, updated, pos.line, qualname)
                    break
        return updated

    def _run(self, fx: Fixer, original, updated, line: int, qualname: str | None):
        if fx.shape == STRING and id(original) in self._tables:
            self._log(fx, line, code(original), "", Status.UNSUPPORTED,
                      "an entry of a per-device table: add the target's entry beside it by hand")
            return updated
        ctx = FixContext(self.options.target, self.options.min_torch, self.aliases)
        ctx.qualname = qualname
        ctx.guarded = bool(self._checked) and self._checked[-1]
        ctx.defined = self.defined
        if fx.shape not in (CALL, METHOD) and self._calls:
            ctx.enclosing = self._qualname(self._calls[-1].func)
        before = code(original).strip()
        try:
            replacement = fx.func(updated, ctx)
        except Unfixable as why:
            self._log(fx, line, before, "", Status.UNSUPPORTED, str(why))
            return updated
        after = "" if replacement is None else code(replacement).strip()
        if after == code(updated).strip():
            return updated  # already portable (a fixer may decline by returning the node)
        reason = self._why_not(fx)
        if reason:
            self._log(fx, line, before, after, Status.LEFT, reason)
            return updated
        self.guards |= ctx.guards
        if ctx.follow_ups and self._calls:
            self._follow_ups[id(self._calls[-1])].extend(ctx.follow_ups)
        self._log(fx, line, before, after, Status.APPLIED, "")
        if isinstance(replacement, cst.If):
            self._made.add(id(replacement))
        return cst.RemoveFromParent() if replacement is None else replacement

    def _why_not(self, fx: Fixer) -> str:
        if self.options.min_torch < fx.min_torch:
            return (f"needs torch >= {show(fx.min_torch)}; the requirements allow {show(self.options.min_torch)} "
                    f"(raise the floor and pass --min-torch {show(fx.min_torch)})")
        if fx.applicability is Applicability.UNSAFE and not self.options.unsafe:
            return "unsafe: may change behaviour on the source machine (pass --unsafe-fixes to apply)"
        return ""

    def _log(self, fx: Fixer, line: int, before: str, after: str, status: Status, reason: str) -> None:
        self.changes.append(Change(self.path, line, fx.rule, before, after, fx.kind, fx.applicability, status, reason))

    def _qualname(self, node: cst.CSTNode) -> str | None:
        names = self.get_metadata(QualifiedNameProvider, node, set())
        return max((n.name for n in names), key=len, default=None)

    # -- nodes -----------------------------------------------------------------------------------
    def visit_If(self, node: cst.If) -> None:
        test = node.test.func if isinstance(node.test, cst.Call) else None
        self._checked.append(test is not None and self._qualname(test) in _AVAILABILITY)

    def leave_If(self, original: cst.If, updated: cst.If):
        self._checked.pop()
        test = updated.test
        if (isinstance(test, (cst.Comparison, cst.IfExp, cst.BooleanOperation)) and test.lpar
                and not getattr(original.test, "lpar", None)):
            return updated.with_changes(test=test.with_changes(lpar=[], rpar=[]))  # `if (a == b):` reads oddly
        return updated

    def visit_Call(self, node: cst.Call) -> None:
        self._calls.append(node)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        self._calls.pop()
        updated = self._keywords(original, updated)
        line = self.get_metadata(PositionProvider, original).start.line
        for fx in self._follow_ups.pop(id(original), ()):
            updated = self._run(fx, original, updated, line, self._qualname(original.func))
        if isinstance(original.func, cst.Attribute):
            result = self._apply(original, original.func.attr, updated, METHOD)
            if result is not updated:
                return result
        return self._apply(original, original.func, updated, CALL, qualname_of=original.func)

    def _keywords(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        args = []
        for orig_arg, arg in zip(original.args, updated.args):
            if orig_arg.keyword is not None:
                arg = self._apply(orig_arg, orig_arg, arg, KEYWORD)
            if not isinstance(arg, cst.RemovalSentinel):
                args.append(arg)
        if len(args) == len(updated.args):
            return updated
        if args and args[-1].comma is not cst.MaybeSentinel.DEFAULT and not updated.args[-1].comma:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        elif args and updated.args[-1].comma is cst.MaybeSentinel.DEFAULT:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(args=args)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self._concatenated.update(id(part) for part in (node.left, node.right))

    def leave_ConcatenatedString(self, original, updated):
        """`"cuda" ":0"` is one literal to the detector: the fixers see it as one plain string."""
        value = original.evaluated_value
        if not isinstance(value, str):
            return updated
        result = self._apply(original, original, cst.SimpleString(repr(value)), STRING)
        return updated if isinstance(result, cst.SimpleString) and result.evaluated_value == value else result

    def visit_Dict(self, node: cst.Dict) -> None:
        """{"cuda": "nccl", "xpu": "ccl"} is a table by device: renaming its CUDA entry would clobber another."""
        entries = [e for e in node.elements if isinstance(e, cst.DictElement)]
        if _device_names(e.key for e in entries) >= 2:
            self._tables.update(id(part) for e in entries for part in (e.key, e.value))

    def _sequence(self, node) -> None:
        if _device_names(e.value for e in node.elements) >= 2:  # ["cuda", "xpu", "hpu"]
            self._tables.update(id(e.value) for e in node.elements)

    visit_List = visit_Tuple = visit_Set = _sequence

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if len(node.comparisons) == 1:
            for side in (node.left, node.comparisons[0].comparator):
                elements = [e.value for e in side.elements] if isinstance(side, (cst.Tuple, cst.List, cst.Set)) else [side]
                literals = [e for e in elements if isinstance(e, cst.SimpleString)]
                if len(literals) == 1 and len(elements) == 1 or isinstance(side, cst.SimpleString):
                    self._compared[id(node)] = literals[0]  # `x == "cuda"`, `x in ("cuda",)`
                    self._concatenated.add(id(literals[0]))  # handled with its comparison, in leave_Comparison
                    return

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison):
        """`device == "cuda"` means "on the accelerator": a comparison fixer says so; rules without one
        rewrite the literal as they would anywhere else."""
        literal = self._compared.pop(id(original), None)
        if literal is None:
            return updated
        pos = self.get_metadata(PositionProvider, literal).start
        rules = self.at.get((pos.line, pos.column), ())
        if any(fx.shape == COMPARISON for rule in rules for fx in FIXERS.get(rule, ())):
            return self._apply(literal, literal, updated, COMPARISON)
        return replace_literal(updated, lambda node: self._apply(literal, literal, node, STRING))

    def leave_SimpleString(self, original, updated):
        if id(original) in self._concatenated:
            return updated
        return self._apply(original, original, updated, STRING)

    def leave_FormattedString(self, original, updated):
        if id(original) in self._concatenated:
            return updated
        return self._apply(original, original, updated, STRING)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute):
        return self._apply(original, original, updated, ATTRIBUTE)

    def leave_SimpleStatementLine(self, original, updated):
        stmt = original.body[0] if len(original.body) == 1 else None
        if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0].target
            updated = self._apply(original, target, updated, ASSIGN, qualname_of=target)
        elif isinstance(stmt, cst.ImportFrom):
            self._imports(original, stmt)
        return self._statement_guard(updated)

    def _imports(self, line: cst.SimpleStatementLine, stmt: cst.ImportFrom) -> None:
        """`from torch.cuda.amp import autocast`: the call sites are rewritten, so the names go when unused."""
        pos = self.get_metadata(PositionProvider, stmt).start
        for rule in self.at.get((pos.line, pos.column), ()):
            for fx in FIXERS.get(rule, ()):
                if fx.shape == IMPORT and isinstance(stmt.names, (list, tuple)) and stmt.module is not None:
                    module = code(stmt.module)
                    names = [code(a.name) for a in stmt.names if fx.handles(f"{module}.{code(a.name)}")]
                    reason = self._why_not(fx)
                    if names and reason:
                        self._log(fx, pos.line, code(line).strip(), "", Status.LEFT, reason)
                    elif names:
                        self.drop.extend(((fx, pos.line, code(line).strip()), (module, n)) for n in names)

    def _statement_guard(self, line):
        """A guarded call standing alone as a statement reads better as an `if` block."""
        if (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and isinstance(line.body[0], cst.Expr)
                and id(line.body[0].value) in self.guards):
            guarded: cst.IfExp = line.body[0].value
            body = line.with_changes(body=[cst.Expr(guarded.body)], leading_lines=[])
            made = cst.If(test=guarded.test, body=cst.IndentedBlock([body]), leading_lines=line.leading_lines)
            self._made.add(id(made))
            return made
        return line

    def leave_IndentedBlock(self, original, updated):
        return updated.with_changes(body=self._merge_guards(updated.body))

    def leave_Module(self, original, updated):
        return updated.with_changes(body=self._merge_guards(updated.body))

    def _merge_guards(self, body):
        """Adjacent guards with the same test, both written by this port, become one `if` block."""
        out = []
        for stmt in body:
            prev = out[-1] if out else None
            if (isinstance(stmt, cst.If) and isinstance(prev, cst.If) and {id(stmt), id(prev)} <= self._made
                    and not stmt.orelse and not prev.orelse and not stmt.leading_lines
                    and code(stmt.test) == code(prev.test)):
                out[-1] = prev.with_changes(body=prev.body.with_changes(body=[*prev.body.body, *stmt.body.body]))
                self._made.add(id(out[-1]))
            else:
                out.append(stmt)
        return out


_DEVICE_NAMES = frozenset({"cuda", "cpu", "xpu", "hpu", "npu", "mps", "mtia", "xla", "meta", "privateuseone",
                           "nccl", "gloo", "hccl", "xccl", "ccl", "mpi", "ucc"})


def _device_names(nodes) -> int:
    return sum(isinstance(n, cst.SimpleString) and n.evaluated_value in _DEVICE_NAMES for n in nodes)


def _module_aliases(module: cst.Module) -> dict[str, str]:
    """Top-level imports: qualified module -> the local name it is bound to."""
    aliases: dict[str, str] = {}
    for stmt in module.body:
        for small in getattr(stmt, "body", ()) if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Import):
                for alias in small.names:
                    dotted = code(alias.name)
                    if alias.asname:
                        aliases[dotted] = code(alias.asname.name)
                    else:
                        aliases.setdefault(dotted.split(".")[0], dotted.split(".")[0])
            elif isinstance(small, cst.ImportFrom) and not small.relative and isinstance(small.names, (list, tuple)):
                base = code(small.module) if small.module else ""
                for alias in small.names:
                    name = code(alias.name)
                    aliases[f"{base}.{name}"] = code(alias.asname.name) if alias.asname else name
    return aliases


def _functions(module: cst.Module) -> frozenset[str]:
    names: set[str] = set()

    class _Find(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            names.add(node.name.value)

    module.visit(_Find())
    return frozenset(names)


def _imported(module: cst.Module) -> set[str]:
    """Every `module.name` a from-import anywhere in the file still brings in (try blocks included)."""
    names: set[str] = set()

    class _Find(cst.CSTVisitor):
        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            if node.module is not None and isinstance(node.names, (list, tuple)):
                names.update(f"{code(node.module)}.{code(a.name)}" for a in node.names)

    module.visit(_Find())
    return names


_IMPORTED = ("os", "torch")  # modules new code may use without the file having imported them
# The accelerator, or the CPU on a machine without one (a CUDA build of torch on a CPU-only host included).
_BINDING = (f"{ACCELERATOR} = torch.accelerator.current_accelerator() if torch.accelerator.is_available() "
            'else torch.device("cpu")')


class NotPortable(ValueError):
    """The file as a whole cannot take the rewrite (the engine leaves it unchanged and says why)."""


def _add_preamble(module: cst.Module) -> cst.Module:
    """`import torch` (or `os`) when the new code uses it and the file did not import it, right after the
    docstring and `__future__` imports; the accelerator binding once, after the import that binds torch
    and the imports that precede its first use. Decided on the final tree, so a replacement that a later
    one removed (a keyword dropped with its "cuda" value) leaves nothing behind."""
    body = list(module.body)
    uses = any(_mentions(s, ACCELERATOR) and not _defines(s, ACCELERATOR) for s in body)
    binding = next((s for s in body if _defines(s, ACCELERATOR)), None)
    if binding is not None and code(binding).strip() != _BINDING:
        raise NotPortable(f"the file already defines `{ACCELERATOR}` its own way; rename it, then port again")
    bound = set(_module_aliases(module).values())
    needed = [n for n in _IMPORTED if n not in bound
              and (n == "torch" and uses and binding is None or any(_mentions(s, n) for s in body))]
    if "torch" in needed and _imports_torch_elsewhere(module):
        raise NotPortable("torch is imported conditionally (in a try block or a function); homeport adds no "
                          "top-level `import torch`: import it at the top, then port again")
    head = _after_docstring(body, len(body))
    while head < len(body) and _is_future(body[head]):
        head += 1
    body[head:head] = [cst.parse_statement(f"import {n}\n") for n in needed]
    if not uses or binding is not None:
        return module.with_changes(body=body)
    first_use = next((i for i, s in enumerate(body) if _mentions(s, ACCELERATOR)), len(body))
    torch_at = next((i for i, s in enumerate(body) if _binds(s, "torch")), head)
    imports = [i for i, s in enumerate(body[:first_use]) if _is_import(s)]
    at = max([torch_at, *imports]) + 1
    if at < len(body):
        body[at] = body[at].with_changes(leading_lines=body[at].leading_lines or [cst.EmptyLine()])
    return module.with_changes(body=body[:at] + [cst.parse_statement(_BINDING + "\n")] + body[at:])


def _is_future(stmt) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, cst.ImportFrom) and s.module is not None and code(s.module) == "__future__" for s in stmt.body)


def _binds(stmt, name: str) -> bool:
    """A top-level `import torch` / `import torch.x` statement (what binds the name `torch`)."""
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, cst.Import) and any(a.asname is None and code(a.name).split(".")[0] == name for a in s.names)
        for s in stmt.body)


def _imports_torch_elsewhere(module: cst.Module) -> bool:
    """`try: import torch` or an `import torch` inside a function: torch is optional or lazy there."""
    found = []

    class _Find(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            if any(code(a.name).split(".")[0] == "torch" for a in node.names):
                found.append(node)

    for stmt in module.body:
        if not (isinstance(stmt, cst.SimpleStatementLine) and _is_import(stmt)):
            stmt.visit(_Find())
    return bool(found)


def _after_docstring(body, limit: int) -> int:
    if body and limit and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr) \
            and isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        return 1
    return 0


def _is_import(stmt) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def _mentions(node: cst.CSTNode, name: str) -> bool:
    found = []

    class _Find(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> bool:  # `x.torch` is no use of `torch`
            n.value.visit(self)
            return False

        def visit_Import(self, n) -> bool:  # `import torch.distributed` binds, it does not use
            return False

        def visit_ImportFrom(self, n) -> bool:
            return False

        def visit_Name(self, n: cst.Name) -> None:
            if n.value == name:
                found.append(n)

    node.visit(_Find())
    return bool(found)


def _defines(stmt, name: str) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == name for t in s.targets)
        for s in stmt.body)


def _drop_unused_imports(module: cst.Module, drop: list[tuple[str, str]]) -> cst.Module:
    """Remove `from M import N` names the rewrite left unused (e.g. `from torch.cuda.amp import autocast`)."""
    if not drop:
        return module
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import RemoveImportsVisitor

    context = CodemodContext()
    for mod, name in drop:
        RemoveImportsVisitor.remove_unused_import(context, mod, name)
    return RemoveImportsVisitor(context).transform_module(module)

