"""homeport: move AI training pipelines from hyperscalers to sovereign and local clouds."""

__version__ = "0.1.0"

from homeport.assess.engine import assess  # noqa: E402  (the public API)

__all__ = ["__version__", "assess"]
