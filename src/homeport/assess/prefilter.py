"""A literal prefilter for many regexes at once (the trick of ripgrep and Hyperscan, in small).

Every match of a rule's regex contains at least one of a few literal strings that can be read off
the regex itself (`--dist[-_]backend` always contains "--dist"). One trie-shaped regex of all those
literals, searched in a lower-cased line, says in one pass whether any rule can match there; most
lines of a large repository contain none, and the rules' own regexes never run on them.
"""

from __future__ import annotations

import re
import sys

if sys.version_info >= (3, 11):
    from re import _constants as C
    from re import _parser as P
else:  # pragma: no cover
    import sre_constants as C
    import sre_parse as P

MIN_LITERAL = 2  # shorter literals would let every line through; 2 still rules out most lines


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-cased strings one of which every match of `pattern` contains, or None if none are known."""
    try:
        found = _sequence(P.parse(pattern))
    except (re.error, RecursionError, TypeError, ValueError):
        return None
    return frozenset(found) if found else None


_MAX_PRODUCT = 64  # concatenating alternatives multiplies them; beyond this, keep the shorter pieces


def _exact(items) -> set[str] | None:
    """All strings a sequence can match, if it is made of literals and alternatives only, else None."""
    out = {""}
    for op, av in items:
        if op is C.LITERAL:
            out = {s + chr(av) for s in out}
            continue
        if op is C.SUBPATTERN:
            inner = _exact(av[-1])
        elif op is C.BRANCH:
            parts = [_exact(b) for b in av[1]]
            inner = set().union(*parts) if all(p is not None for p in parts) else None
        else:
            inner = None
        if inner is None or len(out) * len(inner) > _MAX_PRODUCT:
            return None
        out = {a + b for a in out for b in inner}
    return out


def _sequence(items) -> set[str] | None:
    """The best literal set of a sequence: runs of exact pieces (literals, and alternatives of
    literals, concatenated: `(?:s3|iam):` gives {"s3:", "iam:"}), each group, each branch."""
    candidates: list[set[str]] = []
    run: set[str] = {""}

    def flush():
        nonlocal run
        if run != {""}:
            candidates.append(run)
        run = {""}

    for op, av in items:
        exact = None
        if op is C.LITERAL:
            exact = {chr(av)}
        elif op in (C.SUBPATTERN, C.BRANCH):
            exact = _exact([(op, av)])
        if exact is not None and len(run) * len(exact) <= _MAX_PRODUCT:
            run = {a + b for a in run for b in exact}
            continue
        flush()
        if op is C.SUBPATTERN:
            inner = _sequence(av[-1])
            if inner:
                candidates.append(inner)
        elif op is C.BRANCH:
            branches = [_sequence(b) for b in av[1]]
            if all(branches):
                candidates.append(set().union(*branches))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)) and av[0] >= 1:
            inner = _sequence(av[2])
            if inner:
                candidates.append(inner)
        # anything else (classes, anchors, lookarounds, backreferences) ends a literal run
    flush()
    usable = [{s.lower() for s in c} for c in candidates if c and min(map(len, c)) >= MIN_LITERAL]
    return max(usable, key=lambda c: (min(map(len, c)), -len(c))) if usable else None


def trie_regex(words) -> str:
    """`cuda`, `cudnn`, `nccl` -> `(?:cud(?:a|nn)|nccl)`: one branch per first character."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node) -> str:
        ends = "" in node
        parts = [re.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch]
        if not parts:
            return ""
        body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        return f"(?:{body})?" if ends else body

    return render(trie)


class PatternSet:
    """Rules matched by regex on one kind of text, with the literal prefilter in front of them.

    One pass of a trie regex finds every literal present in the text (at each position the longest
    one, which also proves every shorter literal that is a prefix of it); only the rules that need
    one of those literals run. Patterns whose literals cannot be read off (and that declare no
    `prefilter`) run on every text.
    """

    def __init__(self, items: list[tuple[str, str | None, object, tuple[str, ...]]]):
        """items: (pattern, unless pattern or None, rule, declared prefilter literals)."""
        self.entries = []
        self._unfiltered: list[int] = []
        self._by_literal: dict[str, list[int]] = {}
        for i, (pattern, unless, rule, declared) in enumerate(items):
            self.entries.append((re.compile(pattern), re.compile(unless) if unless else None, rule))
            literals = frozenset(w.lower() for w in declared) if declared else required_literals(pattern)
            if not literals:
                self._unfiltered.append(i)
            for word in literals or ():
                self._by_literal.setdefault(word, []).append(i)
        words = sorted(self._by_literal)
        self._prefixes = {w: [p for p in words if w.startswith(p)] for w in words}
        trie = trie_regex(words)
        self._any = re.compile(trie) if words else None  # one search: does any literal occur at all?
        self._scan = re.compile(f"(?=({trie}))") if words else None  # then where, overlapping
        self._none = [self.entries[i] for i in self._unfiltered]

    def candidates(self, text: str):
        lower = text.lower()
        if self._any is None or self._any.search(lower) is None:
            return self._none  # most lines: no literal of any rule
        chosen = set(self._unfiltered)
        if self._scan is not None:
            seen = set()
            for match in self._scan.finditer(lower):
                longest = match.group(1)
                if longest not in seen:
                    seen.add(longest)
                    for word in self._prefixes[longest]:
                        chosen.update(self._by_literal[word])
        return [self.entries[i] for i in sorted(chosen)]

    def finditer(self, text: str):
        """(match, rule) for every match of every rule in `text`."""
        for pattern, unless, rule in self.candidates(text):
            if unless is not None and unless.search(text):
                continue
            for match in pattern.finditer(text):
                yield match, rule

    def first(self, text: str):
        """(match, rule) for the first match of each rule that matches `text`."""
        for pattern, unless, rule in self.candidates(text):
            if unless is None or not unless.search(text):
                match = pattern.search(text)
                if match:
                    yield match, rule
