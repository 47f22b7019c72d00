"""DEP1xx: accelerator libraries where they are declared (requirements, pyproject, setup, conda,
`pip install` lines). Made from the same support matrix as the ACC1xx import rules."""

from __future__ import annotations

from homeport.catalog.libraries import Library, libraries
from homeport.core.model import Category, Severity
from homeport.core.rule import Example, Rule
from homeport.rules.acc.libraries import library_doc, severities, support_line


def _package_rule(lib: Library) -> type[Rule]:
    package = lib.packages[0].replace("*", "12")
    return type(f"Declares_{lib.package_code}", (Rule,), {
        "__doc__": library_doc(lib, "declarations and installs of", f"{package}==<version>"),
        "__module__": __name__,
        "code": lib.package_code, "name": f"{lib.library}-dependency",
        "category": Category.DEPENDENCY,
        "severity": Severity.BLOCKER, "on": severities(lib),
        "message": f"`{{name}}` installs {lib.library} ({support_line(lib)}); instead: {lib.alternative}",
        "packages": lib.packages,
        "VALID": [Example("torch>=2.6\nnumpy\n", path="requirements.txt")],
        "INVALID": [Example(f"{package}\n", path="requirements.txt"),
                    Example(f"FROM python:3.11\nRUN pip install --no-cache-dir {package}\n", path="Dockerfile")],
    })


PACKAGE_RULES = [_package_rule(lib) for lib in libraries() if lib.package_code and not lib.portable]
