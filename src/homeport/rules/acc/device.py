"""torch.cuda and device code: the rows of research/portability.md section 2 about devices."""

from homeport.assess import kinds as K
from homeport.core.model import Applicability, Category, Target
from homeport.core.rule import Example, Rule
from homeport.rules.acc._common import BINDING, BLOCKER, INFO, PRELUDE, RUNS_ON_ROCM, WARNING


class CudaDeviceString(Rule):
    """
    ## What it does
    Finds string literals that name a CUDA device: `"cuda"`, `"cuda:0"`, `f"cuda:{rank}"`, and
    configuration values that are a CUDA device (`device: cuda` in YAML or JSON).

    ## Why it blocks a migration
    Gaudi calls its device `hpu`, Intel GPUs `xpu`, Ascend `npu`; a hard-coded `"cuda"` fails there
    with "Torch not compiled with CUDA enabled". ROCm keeps the `cuda` name, so it is harmless there.

    ## Example
    ```python
    model.to("cuda")
    ```
    Use instead:
    ```python
    _accelerator = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
    model.to(_accelerator)
    ```

    ## Fix safety
    Safe: the accelerator-aware device is `cuda` on an NVIDIA machine, so behaviour there is unchanged;
    it falls back to the CPU where there is no accelerator instead of failing.
    """

    code, name = "ACC001", "cuda-device-string"
    category = Category.ACCELERATOR
    text = r"""(?<=:)\s*["']?cuda(?::\d+)?["']?\s*,?\s*$"""  # `device: cuda` in configs and CI matrices
    text_kinds = frozenset({K.YAML, K.JSON})
    message = "device string `{name}` names CUDA; use the current accelerator (`torch.accelerator.current_accelerator()`)"
    severity, on = BLOCKER, RUNS_ON_ROCM
    fix_title = "Use the current accelerator with a CPU fallback"
    strings = r"^cuda(:[0-9{}]*)?$"
    VALID = [Example('device = torch.accelerator.current_accelerator() or torch.device("cpu")'),
             Example('print("cudaMalloc is used")'), Example('"""Runs on cuda devices."""')]
    INVALID = [Example('x = x.to("cuda")', fixed=PRELUDE + "x = x.to(_accelerator.type)"),
               Example('import torch\ndev = torch.device("cuda:0")',
                       fixed='import torch\n' + BINDING + 'dev = torch.device((f"{_accelerator.type}:0" if torch.accelerator.is_available() else "cpu"))'),
               Example("trainer:\n  device: cuda\n", path="config.yaml"),
               Example('device = f"cuda:{local_rank}"',
                       fixed=PRELUDE + 'device = (f"{_accelerator.type}:{local_rank}" if torch.accelerator.is_available() else "cpu")'),
               Example("if device_type == 'cuda':\n    pass",
                       fixed=PRELUDE + "if torch.accelerator.is_available() and device_type == _accelerator.type:\n    pass"),
               Example('backends = {"cuda": "nccl", "xpu": "xccl"}')]


class CudaTensorMethod(Rule):
    """
    ## What it does
    Finds calls of the `.cuda()` method on tensors and modules.

    ## Why it blocks a migration
    `.cuda()` exists only for NVIDIA (and ROCm, which reuses it); on Gaudi, Intel or Ascend the call
    raises. A bare integer argument (`.cuda(0)`) also means "CUDA device 0", never the target's device.

    ## Example
    ```python
    model = model.cuda()
    ```
    Use instead:
    ```python
    model = model.to(device)  # device from torch.accelerator.current_accelerator()
    ```

    ## Fix safety
    Safe when rewritten to `.to(device)` with the accelerator-aware device; never to a bare integer.
    """

    code, name = "ACC002", "cuda-tensor-method"
    category = Category.ACCELERATOR
    message = "`{name}` moves data to CUDA only; use `.to(device)` with the current accelerator"
    severity, on = BLOCKER, RUNS_ON_ROCM
    fix_title = "Replace `.cuda()` with `.to(device)`"
    methods = ("cuda",)
    VALID = [Example("x = x.to(device)"), Example("import torch\nok = torch.cuda")]
    INVALID = [Example("model = model.cuda()", fixed=PRELUDE + "model = model.to(_accelerator)"),
               Example("batch = batch.cuda(non_blocking=True)",
                       fixed=PRELUDE + "batch = batch.to(_accelerator, non_blocking=True)"),
               Example("model.cuda(args.gpu)",
                       fixed=PRELUDE + "model.to(torch.device(_accelerator.type, args.gpu))")]


class _TorchCudaApi(Rule, abstract=True):
    category = Category.ACCELERATOR
    severity, on = BLOCKER, RUNS_ON_ROCM
    message = "`{name}` is CUDA-only; use {instead}"


class CudaAvailabilityCheck(_TorchCudaApi):
    """
    ## What it does
    Finds `torch.cuda.is_available()` and `torch.cuda.device_count()`.

    ## Why it blocks a migration
    On a Gaudi, Intel or Ascend machine these report no device, so the code silently falls back to the
    CPU: the job runs, hundreds of times slower, and nobody is told.

    ## Example
    ```python
    if torch.cuda.is_available(): ...
    ```
    Use instead:
    ```python
    if torch.accelerator.is_available(): ...  # torch >= 2.6
    ```

    ## Fix safety
    Safe: `torch.accelerator` answers for CUDA on NVIDIA machines, so nothing changes there.
    """

    code, name = "ACC003", "cuda-availability-check"
    severity = WARNING
    names = ("torch.cuda.is_available", "torch.cuda.device_count")
    replacements = {"is_available": "`torch.accelerator.is_available()`",
                    "device_count": "`torch.accelerator.device_count()`"}
    fix_title = "Use `torch.accelerator`"
    VALID = [Example("import torch\ntorch.accelerator.is_available()")]
    INVALID = [Example("import torch\nuse_gpu = torch.cuda.is_available()",
                       fixed="import torch\nuse_gpu = torch.accelerator.is_available()"),
               Example("from torch import cuda\nn = cuda.device_count()")]


class CudaDeviceSelection(_TorchCudaApi):
    """
    ## What it does
    Finds `torch.cuda.set_device`, `current_device` and the `torch.cuda.device(i)` context manager.

    ## Why it blocks a migration
    They select a CUDA device by index and do not exist on other accelerators' runtimes.

    ## Example
    ```python
    torch.cuda.set_device(local_rank)
    ```
    Use instead:
    ```python
    torch.accelerator.set_device_index(local_rank)  # torch >= 2.7 (2.6: set_device_idx)
    ```

    ## Fix safety
    Safe with `--min-torch` >= 2.7; on 2.6 the `*_idx` names are used, and `device_index(i)` needs 2.8.
    `set_device_index` raises without an accelerator (CUDA's did too), so the port puts it under
    `if torch.accelerator.is_available():` and the CPU fallback keeps running.
    """

    code, name = "ACC004", "cuda-device-selection"
    names = ("torch.cuda.set_device", "torch.cuda.current_device", "torch.cuda.device")
    replacements = {"set_device": "`torch.accelerator.set_device_index()`",
                    "current_device": "`torch.accelerator.current_device_index()`",
                    "device": "`torch.accelerator.device_index()`"}
    fix_title = "Use `torch.accelerator` device-index functions"
    VALID = [Example("import torch\ntorch.accelerator.set_device_index(0)")]
    INVALID = [Example("import torch\ntorch.cuda.set_device(local_rank)",
                       fixed="import torch\nif torch.accelerator.is_available():\n"
                             "    torch.accelerator.set_device_index(local_rank)"),
               Example("import torch\nwith torch.cuda.device(1):\n    pass",
                       fixed="import torch\nwith torch.accelerator.device_index(1):\n    pass"),
               Example("import torch\nif torch.cuda.is_available():\n    torch.cuda.set_device(0)\n",
                       fixed="import torch\nif torch.accelerator.is_available():\n"
                             "    torch.accelerator.set_device_index(0)\n")]


class CudaSynchronize(_TorchCudaApi):
    """
    ## What it does
    Finds `torch.cuda.synchronize()`.

    ## Why it blocks a migration
    Timing and benchmarking code waits for the GPU with it; on other accelerators the call fails, or
    on a CPU-only build raises "Torch not compiled with CUDA enabled".

    ## Example
    ```python
    torch.cuda.synchronize()
    ```
    Use instead:
    ```python
    torch.accelerator.synchronize()  # torch >= 2.6
    ```

    ## Fix safety
    Safe: on NVIDIA it is the same call. It is guarded by `torch.accelerator.is_available()`, since it
    raises without an accelerator. On Gaudi in lazy mode a `mark_step()` is also needed
    (`homeport.runtime.mark_step()`).
    """

    code, name = "ACC005", "cuda-synchronize"
    names = ("torch.cuda.synchronize",)
    replacements = {"synchronize": "`torch.accelerator.synchronize()`"}
    fix_title = "Use `torch.accelerator.synchronize()`"
    VALID = [Example("import torch\ntorch.accelerator.synchronize()")]
    INVALID = [Example("import torch\ntorch.cuda.synchronize()",
                       fixed="import torch\nif torch.accelerator.is_available():\n    torch.accelerator.synchronize()")]


class CudaMemoryApi(_TorchCudaApi):
    """
    ## What it does
    Finds the `torch.cuda` memory functions: `empty_cache`, `memory_allocated`, `max_memory_allocated`,
    `memory_reserved`, `max_memory_reserved`, `memory_stats`, `reset_peak_memory_stats`,
    `mem_get_info`, `memory_summary`, `set_per_process_memory_fraction`.

    ## Why it blocks a migration
    Memory logging and cache clearing break on other accelerators; logging code then crashes a
    healthy run.

    ## Example
    ```python
    peak = torch.cuda.max_memory_allocated()
    ```
    Use instead:
    ```python
    peak = torch.accelerator.max_memory_allocated()  # torch >= 2.9; before: torch.get_device_module().X
    ```

    ## Fix safety
    Safe with `--min-torch` >= 2.9, else rewritten through `torch.get_device_module()`. The calls are
    guarded by `torch.accelerator.is_available()` and answer 0 (or `{}`) without an accelerator, as the
    CUDA ones did on a machine without a GPU. `mem_get_info`, `memory_summary` and
    `set_per_process_memory_fraction` have no device-generic form and are left for a person.
    """

    code, name = "ACC006", "cuda-memory-api"
    severity = WARNING
    names = tuple(f"torch.cuda.{f}" for f in (
        "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
        "memory_stats", "reset_peak_memory_stats", "reset_max_memory_allocated", "mem_get_info",
        "memory_summary", "memory_cached", "max_memory_cached", "set_per_process_memory_fraction",
        "reset_accumulated_memory_stats", "memory"))
    replacements = {"set_per_process_memory_fraction": "the target's own memory controls"}
    message = "`{name}` is CUDA-only; use `torch.accelerator` memory functions (torch >= 2.9) or `torch.get_device_module()`"
    fix_title = "Use `torch.accelerator` memory functions"
    VALID = [Example("import torch\ntorch.accelerator.memory_allocated()")]
    INVALID = [Example("import torch\nprint(torch.cuda.max_memory_allocated() / 2**30)",
                       fixed="import torch\nprint((torch.accelerator.max_memory_allocated() "
                             "if torch.accelerator.is_available() else 0) / 2**30)"),
               Example("import torch as th\nth.cuda.empty_cache()",
                       fixed="import torch as th\nif th.accelerator.is_available():\n    th.accelerator.empty_cache()")]


class CudaRngApi(_TorchCudaApi):
    """
    ## What it does
    Finds `torch.cuda.manual_seed`, `manual_seed_all`, `seed`, `get_rng_state` and `set_rng_state`.

    ## Why it blocks a migration
    Seeding only CUDA leaves the target's generator unseeded: the run is no longer reproducible, and
    loss-curve parity between source and target cannot be shown.

    ## Example
    ```python
    torch.cuda.manual_seed_all(seed)
    ```
    Use instead:
    ```python
    torch.manual_seed(seed)  # seeds CPU and every accelerator
    ```

    ## Fix safety
    Unsafe for the seeds: `torch.manual_seed` seeds the CUDA generators as well, but it also reseeds the
    CPU generator, which changes the CPU random stream if anything drew from it in between. Safe for
    `get_rng_state`/`set_rng_state`: the accelerator's own generator, or the CPU's when there is none.
    """

    code, name = "ACC007", "cuda-rng-api"
    severity = WARNING
    names = tuple(f"torch.cuda.{f}" for f in (
        "manual_seed", "manual_seed_all", "seed", "seed_all", "get_rng_state", "set_rng_state",
        "get_rng_state_all", "set_rng_state_all", "initial_seed", "default_generators"))
    replacements = {"manual_seed": "`torch.manual_seed()`", "manual_seed_all": "`torch.manual_seed()`",
                    "seed": "`torch.seed()`", "seed_all": "`torch.seed()`"}
    message = "`{name}` seeds or reads CUDA's generator only; use `torch.manual_seed()` / `torch.get_device_module()`"
    fix_title = "Use `torch.manual_seed`"
    fix_applicability = Applicability.UNSAFE  # for the seeds; the RNG-state rewrites are safe
    VALID = [Example("import torch\ntorch.manual_seed(0)")]
    INVALID = [Example("import torch\ntorch.cuda.manual_seed_all(1337)", fixed="import torch\ntorch.manual_seed(1337)"),
               Example("import torch\nstate = torch.cuda.get_rng_state()",
                       fixed="import torch\n" + BINDING + "state = (torch.get_device_module(_accelerator).get_rng_state() "
                             "if torch.accelerator.is_available() else torch.get_rng_state())")]


class CudaDeviceProperties(_TorchCudaApi):
    """
    ## What it does
    Finds queries of the NVIDIA device: `torch.cuda.get_device_name`, `get_device_properties`,
    `get_device_capability`, `is_bf16_supported`, `get_arch_list`, and `torch.version.cuda`.

    ## Why it blocks a migration
    Capability gates such as "compute capability >= 8.0 means bf16" are NVIDIA's numbering; elsewhere
    they raise or take the wrong branch.

    ## Example
    ```python
    if torch.cuda.get_device_capability()[0] >= 8: dtype = torch.bfloat16
    ```
    Use instead:
    ```python
    # probe the feature instead: try a bf16 matmul on the device, or ask torch.get_device_module()
    ```

    ## Fix safety
    Unsafe: a capability gate must be replaced by a feature probe, which is a judgement call.
    """

    code, name = "ACC008", "cuda-device-properties"
    severity = WARNING
    names = tuple(f"torch.cuda.{f}" for f in (
        "get_device_name", "get_device_properties", "get_device_capability", "is_bf16_supported",
        "get_arch_list", "get_gencode_flags")) + ("torch.version.cuda",)
    message = "`{name}` asks NVIDIA-specific questions; probe the feature or use `torch.get_device_module()`"
    fix_title = "Use `torch.get_device_module()` or a feature probe"
    fix_applicability = Applicability.UNSAFE
    VALID = [Example("import torch\nname = torch.get_device_module().get_device_name()")]
    INVALID = [Example("import torch\nmajor, minor = torch.cuda.get_device_capability()",
                       fixed="import torch\n" + BINDING
                             + "major, minor = torch.get_device_module(_accelerator).get_device_capability()"),
               Example("import torch\nprint(torch.version.cuda)")]


class CudaEventStream(_TorchCudaApi):
    """
    ## What it does
    Finds `torch.cuda.Event`, `torch.cuda.Stream`, `torch.cuda.stream(...)`, `current_stream`,
    `default_stream` and `set_stream`.

    ## Why it blocks a migration
    Step timing with CUDA events and overlap with CUDA streams fail on other accelerators.

    ## Example
    ```python
    start = torch.cuda.Event(enable_timing=True)
    ```
    Use instead:
    ```python
    start = torch.Event(enable_timing=True)  # the current accelerator's event
    ```

    ## Fix safety
    Safe: on NVIDIA `torch.Event`, `torch.Stream`, `torch.accelerator.current_stream` and `set_stream`
    are the CUDA ones (stream semantics differ on Gaudi; test there). `with torch.cuda.stream(s)`,
    default and external streams are left for a person. With `--target cpu` events are left too: the
    CPU backend records none (time with `time.perf_counter()` after a synchronize).
    """

    code, name = "ACC009", "cuda-event-stream"
    names = tuple(f"torch.cuda.{f}" for f in ("Event", "Stream", "stream", "current_stream", "default_stream",
                                              "set_stream", "ExternalStream"))
    replacements = {"Event": "`torch.Event`", "Stream": "`torch.Stream`",
                    "current_stream": "`torch.accelerator.current_stream()`",
                    "set_stream": "`torch.accelerator.set_stream()`", "stream": "`torch.accelerator.set_stream()`"}
    fix_title = "Use the generic `torch.Event` / `torch.Stream`"
    VALID = [Example("import torch\nstart = torch.Event(enable_timing=True)")]
    INVALID = [Example("import torch\nstart = torch.cuda.Event(enable_timing=True)",
                       fixed="import torch\nstart = torch.Event(enable_timing=True)"),
               Example("import torch\ns = torch.cuda.Stream()\nwith torch.cuda.stream(s):\n    pass")]


class CudaExtensionBuild(Rule):
    """
    ## What it does
    Finds custom CUDA kernels built with `torch.utils.cpp_extension`: `CUDAExtension`,
    `BuildExtension` with `.cu` sources and nvcc flags (`-gencode arch=compute_80,code=sm_80`,
    `-U__CUDA_NO_HALF_OPERATORS__`), `load`/`load_inline` of CUDA code, and packages built with
    their CUDA extensions (`--cuda_ext`).

    ## Why it blocks a migration
    Kernels written in CUDA C++ do not run elsewhere. ROCm hipifies them at build time (with known
    breakage); Intel needs SYCL (`SyclExtension`), Gaudi TPC kernels, Ascend Ascend C.

    ## Example
    ```python
    from torch.utils.cpp_extension import CUDAExtension
    ```
    Use instead: torch operators, `torch.compile` or Triton where the target supports it; keep the
    kernel behind a capability flag with a portable fallback.

    ## Fix safety
    No automatic fix: a kernel has to be rewritten or replaced by a person.
    """

    code, name = "ACC010", "cuda-extension-build"
    category = Category.ACCELERATOR
    severity, on = BLOCKER, {Target.ROCM: WARNING, Target.CUDA: INFO}  # ROCm hipifies, with known breakage
    message = "`{name}` builds a custom CUDA kernel; it needs a portable fallback or a port per target"
    names = ("torch.utils.cpp_extension.CUDAExtension", "torch.utils.cpp_extension.load",
             "torch.utils.cpp_extension.load_inline", "torch.utils.cpp_extension.CUDA_HOME")
    strings = r"\.cu$|arch=compute_\d+|^-gencode$|__CUDA_NO_\w+|^--use_fast_math$"  # nvcc sources and flags
    text = r"--cuda[_-]ext\b"  # apex and friends built with their CUDA extensions
    text_kinds = frozenset({K.DOCKERFILE, K.SHELL})
    VALID = [Example("from torch.utils.cpp_extension import CppExtension")]
    INVALID = [Example("from torch.utils.cpp_extension import CUDAExtension"),
               Example("sources = ['kernel.cpp', 'kernel_cuda.cu']"),
               Example("cc_flag.append('arch=compute_80,code=sm_80')"),
               Example('pip install -v --global-option="--cuda_ext" ./apex\n', path="build.sh")]


class CudaGraphs(_TorchCudaApi):
    """
    ## What it does
    Finds CUDA graphs (`torch.cuda.CUDAGraph`, `torch.cuda.graph`, `make_graphed_callables`) and
    `torch.compile` backends that exist only on NVIDIA (`tensorrt`, `cudagraphs`).

    ## Why it blocks a migration
    Graph capture is vendor-specific: Gaudi has HPU graphs, Ascend `NPUGraph`; TensorRT is NVIDIA only.

    ## Example
    ```python
    g = torch.cuda.CUDAGraph()
    ```
    Use instead: `torch.compile(model)` with the default `inductor` backend, or the target's own
    graph API behind a capability check.

    ## Fix safety
    No automatic fix: capture code has to be restructured.
    """

    code, name = "ACC011", "cuda-graph-capture"
    severity = WARNING
    names = ("torch.cuda.CUDAGraph", "torch.cuda.graph", "torch.cuda.graphs", "torch.cuda.make_graphed_callables")
    strings = r"^(tensorrt|torch_tensorrt|cudagraphs)$"
    message = "`{name}` is NVIDIA-only graph capture; use `torch.compile` (inductor) or the target's graph API"
    VALID = [Example("import torch\nm = torch.compile(model)")]
    INVALID = [Example("import torch\ng = torch.cuda.CUDAGraph()"),
               Example("import torch\nm = torch.compile(model, backend='tensorrt')")]


class CudaTensorCheck(Rule):
    """
    ## What it does
    Finds `.is_cuda` checks on tensors and modules.

    ## Why it blocks a migration
    On another accelerator `.is_cuda` is False for data that is on the device, so the code takes
    its CPU branch: slow, or wrong.

    ## Example
    ```python
    if x.is_cuda: ...
    ```
    Use instead:
    ```python
    if x.device.type != "cpu": ...
    ```

    ## Fix safety
    Safe: `x.device.type == _accelerator.type` is `x.is_cuda` on an NVIDIA machine. Without an
    accelerator it is True for CPU tensors, the CPU being the device then.
    """

    code, name = "ACC012", "cuda-tensor-check"
    category = Category.ACCELERATOR
    severity, on = WARNING, RUNS_ON_ROCM
    message = "`.is_cuda` is False on every other accelerator; test `x.device.type` instead"
    fix_title = "Test `x.device.type`"
    attributes = ("is_cuda",)
    VALID = [Example("on_device = x.device.type != 'cpu'"),
             Example("class Loader:\n    def __init__(self, cuda):\n        self.is_cuda = cuda\n\n"
                     "    def next(self):\n        return self.is_cuda\n")]
    INVALID = [Example("if x.is_cuda:\n    pass", fixed=PRELUDE + "if torch.accelerator.is_available() and x.device.type == _accelerator.type:\n"
                                                         "    pass")]


class TorchCudaApi(_TorchCudaApi):
    """
    ## What it does
    Finds every other use of the `torch.cuda` namespace: legacy tensor types
    (`torch.cuda.FloatTensor`), `torch.cuda.nvtx`, `torch.cuda.comm`, `torch.cuda.init`, profiling
    CUDA activity (`ProfilerActivity.CUDA`), and `python -c "...torch.cuda..."` one-liners in
    scripts and CI files. The specific rules above win when they match.

    ## Why it blocks a migration
    `torch.cuda` exists only in CUDA and ROCm builds of PyTorch.

    ## Example
    ```python
    x = torch.cuda.FloatTensor(8)
    ```
    Use instead:
    ```python
    x = torch.empty(8, dtype=torch.float32, device=device)
    ```

    ## Fix safety
    No automatic fix in general; the message names the portable API where one exists.
    """

    code, name = "ACC019", "torch-cuda-api"
    names = ("torch.cuda", "torch.profiler.ProfilerActivity.CUDA", "torch.profiler.profiler.ProfilerActivity.CUDA",
             "torch.autograd.profiler.DeviceType.CUDA", "torch.autograd.DeviceType.CUDA")
    text = r"\btorch\.cuda\.\w+"  # Python one-liners inside CI files, scripts and manifests
    text_kinds = frozenset({K.SHELL, K.YAML, K.DOCKERFILE, K.JSON})
    message = "`{name}` uses the CUDA-only `torch.cuda` namespace; use `torch.accelerator` or `torch.get_device_module()`"
    VALID = [Example("import torch\nx = torch.empty(8, device=device)")]
    INVALID = [Example("import torch\nx = torch.cuda.FloatTensor(8)"),
               Example("from torch import profiler\nacts = [profiler.ProfilerActivity.CUDA]"),
               Example("python -c 'import torch; assert torch.cuda.device_count() >= 2'\n", path="check.sh"),
               Example("import torch.cuda.nvtx as nvtx\nnvtx.range_push('step')")]

