"""The fixers, one module per group of rules; importing this package registers them all."""

from homeport.port.fixers import (device, distributed, environment, frameworks, libraries, precision,  # noqa: F401
                                  sagemaker)
