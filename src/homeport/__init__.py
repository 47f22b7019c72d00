"""homeport: move AI training pipelines from hyperscalers to sovereign and local clouds."""

import sys
import types

__version__ = "0.1.0"

__all__ = ["__version__", "assess"]


def __getattr__(name: str):
    """`homeport.assess`, the public API, imported on first use: the engine takes 60 ms to import, which every
    command that does not assess (data copy, fence run) would pay at start."""
    if name == "assess":
        from homeport.assess.engine import assess

        return assess
    raise AttributeError(f"module 'homeport' has no attribute {name!r}")


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value) -> None:
        if name == "assess" and isinstance(value, types.ModuleType):
            return  # importing the subpackage homeport.assess would bind its name here: the function keeps it
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
