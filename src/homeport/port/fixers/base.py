"""How a fix is declared: a function registered for a rule code and a node shape.

The detector (assess, on Python's ast) decides *where* a rule applies; a fixer only says *what* the
portable form of that node is. The codemod (port/codemod.py) calls a fixer for a node only when the
assessment reported that rule at that node's position, so detection and fixing never disagree about
prose strings, import aliases or suppressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import libcst as cst

from homeport.core.model import Applicability, Target
from homeport.port.changes import Kind

# Shapes: what node a fixer receives.
CALL = "call"  # a call of a matched qualified name: the (updated) cst.Call
METHOD = "method"  # a matched method call (`x.cuda()`): the cst.Call
STRING = "string"  # a matched string literal: cst.SimpleString or cst.FormattedString
KEYWORD = "keyword"  # a matched keyword argument: the cst.Arg; return None to drop it
ATTRIBUTE = "attribute"  # a matched attribute read (`x.is_cuda`): the cst.Attribute
ASSIGN = "assign"  # an assignment to a matched name: the cst.SimpleStatementLine
IMPORT = "import"  # an import of a matched name: the statement; a fixer marks names to drop if unused
COMPARISON = "comparison"  # `x == "cuda"`: the cst.Comparison around a matched literal (else STRING runs)

ACCELERATOR = "_accelerator"  # the module-level binding the codemod inserts once per file


class Unfixable(Exception):
    """This occurrence has no portable form the fixer can write (the message says why)."""


@dataclass(frozen=True)
class Fixer:
    rule: str
    shape: str
    func: Callable
    kind: Kind
    applicability: Applicability
    min_torch: tuple[int, int]
    names: tuple[str, ...]  # for CALL/ASSIGN: the qualified names it handles (empty: all of the rule's)

    def handles(self, qualname: str | None) -> bool:
        return not self.names or (qualname is not None and any(
            qualname == n or qualname.startswith(n + ".") for n in self.names))


FIXERS: dict[str, list[Fixer]] = {}


def fixer(rule: str, shape: str, *, names: tuple[str, ...] = (), kind: Kind = Kind.EXACT, unsafe: bool = False,
          min_torch: tuple[int, int] = (0, 0)):
    """Register `func(node, fix: FixContext) -> replacement` as the fix of `rule` for nodes of `shape`."""

    def register(func: Callable) -> Callable:
        applicability = Applicability.UNSAFE if unsafe else Applicability.SAFE
        FIXERS.setdefault(rule, []).append(Fixer(rule, shape, func, kind, applicability, min_torch, names))
        return func

    return register


def version(text: str) -> tuple[int, int]:
    """'2.6' -> (2, 6); raises ValueError for anything else."""
    major, minor = text.strip().split(".")[:2]
    return int(major), int(minor)


def show(v: tuple[int, int]) -> str:
    return f"{v[0]}.{v[1]}"


class FixContext:
    """What a fixer may ask for while building a replacement: references spelled the way the file
    imports them, the accelerator binding, guards. The codemod adds `import torch` and the binding
    afterwards, if the final code uses them."""

    def __init__(self, target: Target, min_torch: tuple[int, int], aliases: dict[str, str]):
        self.target = target
        self.min_torch = min_torch
        self.aliases = aliases  # module-level: qualified module -> local name (`torch.distributed` -> `dist`)
        self.qualname: str | None = None  # the matched name, for CALL/ASSIGN/IMPORT fixers
        self.guards: set[int] = set()  # ids of the IfExp nodes built by `guard`
        self.guarded = False  # inside `if torch.accelerator.is_available():` already
        self.enclosing: str | None = None  # the qualified name of the call this node is an argument of
        self.defined: frozenset[str] = frozenset()  # the names of the functions and methods the file defines
        self.follow_ups: list[Fixer] = []  # edits of that call, applied (and logged) with their own safety

    @property
    def leaf(self) -> str:
        """The last part of the matched name: `synchronize` for `torch.cuda.synchronize`."""
        return (self.qualname or "").rsplit(".", 1)[-1]

    def at_least(self, major: int, minor: int) -> bool:
        return self.min_torch >= (major, minor)

    def ref(self, dotted: str) -> cst.BaseExpression:
        """`torch.distributed.get_default_backend_for_device` as this file spells it (`dist.` when it
        imported `torch.distributed as dist`), else through `import torch`."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            local = self.aliases.get(".".join(parts[:cut]))
            if local:
                return cst.parse_expression(".".join([local, *parts[cut:]]))
        return cst.parse_expression(dotted)

    def follow_up(self, rule: str, edit: Callable, kind: Kind, unsafe: bool) -> None:
        """Also edit the enclosing call once this fix is applied (`init_process_group("nccl")` gets a
        `device_id`): a separate change in the log, applied only if its own safety allows."""
        applicability = Applicability.UNSAFE if unsafe else Applicability.SAFE
        self.follow_ups.append(Fixer(rule, CALL, edit, kind, applicability, self.min_torch, ()))

    def accelerator(self) -> cst.Name:
        """The current accelerator with a CPU fallback (never None, never a bare int)."""
        return cst.Name(ACCELERATOR)

    def accelerator_type(self) -> cst.Attribute:
        return cst.Attribute(self.accelerator(), cst.Name("type"))

    def available(self) -> cst.BaseExpression:
        return cst.Call(self.ref("torch.accelerator.is_available"))

    def guard(self, call: cst.BaseExpression, fallback: str = "None") -> cst.BaseExpression:
        """`call` only when there is an accelerator: torch.accelerator raises without one, where the
        CUDA original was a no-op or answered zero. As a statement the codemod turns it into an `if`."""
        if self.guarded:
            return call
        guarded = cst.IfExp(test=self.available(), body=call, orelse=cst.parse_expression(fallback),
                            lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        self.guards.add(id(guarded))
        return guarded


def code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def replace_literal(comparison: cst.Comparison, replace) -> cst.Comparison:
    """The comparison with its one string literal (an operand, or the one element of a tuple, list or
    set operand) replaced by `replace(literal)`."""
    def side(node):
        if isinstance(node, cst.SimpleString):
            return replace(node)
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)) and len(node.elements) == 1:
            (element,) = node.elements
            if isinstance(element.value, cst.SimpleString):
                return node.with_changes(elements=[element.with_changes(value=replace(element.value))])
        return node

    target = comparison.comparisons[0]
    return comparison.with_changes(left=side(comparison.left),
                                   comparisons=[target.with_changes(comparator=side(target.comparator))])


_TIGHT = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name), equal=_TIGHT)


def bind(call: cst.Call, positional: tuple[str, ...]) -> dict[str, cst.BaseExpression]:
    """The call's arguments by parameter name; Unfixable for `*args`/`**kwargs` or too many positionals."""
    bound: dict[str, cst.BaseExpression] = {}
    position = 0
    for arg in call.args:
        if arg.star:
            raise Unfixable(f"`{arg.star}` arguments: the parameters they fill are not known before run time")
        if arg.keyword is None:
            if position >= len(positional):
                raise Unfixable(f"a positional argument after `{positional[-1]}`; pass it by keyword")
            name = positional[position]
            position += 1
        else:
            name = arg.keyword.value
        bound[name] = arg.value
    return bound


def by_keyword(call: cst.Call, positional: tuple[str, ...], first: tuple[str, ...] = ()) -> list[cst.Arg]:
    """The call's arguments with every positional one named after `positional`, except the names in
    `first`, which stay positional and in front (where the new function takes them by position)."""
    bound = bind(call, positional)
    return ([cst.Arg(bound[n]) for n in first if n in bound]
            + [keyword(n, v) for n, v in bound.items() if n not in first])
