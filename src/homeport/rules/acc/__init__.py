"""ACC: tied to NVIDIA. ACC0xx torch.cuda and device code, ACC1xx accelerator libraries,
ACC2xx environment and deployment configuration, ACC3xx TensorFlow and JAX."""

from homeport.rules.acc import config, device, distributed, frameworks, libraries, precision  # noqa: F401
