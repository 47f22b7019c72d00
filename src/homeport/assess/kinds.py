"""Which analyzer reads a file, decided by its name (and a shebang for extension-less scripts)."""

from __future__ import annotations

import fnmatch
import re

PYTHON, NOTEBOOK = "python", "notebook"
REQUIREMENTS, PYPROJECT, SETUP_CFG, CONDA = "requirements", "pyproject", "setup-cfg", "conda"
DOCKERFILE, YAML, JSON, TERRAFORM, SHELL, DOTENV = "dockerfile", "yaml", "json", "terraform", "shell", "dotenv"


# Order matters: the first pattern that matches the lower-cased file name wins.
_BY_NAME: tuple[tuple[str, str], ...] = (
    ("*.py", PYTHON), ("*.pyi", PYTHON),
    ("*.ipynb", NOTEBOOK),
    ("requirements*.txt", REQUIREMENTS), ("*requirements.txt", REQUIREMENTS), ("constraints*.txt", REQUIREMENTS),
    ("requirements*.in", REQUIREMENTS),
    ("pyproject.toml", PYPROJECT),
    ("setup.cfg", SETUP_CFG),
    ("environment*.yml", CONDA), ("environment*.yaml", CONDA), ("conda*.yml", CONDA), ("conda*.yaml", CONDA),
    ("dockerfile", DOCKERFILE), ("dockerfile[-._]*", DOCKERFILE), ("*.dockerfile", DOCKERFILE),
    ("*[-_]dockerfile", DOCKERFILE), ("containerfile", DOCKERFILE), ("containerfile[-._]*", DOCKERFILE),
    ("*.def", DOCKERFILE),  # Apptainer/Singularity definitions: `From:` a base image, `%post` shell
    ("*.yaml", YAML), ("*.yml", YAML), ("*.yaml.*", YAML), ("*.yml.*", YAML),
    ("*.json", JSON),
    ("*.tf", TERRAFORM), ("*.tfvars", TERRAFORM), ("*.tfvars.*", TERRAFORM),
    ("*.sh", SHELL), ("*.bash", SHELL), ("*.zsh", SHELL), ("*.sbatch", SHELL), ("*.slurm", SHELL),
    (".env", DOTENV), ("*.env", DOTENV), (".env.*", DOTENV),
)


def kind_of(name: str, first_line: bytes = b"") -> str | None:
    lower = name.lower()
    for pattern, kind in _BY_NAME:
        if fnmatch.fnmatchcase(lower, pattern):
            return kind
    if "." not in lower and first_line.startswith(b"#!"):
        if b"python" in first_line:
            return PYTHON
        if re.search(rb"\b(?:ba|z|k)?sh\b", first_line):
            return SHELL
    return None
