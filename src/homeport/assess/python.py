"""Python analyzer: one pass over the `ast`, import aliases resolved, rules looked up in the index.

Why `ast` and not libcst: detection runs on every file and `ast` is several times faster; libcst is
kept for `homeport port`, on the few files that need a rewrite. Imports are resolved file-wide in
source order (an alias is known from its import statement on), which is how real code is written.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Sequence

from homeport.assess.destinations import signing_region
from homeport.assess.index import RuleIndex
from homeport.assess.reporter import Reporter
from homeport.core.inventory import Fact
from homeport.core.model import Category, FileResult, Skipped

_ROOTS_NEVER_MODULES = frozenset({"self", "cls"})


_NEWLINE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as Python's ast and editors count them. str.splitlines() also splits at \\f, \\v, \\x1c-\\x1e,
    \\x85, \\u2028 and \\u2029, which would shift every later line number (a form feed is common in Python)."""
    lines = _NEWLINE.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


class Lines:
    """The lines of a text, split on first use: most Python files need none (no finding, no URI)."""

    __slots__ = ("_text", "_lines")

    def __init__(self, text: str):
        self._text, self._lines = text, None

    def _split(self) -> list[str]:
        if self._lines is None:
            self._lines = split_lines(self._text)
        return self._lines

    def __getitem__(self, i):
        return self._split()[i]

    def __len__(self) -> int:
        return len(self._split())

    def __iter__(self):
        return iter(self._split())


def count_lines(text: str) -> int:
    """len(split_lines(text)), without building the list when the text has no lone carriage return."""
    if "\r" in text:
        return len(split_lines(text))
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def decode_python(data: bytes) -> str:
    """Decode as Python does: a BOM or a PEP 263 coding cookie, else UTF-8. Raises UnicodeDecodeError."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise UnicodeDecodeError("utf-8", data[:1], 0, 1, str(exc)) from exc
    return data.decode(encoding)


def analyze_python(result: FileResult, source: str, index: RuleIndex, reporter: Reporter,
                   line_offset: int = 0, aliases: dict[str, str] | None = None,
                   lines: Sequence[str] | None = None) -> None:
    """Analyze `source`; `line_offset` shifts reported lines (notebook cells), `aliases` carries the
    imports of earlier cells, `lines` are the source's lines when the caller has them already."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        result.skipped = Skipped(result.path, f"not valid Python 3 (line {(exc.lineno or 0) + line_offset}: "
                                              f"{exc.msg}); fix the syntax or exclude the file")
        return
    except MemoryError:
        result.skipped = Skipped(result.path, "ran out of memory while parsing; the file is too large or too deep")
        return
    except (ValueError, RecursionError) as exc:
        result.skipped = Skipped(result.path, f"could not be parsed: {type(exc).__name__}: {exc}")
        return
    try:
        _Walker(result, Lines(source) if lines is None else lines, index, reporter, line_offset, aliases).walk(tree)
    except RecursionError:
        result.skipped = Skipped(result.path, "expressions nested too deeply to analyze")


class _Walker:
    def __init__(self, result, lines, index, reporter, line_offset, aliases):
        self.result, self.index, self.reporter = result, index, reporter
        self.offset = line_offset
        self.lines = lines
        self.aliases: dict[str, str] = {} if aliases is None else aliases  # local name -> qualified name
        self._bound: set[str] = set()  # names bound to an SDK handle by assignment (see _bind)
        self._prose: set[int] = set()  # ids of string nodes that are messages for people (see _mark_prose)
        self._guarded: list[tuple[str, int, int]] = []  # (guard name, first, last line) of `if guard():` bodies
        self.destinations = reporter.destinations  # None unless `assess --policy` collects them
        self._signing: set[int] = set()  # ids of `region_name=` values that sign for an endpoint_url

    # -- positions -------------------------------------------------------------------------------
    def _col(self, lineno: int, byte_col: int) -> int:
        """ast columns are UTF-8 byte offsets; findings use characters."""
        if 0 < lineno <= len(self.lines):
            line = self.lines[lineno - 1]
            if not line.isascii():
                return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))
        return byte_col

    def _span(self, node) -> tuple[int, int, int, int]:
        """(line, column, end line, end column) as findings count them: offset lines, character columns."""
        line, end = node.lineno, node.end_lineno or node.lineno
        return (line + self.offset, self._col(line, node.col_offset), end + self.offset,
                self._col(end, node.end_col_offset or node.col_offset))

    def report(self, rule, node, message, value=None):
        self.reporter.add(rule, *self._span(node), message, value=value)

    # -- the walk --------------------------------------------------------------------------------
    def walk(self, tree: ast.AST) -> None:
        index = self.index
        aliases = self.aliases
        facts = self.result.facts
        stack: list[ast.AST] = [tree]
        pop, push = stack.pop, stack.extend
        Attribute, Name, Call, Constant = ast.Attribute, ast.Name, ast.Call, ast.Constant
        child_fields = _FIELDS
        while stack:
            node = pop()
            kind = type(node)
            if kind is Attribute:
                parts = [node.attr]
                cur = node.value
                while type(cur) is Attribute:
                    parts.append(cur.attr)
                    cur = cur.value
                if index.attributes and not index.attributes.keys().isdisjoint(parts):
                    # `self.is_cuda = ...` and later reads of it: a class's own attribute, no tensor's
                    own = parts[-1] if type(cur) is Name and cur.id == "self" else None
                    for attr in parts:
                        for rule in index.attributes.get(attr, ()):
                            if attr == own and rule.category is Category.ACCELERATOR:
                                continue
                            self.report(rule, node, rule.message.format(name=attr, instead=""))
                if type(cur) is Name:
                    parts.reverse()
                    qual = self._resolve(cur.id, parts)
                    if qual is not None:
                        self._name(qual, node, None)
                    continue
                stack.append(cur)
                continue
            if kind is Name:
                qual = aliases.get(node.id)
                if qual is not None:
                    self._name(qual, node, None)
                continue
            if kind is Constant:
                if type(node.value) is str:
                    self._string(node.value, node)
                continue
            if kind is Call:
                func = node.func
                if _is_prose_sink(func):
                    self._mark_prose(node.args)
                if node.keywords:
                    self._mark_prose(kw.value for kw in node.keywords if kw.arg in _PROSE_KEYWORDS)
                if type(func) is Attribute and func.attr in index.methods:
                    self._method(func.attr, node)
                if index.keywords:
                    for kw in node.keywords:
                        if kw.arg in index.keywords:
                            for rule in index.keywords[kw.arg]:
                                self.report(rule, kw, rule.message.format(name=kw.arg, instead=""))
                qual = self._qualname(func)
                if self.destinations is not None:
                    region = signing_region(node)
                    if region is not None:
                        self._signing.add(id(region))
                    if qual is not None:
                        self.destinations.call(qual, node, *self._span(node))
                if qual is not None:
                    self._name(qual, func, node)
                    if node.args and type(node.args[0]) is Constant and type(node.args[0].value) is str:
                        facts.append(Fact("call", qual, node.lineno + self.offset, node.args[0].value[:200]))
                    push(reversed(node.args))
                    push(kw.value for kw in reversed(node.keywords))
                    continue
            elif kind is ast.JoinedStr:
                self._joined(node)
                push(v.value for v in reversed(node.values) if type(v) is ast.FormattedValue)
                continue
            elif kind is ast.Expr and type(node.value) is Constant and type(node.value.value) is str:
                continue  # a docstring or bare string statement: prose, not code
            elif kind is ast.Import:
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    aliases[local] = alias.name if alias.asname else local
                    facts.append(Fact("import", alias.name, node.lineno + self.offset))
                    self._name(alias.name, node, None)
                continue
            elif kind is ast.ImportFrom:
                if node.level == 0 and node.module:
                    for alias in node.names:
                        if alias.name == "*":
                            continue
                        qual = f"{node.module}.{alias.name}"
                        aliases[alias.asname or alias.name] = qual
                        self._name(qual, node, None)
                    facts.append(Fact("import", node.module, node.lineno + self.offset))
                else:
                    facts.append(Fact("relimport", "." * node.level + (node.module or ""), node.lineno + self.offset,
                                      ",".join(a.name for a in node.names)))
                continue
            elif kind is ast.If:
                if _is_main_guard(node.test):
                    facts.append(Fact("entry", "__main__", node.lineno + self.offset))
                elif type(node.test) is Call and index.guards:
                    guard = self._qualname(node.test.func)
                    if guard in index.guards:
                        self._guarded.append((guard, node.body[0].lineno, node.body[-1].end_lineno or node.lineno))
            elif kind is ast.Assign:
                self._bind(node)
            elif kind is ast.Raise and type(node.exc) is Call:
                self._mark_prose(node.exc.args)
            # the children in source order, pushed last-first (inlined _children: the hottest loop)
            fields = child_fields.get(kind)
            if fields is None:
                fields = _child_fields(kind)
            kids = []
            for field in fields:
                value = getattr(node, field, None)
                if type(value) is list:
                    kids.extend(value)
                elif value is not None:
                    kids.append(value)
            kids.reverse()
            push(kids)

    def _qualname(self, func: ast.AST) -> str | None:
        parts = []
        cur = func
        while type(cur) is ast.Attribute:
            parts.append(cur.attr)
            cur = cur.value
        if type(cur) is not ast.Name:
            return None
        parts.reverse()
        return self._resolve(cur.id, parts)

    def _resolve(self, root: str, parts: list[str]) -> str | None:
        """`dist.init` -> `torch.distributed.init`; `self.s3.get_object` -> `boto3.client().get_object`."""
        if root == "self" and parts and "self." + parts[0] in self.aliases:
            root, parts = "self." + parts[0], parts[1:]
        qual = self.aliases.get(root)
        if qual is None:
            return None
        return ".".join([qual, *parts]) if parts else qual

    def _bind(self, node: ast.Assign) -> None:
        """Follow cloud SDK handles through assignments, so that calls on them are found: `run =
        Run.get_context()` then `run.log(...)`; `self.s3 = boto3.client("s3")` then `self.s3.get_object()`.
        Only handles (clients, sessions, workspaces, buckets, ...; _HANDLE) of cloud SDKs: a model wrapped
        by a cloud's DDP is still a torch module, and a tensor is no more CUDA-bound than its device."""
        if len(node.targets) != 1:
            return
        target, value = node.targets[0], node.value
        if type(target) is ast.Name:
            key = target.id
        elif type(target) is ast.Attribute and type(target.value) is ast.Name and target.value.id == "self":
            key = "self." + target.attr
        else:
            return
        qual = self._qualname(value.func) if type(value) is ast.Call else None
        if qual is not None and _HANDLE.search(qual.rsplit(".", 1)[-1]) and self._is_cloud(qual):
            self.aliases[key] = qual + "()"
            self._bound.add(key)
        elif key in self._bound:  # rebound to something else
            del self.aliases[key]
            self._bound.discard(key)

    def _is_cloud(self, qual: str) -> bool:
        return any(rule.category is Category.CLOUD for rule in self.index.rules_for_name(qual))

    def _name(self, qual: str, node: ast.AST, call: ast.Call | None) -> None:
        if call is None and "()." in qual + ".":
            return  # an SDK handle passed around or read (`client=client`, `blob.size`): only its calls count
        for rule in self.index.rules_for_name(qual):
            if rule.guarded_by and (type(node) in (ast.Import, ast.ImportFrom)  # the uses matter, not the import
                                    or self._is_guarded(rule.guarded_by, qual, node.lineno)):
                return
            message = rule.refine_call(qual, call)
            if message is not None:
                self.report(rule, node, message.format(name=qual, instead=rule_instead(rule, qual)))
                self.result.facts.append(Fact("use", qual, node.lineno + self.offset, rule.code))
                return

    def _is_guarded(self, guard: str, qual: str, line: int) -> bool:
        """The check itself, or a name of the checked module inside its `if` (a cuDNN check guards
        `torch.backends.cudnn.*`, not `torch.backends.cuda.*` written in the same block)."""
        if qual == guard:
            return True
        return qual.startswith(guard.rsplit(".", 1)[0] + ".") and any(
            g == guard and first <= line <= last for g, first, last in self._guarded)

    def _method(self, method: str, call: ast.Call) -> None:
        for rule in self.index.methods[method]:
            message = rule.refine_call(method, call)
            if message is not None:
                self.report(rule, _AttributeName(call.func),
                            message.format(name=f".{method}()", instead=rule_instead(rule, method)))
                return

    def _mark_prose(self, values) -> None:
        """Messages for people (print, logging, exceptions, help texts) mention URIs and devices without
        using them: `raise ValueError(f"expected s3://bucket/key, got {uri}")` is no tie to AWS."""
        for value in values:
            if type(value) is ast.Call and type(value.func) is ast.Attribute and value.func.attr == "format":
                value = value.func.value  # "... {}".format(x)
            if type(value) in (ast.Constant, ast.JoinedStr):
                self._prose.add(id(value))

    def _string(self, value: str, node: ast.AST) -> None:
        if self._prose and id(node) in self._prose:
            return
        if "://" in value[:10] and len(value) < 2048:
            line = node.lineno
            text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
            self.result.facts.append(Fact("uri", value, line + self.offset, text))
        elif value.endswith((".py", ".sh")) and len(value) < 200 and " " not in value:
            self.result.facts.append(Fact("script", value, node.lineno + self.offset))
        if len(value) > 4096:
            return  # a blob of data or prose, not a setting
        if self.destinations is not None:
            span = self._span(node)
            source = self.lines[node.lineno - 1] if 0 < node.lineno <= len(self.lines) else ""
            self.destinations.string(value, *span, source)
        # a region that signs for an endpoint_url is no place: not a destination (assess/destinations.py)
        destination = None if id(node) in self._signing else value
        for _match, rule in self.index.strings.first(value):
            shown = value if len(value) <= 80 else value[:77] + "..."
            self.report(rule, node, rule.message.format(name=shown, instead=rule_instead(rule, value)),
                        value=destination)
            self.result.facts.append(Fact("match", value, node.lineno + self.offset, rule.code))

    def _joined(self, node: ast.JoinedStr) -> None:
        """f"cuda:{rank}" is checked as the template "cuda:{}"."""
        template = "".join(v.value if type(v) is ast.Constant else "{}" for v in node.values)
        self._string(template, node)


# Fields that never hold an expression or statement worth visiting: names, flags, and the Load/Store
# context objects that ast.iter_child_nodes would hand over for every single name.
_NOT_CHILDREN = frozenset({"ctx", "op", "ops", "type_comment", "kind", "conversion", "level", "is_async", "simple",
                           "id", "attr", "arg", "name", "module", "asname", "names", "kwd_attrs", "type_ignores"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that hold child nodes (what ast.iter_child_nodes would look at, less
    _NOT_CHILDREN); str and None items of lists (dict keys, global names) have none."""
    fields = _FIELDS[kind] = tuple(f for f in getattr(kind, "_fields", ()) if f not in _NOT_CHILDREN)
    return fields


class _AttributeName:
    """Where `.cuda` itself is, not where the expression it ends starts (`torch.arange(n)\\n    .cuda()`)."""

    def __init__(self, node: ast.Attribute):
        self.lineno = self.end_lineno = node.end_lineno or node.lineno
        self.end_col_offset = node.end_col_offset or node.col_offset
        self.col_offset = max(self.end_col_offset - len(node.attr), 0)


def rule_instead(rule, key: str) -> str:
    table = getattr(rule, "replacements", None)
    if not table:
        return ""
    return table.get(key) or table.get(key.rsplit(".", 1)[-1], "")


_PROSE_KEYWORDS = frozenset({"help", "description", "epilog", "usage", "msg", "message"})
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal"})


def _is_prose_sink(func: ast.AST) -> bool:
    """print(...), logger.info(...), logging.warning(...), warnings.warn(...), console.print(...)."""
    if type(func) is ast.Name:
        return func.id in ("print", "warn")
    return type(func) is ast.Attribute and (func.attr in _LOG_METHODS or func.attr == "print")


# What an SDK call returns that stays tied to the cloud: clients, sessions and the like, by name.
_HANDLE = re.compile(r"(?i)client|resource|session|workspace|^run$|get_context|from_config|bucket|blob|datastore"
                     r"|dataset|experiment|^build$|container|service")


def _is_main_guard(test: ast.AST) -> bool:
    return (type(test) is ast.Compare and type(test.left) is ast.Name and test.left.id == "__name__"
            and len(test.comparators) == 1 and type(test.comparators[0]) is ast.Constant
            and test.comparators[0].value == "__main__")
