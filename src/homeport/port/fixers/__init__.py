"""The fixers, one module per group of rules; importing this package registers them all."""

from homeport.port.fixers import device, distributed, precision  # noqa: F401
