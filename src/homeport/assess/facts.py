"""What non-Python files say about the pipeline's shape: images, scripts they run, manifests, URIs.
These facts feed the inventory; findings come from the rules."""

from __future__ import annotations

import re

from homeport.assess import kinds as K
from homeport.core.inventory import Fact

STORAGE_URI = re.compile(r"\b(?:s3a?|s3n|gs|abfss?|wasbs?|az|hdfs|oci|swift)://[^\s\"'<>()\[\]{},;`]+")
_FROM = re.compile(r"^\s*FROM:?\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.I)
_IMAGE = re.compile(r"^\s*-?\s*[\"']?image[\"']?\s*[:=]\s*[\"']?([^\s\"'#]+)")
_MANIFEST_KIND = re.compile(r"^kind:\s*([A-Za-z]+)")
_TF_RESOURCE = re.compile(r'^\s*(?:resource|data)\s+"([a-z0-9_]+)"')
_SCRIPT = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.(?:py|sh))\b")
_RUNS = re.compile(r"\b(?:python3?|torchrun|accelerate\s+launch|deepspeed|srun|bash|sh|exec|ENTRYPOINT|CMD|"
                   r"command|args|entry_point|script)\b", re.I)


def text_facts(kind: str, lines: list[str], strip, line_offset: int = 0) -> list[Fact]:
    facts: list[Fact] = []
    for number, raw in enumerate(lines, start=1 + line_offset):
        line = strip(kind, raw)
        if not line.strip():
            continue
        if "://" in line:
            facts.extend(Fact("uri", m.group(0), number, raw.strip()[:200]) for m in STORAGE_URI.finditer(line))
        if kind == K.DOCKERFILE:
            match = _FROM.match(line)
            if match:
                facts.append(Fact("image", match.group(1), number, "base"))
        elif kind in (K.YAML, K.JSON):
            match = _IMAGE.match(line)
            if match:
                facts.append(Fact("image", match.group(1), number, "runs"))
            if kind == K.YAML:
                match = _MANIFEST_KIND.match(line)
                if match:
                    facts.append(Fact("manifest", match.group(1), number))
        elif kind == K.TERRAFORM:
            match = _TF_RESOURCE.match(line)
            if match:
                facts.append(Fact("resource", match.group(1), number))
        if ".py" in line or ".sh" in line:
            if kind in (K.SHELL, K.DOCKERFILE) or _RUNS.search(line):
                facts.extend(Fact("script", m.group(1), number, raw.strip()[:200]) for m in _SCRIPT.finditer(line))
    return facts
