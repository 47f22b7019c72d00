"""Severity tables shared by the ACC rules (the targets where a CUDA spelling still works)."""

from homeport.core.model import Severity, Target

INFO, WARNING, BLOCKER = Severity.INFO, Severity.WARNING, Severity.BLOCKER

# ROCm builds of PyTorch keep the "cuda" device type and the torch.cuda namespace (HIP underneath).
RUNS_ON_ROCM = {Target.ROCM: INFO, Target.CUDA: INFO}
# Only NVIDIA runs it.
NVIDIA_ONLY = {Target.CUDA: INFO}

# What `homeport port` puts at the top of a file whose new code needs the accelerator (fixed examples).
BINDING = ('_accelerator = torch.accelerator.current_accelerator() if torch.accelerator.is_available() '
           'else torch.device("cpu")\n\n')
PRELUDE = "import torch\n" + BINDING
