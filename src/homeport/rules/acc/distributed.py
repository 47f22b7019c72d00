"""Distributed training tied to NCCL, and pinned-memory device arguments."""

from homeport.assess import kinds as K
from homeport.core.model import Category
from homeport.core.rule import Example, Rule
from homeport.rules.acc._common import BINDING, BLOCKER, PRELUDE, RUNS_ON_ROCM, WARNING


class NcclBackend(Rule):
    """
    ## What it does
    Finds the `"nccl"` backend name: in `init_process_group("nccl")`, in comparisons such as
    `backend == "nccl"`, in config defaults and launcher flags (`--dist-backend nccl`), and uses of
    `ProcessGroupNCCL` / `is_nccl_available`.

    ## Why it blocks a migration
    NCCL is NVIDIA's collective library. ROCm ships RCCL under the same name; Gaudi and Ascend use
    `hccl`, Intel `xccl`, CPUs `gloo`. A hard-coded `"nccl"` fails to initialise there, and a
    `backend == "nccl"` check takes the wrong branch.

    ## Example
    ```python
    dist.init_process_group("nccl")
    ```
    Use instead:
    ```python
    dist.init_process_group(backend=dist.get_default_backend_for_device(device),
                            device_id=torch.device(device.type, local_rank))
    ```

    ## Fix safety
    Safe: on an NVIDIA machine the default backend for the device is `nccl`, in `init_process_group`
    and in comparisons alike (on ROCm too: RCCL answers to `nccl`). Adding `device_id` to
    `init_process_group` (this rank's device, `None` without an accelerator) is a separate, unsafe fix:
    the process group then sets up its communicator eagerly, which changes when errors surface.
    """

    code, name = "ACC016", "nccl-backend"
    category = Category.ACCELERATOR
    severity, on = BLOCKER, RUNS_ON_ROCM
    message = "`{name}` hard-codes NVIDIA's collective library; use `dist.get_default_backend_for_device(device)`"
    fix_title = "Use the default backend for the device"
    strings = r"^nccl$"
    names = ("torch.distributed.is_nccl_available", "torch.distributed.ProcessGroupNCCL",
             "torch.distributed.distributed_c10d.ProcessGroupNCCL")
    text = r"(?i)(?:backend\W{1,4}|--dist[-_]backend[= ]+|--backend[= ]+)[\"']?nccl\b"
    text_kinds = frozenset({K.YAML, K.JSON, K.SHELL, K.DOCKERFILE, K.DOTENV})
    VALID = [Example("import torch.distributed as dist\ndist.init_process_group(dist.get_default_backend_for_device(d))"),
             Example("distributed:\n  backend: gloo\n", path="config.yaml")]
    INVALID = [Example('import torch.distributed as dist\ndist.init_process_group(backend="nccl")',
                       fixed="import os\nimport torch\nimport torch.distributed as dist\n" + BINDING
                             + "dist.init_process_group(backend=dist.get_default_backend_for_device(_accelerator), "
                               'device_id=torch.device(_accelerator.type, int(os.environ.get("LOCAL_RANK", '
                               'torch.accelerator.current_device_index()))) '
                               "if torch.accelerator.is_available() else None)"),
               Example('if args.backend == "nccl":\n    pass',
                       fixed=PRELUDE + "if args.backend == torch.distributed.get_default_backend_for_device(_accelerator):"
                             "\n    pass"),
               Example("distributed:\n  backend: nccl\n", path="config.yaml"),
               Example("torchrun train.py --dist-backend nccl\n", path="run.sh")]


class PinMemoryDevice(Rule):
    """
    ## What it does
    Finds the `pin_memory_device=` argument of `DataLoader` (and `Tensor.pin_memory("cuda")` via the
    device-string rule).

    ## Why it blocks a migration
    It names the CUDA device; pinning already targets the current accelerator, and the argument is
    deprecated.

    ## Example
    ```python
    DataLoader(ds, pin_memory=True, pin_memory_device="cuda")
    ```
    Use instead:
    ```python
    DataLoader(ds, pin_memory=True)
    ```

    ## Fix safety
    Safe: dropping the argument pins for the current accelerator, which is CUDA on NVIDIA.
    """

    code, name = "ACC017", "pin-memory-device"
    category = Category.ACCELERATOR
    severity, on = WARNING, RUNS_ON_ROCM
    message = "`pin_memory_device` names a device; drop it, pinning follows the current accelerator"
    fix_title = "Drop `pin_memory_device`"
    keywords = ("pin_memory_device",)
    VALID = [Example("loader = DataLoader(ds, pin_memory=True)")]
    INVALID = [Example("loader = DataLoader(ds, pin_memory=True, pin_memory_device='cuda:0')",
                       fixed="loader = DataLoader(ds, pin_memory=True)"),
               Example("loader = DataLoader(ds, pin_memory_device='cuda', pin_memory=True,\n    num_workers=4)",
                       fixed="loader = DataLoader(ds, pin_memory=True,\n    num_workers=4)")]


