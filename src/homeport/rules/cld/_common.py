"""What the CLD rules share: where each kind of setting is written, severities, and small helpers
for anchored patterns and for reading a client factory's service name from a call.

Cloud findings do not depend on the accelerator target, so no CLD rule sets `on`.
"""

from __future__ import annotations

import ast
import re

from homeport.assess import kinds as K
from homeport.catalog.regions import instance_types
from homeport.core.model import Category, Severity
from homeport.core.rule import Rule

INFO, WARNING, BLOCKER = Severity.INFO, Severity.WARNING, Severity.BLOCKER

# Where environment variables, URIs, regions and hosts are written.
SETTINGS = frozenset({K.DOCKERFILE, K.YAML, K.JSON, K.SHELL, K.DOTENV, K.TERRAFORM, K.CONDA})
# Where command lines are written: scripts, images, CI and Kubernetes manifests.
COMMANDS = frozenset({K.SHELL, K.DOCKERFILE, K.YAML})
# Where identity policies and resource definitions are written.
INFRA = frozenset({K.TERRAFORM, K.JSON, K.YAML})
TERRAFORM = frozenset({K.TERRAFORM})
MANIFESTS = frozenset({K.YAML, K.JSON, K.TERRAFORM})

# A token in text: not glued to a word, a path, a host or a flag on the left, nor on the right.
# `:-` is allowed on the left for shell defaults (`${AWS_REGION:-eu-west-1}`); a `:` is not, so the
# parts of an ARN (`arn:aws:s3:eu-west-1:...`) are left to the ARN rule.
TOKEN_START = r"(?:(?<![\w.\-/:])|(?<=:-))"
TOKEN_END = r"(?![\w\-]|\.[A-Za-z0-9])"
# Characters of a host label, including template holes (`{}`, `{region}`, `${REGION}`, `$REGION`).
LABEL = r"[\w${}-]"
HOST_START = r"(?<![\w.${}-])"


def token(pattern: str) -> str:
    return f"{TOKEN_START}(?:{pattern}){TOKEN_END}"


def whole(pattern: str) -> str:
    return f"^(?:{pattern})$"


# A line that only prints a message (`echo "..."`, `fatal "AZURE_SUBSCRIPTION_ID required"`, `info "Run: az ml
# job download ..."`): prose for a person, not configuration. A redirection (`echo "X=1" >> $GITHUB_ENV`) or a
# pipe keeps the line a finding.
MESSAGE_LINE = (r"^\s*(?:\[\[.*?\]\]\s*(?:\|\||&&)\s*|-\s+)?(?:echo|printf|fatal|info|warn|warning|error|err|log"
                r"|log_\w+|die|logger|msg|note|print_\w+)\s+(?:-\w+\s+)*(?:\"[^\"]*\"|'[^']*')\s*;?\s*$")


class CloudRule(Rule, abstract=True):
    category = Category.CLOUD
    severity = WARNING
    text_unless = MESSAGE_LINE


def string_arg(call: ast.Call | None, keyword: str, position: int = 0) -> str | None:
    """The string literal passed at `position` or as `keyword=`, if any."""
    if call is None:
        return None
    if len(call.args) > position:
        arg = call.args[position]
        if type(arg) is ast.Constant and type(arg.value) is str:
            return arg.value
        return None
    for kw in call.keywords:
        if kw.arg == keyword and type(kw.value) is ast.Constant and type(kw.value.value) is str:
            return kw.value.value
    return None


def by_prefix(qualname: str, table: dict[str, str]) -> str | None:
    """The value for the longest key of `table` that is `qualname` or a dotted prefix of it."""
    parts = qualname.split(".")
    for end in range(len(parts), 0, -1):
        value = table.get(".".join(parts[:end]))
        if value is not None:
            return value
    return None


def spaced(names) -> str:
    """One regex for Azure-style names that also accepts their display forms: `westeurope` matches
    `West Europe`, `eastus2` matches `East US 2` (case is left to the caller's flags). The names are
    folded into a trie, so each position of a line is tried against one branch per letter instead of
    every name: a plain alternation of 66 regions made this the slowest pattern of the pack."""
    trie: dict = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a name

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + (" ?" if child and set(child) != {""} else "") + build(child)
                    for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


def instance_notes(provider: str, prefixes: tuple[str, ...] = ("",)) -> dict[str, str]:
    """`replacements` for an instance-type rule: type -> " (8x A100 (40 GiB each))", from the catalog."""
    return {prefix + item.instance_type: f" ({item.describe()})"
            for item in instance_types() if item.provider == provider for prefix in prefixes}
