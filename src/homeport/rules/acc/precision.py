"""Mixed precision and math-mode flags: torch.cuda.amp, cuDNN flags, TF32."""

from homeport.core.model import Applicability, Category
from homeport.core.rule import Example, Rule
from homeport.rules.acc._common import BINDING, BLOCKER, PRELUDE, RUNS_ON_ROCM, WARNING


class CudaAmp(Rule):
    """
    ## What it does
    Finds `torch.cuda.amp.autocast` and `torch.cuda.amp.GradScaler`, imported or called.

    ## Why it blocks a migration
    The CUDA-only spellings fail on other accelerators and are deprecated on CUDA itself (a
    FutureWarning on every step). The device-generic `torch.amp` API takes the device type.

    ## Example
    ```python
    scaler = torch.cuda.amp.GradScaler()
    with torch.cuda.amp.autocast(dtype=torch.float16): ...
    ```
    Use instead:
    ```python
    scaler = torch.amp.GradScaler(device.type)                 # torch >= 2.3
    with torch.autocast(device.type, dtype=torch.bfloat16): ...
    ```

    ## Fix safety
    Safe for `autocast`. For `GradScaler` safe too; on Gaudi and Ascend prefer bf16 without a scaler,
    which `homeport port` leaves to a person (it changes numerics).
    """

    code, name = "ACC013", "cuda-amp"
    category = Category.ACCELERATOR
    severity, on = BLOCKER, RUNS_ON_ROCM
    names = ("torch.cuda.amp",)
    replacements = {"autocast": "`torch.autocast(device.type, ...)`", "GradScaler": "`torch.amp.GradScaler(device.type)`"}
    message = "`{name}` is the CUDA-only (and deprecated) AMP API; use `torch.autocast` / `torch.amp.GradScaler` with the device type"
    fix_title = "Use `torch.amp` with the device type"
    VALID = [Example("import torch\nwith torch.autocast('cpu', dtype=torch.bfloat16):\n    pass")]
    INVALID = [Example("import torch\nscaler = torch.cuda.amp.GradScaler(enabled=True)",
                       fixed="import torch\n" + BINDING + "scaler = torch.amp.GradScaler(_accelerator.type, enabled=True)"),
               Example("from torch.cuda.amp import autocast\nwith autocast():\n    pass",
                       fixed=PRELUDE + "with torch.autocast(_accelerator.type):\n    pass")]


class CudnnFlags(Rule):
    """
    ## What it does
    Finds reads and writes of `torch.backends.cudnn` flags (`benchmark`, `deterministic`, `enabled`).

    ## Why it blocks a migration
    Other accelerators ignore them: a job that relied on `cudnn.deterministic = True` for
    reproducibility silently loses it. ROCm maps them to MIOpen.

    ## Example
    ```python
    torch.backends.cudnn.deterministic = True
    ```
    Use instead:
    ```python
    torch.use_deterministic_algorithms(True)
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.benchmark = True
    ```

    ## Fix safety
    Safe: the flags are kept behind `torch.backends.cudnn.is_available()`, so NVIDIA runs are unchanged.
    """

    code, name = "ACC014", "cudnn-flags"
    category = Category.ACCELERATOR
    severity, on = WARNING, RUNS_ON_ROCM
    names = ("torch.backends.cudnn",)
    guarded_by = "torch.backends.cudnn.is_available"
    message = "`{name}` only affects cuDNN; guard it with `torch.backends.cudnn.is_available()` and use `torch.use_deterministic_algorithms()` for determinism"
    fix_title = "Guard cuDNN flags"
    VALID = [Example("import torch\ntorch.use_deterministic_algorithms(True)"),
             Example("import torch.backends.cudnn as cudnn\nif cudnn.is_available():\n    cudnn.benchmark = True\n"),
             Example("import torch\nif torch.backends.cudnn.is_available():\n    torch.backends.cudnn.benchmark = True\n")]
    INVALID = [Example("import torch\ntorch.backends.cudnn.benchmark = True",
                       fixed="import torch\nif torch.backends.cudnn.is_available():\n    torch.backends.cudnn.benchmark = True"),
               Example("import torch\nif use_gpu:\n    torch.backends.cudnn.benchmark = True\n")]


class Tf32Flags(Rule):
    """
    ## What it does
    Finds the TF32 switches `torch.backends.cuda.matmul.allow_tf32` and `torch.backends.cudnn.allow_tf32`
    (and any other `torch.backends.cuda` setting).

    ## Why it blocks a migration
    TF32 is an NVIDIA Ampere-and-later format; the flags are ignored elsewhere, so the speed the
    source measured is not what the target gets. They are deprecated after torch 2.9.

    ## Example
    ```python
    torch.backends.cuda.matmul.allow_tf32 = True
    ```
    Use instead:
    ```python
    torch.set_float32_matmul_precision("high")
    ```

    ## Fix safety
    Unsafe: the replacement also changes float32 matmul precision on the CPU and other devices.
    """

    code, name = "ACC015", "tf32-flags"
    category = Category.ACCELERATOR
    severity, on = WARNING, RUNS_ON_ROCM
    names = ("torch.backends.cuda", "torch.backends.cudnn.allow_tf32")
    guarded_by = "torch.backends.cudnn.is_available"
    message = "`{name}` is an NVIDIA math-mode switch; use `torch.set_float32_matmul_precision()`"
    fix_title = "Use `torch.set_float32_matmul_precision`"
    fix_applicability = Applicability.UNSAFE
    VALID = [Example("import torch\ntorch.set_float32_matmul_precision('high')")]
    INVALID = [Example("import torch\ntorch.backends.cuda.matmul.allow_tf32 = True",
                       fixed='import torch\ntorch.set_float32_matmul_precision("high")'),
               Example("import torch\ntorch.backends.cudnn.allow_tf32 = True",
                       fixed="import torch\nif torch.backends.cudnn.is_available():\n    torch.backends.cudnn.allow_tf32 = True")]

