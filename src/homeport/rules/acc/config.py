"""Run-time configuration tied to NVIDIA: environment variables, Kubernetes resources, NVIDIA tools.
These are found wherever they are set: Python, Dockerfiles, manifests, shell scripts, env files."""

from homeport.assess import kinds as K
from homeport.core.model import Applicability, Category, Target
from homeport.core.rule import Example, Rule
from homeport.rules.acc._common import BLOCKER, INFO, NVIDIA_ONLY, RUNS_ON_ROCM, WARNING

# Where environment variables and device requests are written.
SETTINGS = frozenset({K.DOCKERFILE, K.YAML, K.JSON, K.SHELL, K.DOTENV, K.TERRAFORM, K.CONDA})


class CudaVisibleDevices(Rule):
    """
    ## What it does
    Finds `CUDA_VISIBLE_DEVICES`, read or set, in code and configuration.

    ## Why it blocks a migration
    Each accelerator has its own mask: ROCm `HIP_VISIBLE_DEVICES` (it also honours the CUDA name),
    Gaudi `HABANA_VISIBLE_MODULES`, Intel `ZE_AFFINITY_MASK`, Ascend `ASCEND_RT_VISIBLE_DEVICES`.
    Elsewhere the CUDA mask is ignored and every process sees every device.

    ## Example
    ```shell
    export CUDA_VISIBLE_DEVICES=0,1
    ```
    Use instead: the target profile's visible-device variable, set by the launcher.

    ## Fix safety
    Unsafe: the mapping depends on the target, which `homeport port --target` supplies. In Python code
    the name is rewritten where it is a string (`os.environ["CUDA_VISIBLE_DEVICES"]`, `os.getenv(...)`)
    to the target's variable from catalog/data/target_stacks.csv; the value is kept, though the ids
    it lists may number the devices differently. ROCm keeps the name (it honours it); `--target cpu`
    and `portable` leave it, with the reason in the change log. Dockerfile `ENV` lines, shell and Slurm
    `export` lines and Kubernetes `env` entries are rewritten the same way (unsafe).
    """

    code, name = "ACC201", "cuda-visible-devices"
    category = Category.ACCELERATOR
    severity, on = WARNING, RUNS_ON_ROCM
    message = "`{name}` only masks NVIDIA devices; set the target's visible-device variable instead"
    fix_title = "Use the target's visible-device variable"
    fix_applicability = Applicability.UNSAFE
    strings = r"^CUDA_VISIBLE_DEVICES$"
    text = r"\bCUDA_VISIBLE_DEVICES\b"
    text_kinds = SETTINGS
    VALID = [Example("import os\nrank = os.environ['LOCAL_RANK']"), Example("export OMP_NUM_THREADS=4\n", path="run.sh")]
    INVALID = [Example("import os\nos.environ['CUDA_VISIBLE_DEVICES'] = '0'",
                       fixed="import os\nos.environ['HABANA_VISIBLE_MODULES'] = '0'", target=Target.GAUDI),
               Example("export CUDA_VISIBLE_DEVICES=0,1\n", path="run.sh", fixed="export HABANA_VISIBLE_MODULES=0,1\n",
                       target=Target.GAUDI),
               Example("env:\n  - name: CUDA_VISIBLE_DEVICES\n    value: '0'\n", path="job.yaml")]


class NcclEnvironment(Rule):
    """
    ## What it does
    Finds `NCCL_*` environment variables (`NCCL_DEBUG`, `NCCL_SOCKET_IFNAME`, `NCCL_IB_*`, ...).

    ## Why it blocks a migration
    They tune NVIDIA's collective library. RCCL on ROCm honours them; Gaudi and Ascend read `HCCL_*`,
    Intel oneCCL `CCL_*` and libfabric `FI_*`. Carried over unchanged they do nothing, and the network
    tuning they encoded is lost.

    ## Example
    ```dockerfile
    ENV NCCL_SOCKET_IFNAME=eth0
    ```
    Use instead: a per-target profile with the collective library's own variables.

    ## Fix safety
    Unsafe: the equivalent variable and value depend on the target's network. In Python code the name
    is rewritten where it is a string (`os.environ.setdefault("NCCL_SOCKET_IFNAME", ...)`) to the
    equivalent recorded for `--target` in catalog/data/collective_env.csv (`HCCL_SOCKET_IFNAME` on
    Gaudi and Ascend, `GLOO_SOCKET_IFNAME` on the CPU); ROCm keeps it. The value is kept as it is.
    A variable with no recorded equivalent, and `--target portable`, are left with the reason in the
    change log. Dockerfile `ENV` lines, shell and Slurm `export` lines and Kubernetes `env` entries
    are rewritten the same way (unsafe).
    """

    code, name = "ACC202", "nccl-environment"
    category = Category.ACCELERATOR
    severity, on = WARNING, RUNS_ON_ROCM
    message = "`{name}` tunes NCCL; move it to the target profile (HCCL_*, CCL_*/FI_* elsewhere)"
    fix_title = "Use the target's collective-library variable"
    fix_applicability = Applicability.UNSAFE
    strings = r"^(?:TORCH_)?NCCL_[A-Z0-9_]+$"
    text = r"(?<![\w${])(?:TORCH_)?NCCL_[A-Z0-9_]+\b"
    text_kinds = SETTINGS
    VALID = [Example("export GLOO_SOCKET_IFNAME=eth0\n", path="run.sh")]
    INVALID = [Example("import os\nos.environ.setdefault('NCCL_DEBUG', 'INFO')"),
               Example("import os\nos.environ.setdefault('NCCL_SOCKET_IFNAME', 'eth0')",
                       fixed="import os\nos.environ.setdefault('HCCL_SOCKET_IFNAME', 'eth0')", target=Target.NPU),
               Example("FROM python:3.11\nENV NCCL_SOCKET_IFNAME=eth0\n", path="Dockerfile")]


class CudaEnvironment(Rule):
    """
    ## What it does
    Finds the other CUDA-toolkit and driver variables: `CUDA_HOME`, `CUDA_PATH`, `CUDA_LAUNCH_BLOCKING`,
    `CUDA_DEVICE_MAX_CONNECTIONS`, `TORCH_CUDA_ARCH_LIST`, `PYTORCH_CUDA_ALLOC_CONF`, `CUDNN_*`,
    `NVIDIA_VISIBLE_DEVICES`, `NVIDIA_DRIVER_CAPABILITIES`, cuBLAS (`CUBLAS_*`), nvcc (`NVCC_*`) and
    Transformer Engine (`NVTE_*`) settings. References such as `${CUDA_VERSION}` are not flagged: they
    read a build argument, and the line that sets it is.

    ## Why it blocks a migration
    They configure the CUDA toolkit, the caching allocator or the NVIDIA container runtime. On other
    targets they are ignored (so the behaviour they bought is lost) or point builds at a toolkit
    that is not there.

    ## Example
    ```shell
    export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
    ```
    Use instead: the target's allocator and build settings in its profile
    (e.g. `PYTORCH_HIP_ALLOC_CONF` on ROCm).

    ## Fix safety
    Unsafe: there is no one-to-one mapping. One name has a device-generic successor: in Python code
    `homeport port --unsafe-fixes` renames the string `PYTORCH_CUDA_ALLOC_CONF` to `PYTORCH_ALLOC_CONF`,
    which the CUDA, ROCm and XPU builds of torch read (torch 2.11+: 2.9.1 still ignored it for CUDA's
    `expandable_segments`, pytorch/pytorch#183387). On Gaudi, Ascend and the CPU, and for every other
    variable, it is left with the reason in the change log.
    """

    code, name = "ACC203", "cuda-environment"
    category = Category.ACCELERATOR
    severity, on = WARNING, {Target.CUDA: INFO}
    message = "`{name}` configures the CUDA toolkit or NVIDIA runtime; give the target its own setting"
    fix_title = "Use the device-generic allocator variable"
    fix_applicability = Applicability.UNSAFE
    _names = (r"CUDA_(?!VISIBLE_DEVICES\b)[A-Z0-9_]+|TORCH_(?:CUDA|NVCC)_[A-Z0-9_]+|PYTORCH_CUDA_ALLOC_CONF|CUDNN_[A-Z0-9_]+"
              r"|CUBLAS_[A-Z0-9_]+|CUBLASLT_[A-Z0-9_]+|NVCC_[A-Z0-9_]+|NVTE_[A-Z0-9_]+"
              r"|NVIDIA_(?:VISIBLE_DEVICES|DRIVER_CAPABILITIES|REQUIRE_CUDA|TF32_OVERRIDE)")
    strings = rf"^(?:{_names})$"
    text = rf"(?<![\w${{])(?:{_names})\b"
    text_kinds = SETTINGS
    VALID = [Example("export HIP_VISIBLE_DEVICES=0\n", path="run.sh")]
    INVALID = [Example("import os\nos.environ['CUDA_LAUNCH_BLOCKING'] = '1'"),
               Example("FROM base\nENV TORCH_CUDA_ARCH_LIST=\"8.0 9.0\"\n", path="Dockerfile"),
               Example("import os\nos.environ.setdefault('PYTORCH_CUDA_ALLOC_CONF', 'expandable_segments:True')\n",
                       fixed="import os\nos.environ.setdefault('PYTORCH_ALLOC_CONF', 'expandable_segments:True')\n")]


class NvidiaDeviceRequest(Rule):
    """
    ## What it does
    Finds requests for NVIDIA devices in deployment files: the `nvidia.com/gpu` resource and the
    `nvidia.com/*` node labels and taints, `runtimeClassName: nvidia`, Compose `driver: nvidia` /
    `runtime: nvidia`, `accelerator: nvidia` in instance-type definitions, and `docker run --gpus`.

    ## Why it blocks a migration
    The pod or container will never schedule on a node without NVIDIA's device plugin. AMD asks for
    `amd.com/gpu`, Gaudi `habana.ai/gaudi`, Intel `gpu.intel.com/i915` or `xe`, Ascend
    `huawei.com/Ascend910`.

    ## Example
    ```yaml
    resources: {limits: {nvidia.com/gpu: 8}}
    ```
    Use instead: the target's device-plugin resource name from the target profile.

    ## Fix safety
    Safe once the target is known: in Kubernetes manifests `homeport port --target` writes the target's
    device resource (the count is kept), node label, toleration key and runtime class from
    catalog/data/k8s_accelerators.csv; `--target cpu` deletes them. MIG slices, node affinity on
    NVIDIA labels, flow-style lines on the CPU target, Compose files and `docker run --gpus` are left
    with the reason in the change log.
    """

    code, name = "ACC204", "nvidia-device-request"
    category = Category.ACCELERATOR
    severity, on = BLOCKER, NVIDIA_ONLY
    message = "`{name}` requests NVIDIA hardware; use the target's device resource"
    fix_title = "Ask for the target's device resource"
    fix_applicability = Applicability.SAFE
    text = (r"\bnvidia\.com/(?:gpu|mig-[\w.-]+)[\w.-]*|\b(?:runtimeClass(?:Name)?|runtime|driver|accelerator)"
            r"[\"']?\s*[:=]\s*[\"']?nvidia\b|--gpus[= ]")
    text_kinds = SETTINGS
    VALID = [Example("resources:\n  limits:\n    amd.com/gpu: 8\n", path="job.yaml")]
    INVALID = [Example("resources:\n  limits:\n    nvidia.com/gpu: 8\n", path="job.yaml",
                       fixed="resources:\n  limits:\n    amd.com/gpu: 8\n", target=Target.ROCM),
               Example("docker run --gpus all image\n", path="run.sh")]


class NvidiaTooling(Rule):
    """
    ## What it does
    Finds calls of NVIDIA's command-line tools: `nvidia-smi` (and its `--query-gpu` flags), `nvcc`,
    `nsys`, `ncu`, `dcgmi`, `nv-hostengine`.

    ## Why it blocks a migration
    Health checks and launch scripts that parse `nvidia-smi` fail on other machines: ROCm has
    `rocm-smi`/`amd-smi`, Gaudi `hl-smi`, Intel `xpu-smi`, Ascend `npu-smi`.

    ## Example
    ```shell
    nvidia-smi --query-gpu=memory.used --format=csv
    ```
    Use instead: the target's tool from its profile, or `torch.accelerator` queries from Python.

    ## Fix safety
    No automatic fix: output formats differ per tool.
    """

    code, name = "ACC205", "nvidia-tooling"
    category = Category.ACCELERATOR
    severity, on = WARNING, NVIDIA_ONLY
    message = "`{name}` is an NVIDIA tool; use the target's equivalent (rocm-smi, hl-smi, xpu-smi, npu-smi)"
    strings = r"(?:^|[\s/\\])(?:nvidia-smi|nvcc|nsys|ncu|dcgmi|nv-hostengine)(?:\.exe)?(?:\s|$)|^--query-gpu="
    text = r"(?<![\w/.-])(?:nvidia-smi|nvcc|nsys|ncu|dcgmi|nv-hostengine)(?![\w.-])"
    text_kinds = frozenset({K.SHELL, K.DOCKERFILE, K.YAML})
    VALID = [Example("rocm-smi --showuse\n", path="check.sh")]
    INVALID = [Example("nvidia-smi --query-gpu=name --format=csv\n", path="check.sh"),
               Example("import subprocess\nsubprocess.run(['nvidia-smi'])")]




class NvidiaInstallPath(Rule):
    """
    ## What it does
    Finds paths into NVIDIA's software in settings and scripts: `/usr/local/cuda*`, `/usr/local/nvidia`,
    NCCL builds and plugins (`/opt/nccl`, `libnccl*.so`, `nccl-rdma-sharp-plugins`, `aws-ofi-nccl`),
    `libcuda*`, `libcudnn*`, `libcublas*` and the other CUDA libraries, NVIDIA's apt keyring and
    sources, used in `LD_LIBRARY_PATH`, `LD_PRELOAD`, mounts and commands.

    ## Why it blocks a migration
    The paths do not exist on a machine without the CUDA stack: the loader fails to preload a
    library, or a mount is empty and a job that relied on it fails at start.

    ## Example
    ```dockerfile
    ENV LD_PRELOAD=/opt/nccl/build/lib/libnccl.so
    ```
    Use instead: library paths from the target profile (ROCm `/opt/rocm/lib`, RCCL, HCCL, oneCCL).

    ## Fix safety
    No automatic fix: paths depend on the target image.
    """

    code, name = "ACC206", "nvidia-install-path"
    category = Category.ACCELERATOR
    severity, on = WARNING, NVIDIA_ONLY
    message = "`{name}` points into NVIDIA's software stack; use the target's library paths"
    text = (r"/usr/local/cuda[\w.-]*|/usr/local/nvidia\b|/usr/lib/nvidia\b|/bin/nvidia\b|/opt/nccl[\w-]*"
            r"|\blib(?:nccl|cuda|cudnn|cublas|cufft|curand|cusolver|cusparse|nvjpeg|nvrtc|nvinfer|cupti)[\w.-]*"
            r"|nccl-rdma-sharp-plugins|/cuda-\d[\d.]*/|\bcuda-keyring|sources\.list\.d/(?:cuda|nvidia)[\w.-]*"
            r"|/tensorrt\b|nccl-tests/build\b[\w/]*"
            r"|\b(?:all_reduce|all_gather|alltoall|reduce_scatter|broadcast|sendrecv|hypercube)_perf\b")
    text_kinds = SETTINGS
    # a clone destination or NVIDIA's repository download is the image build (DEP005), not a runtime path
    text_unless = r"\bgit\s+clone\b|developer\.download\.nvidia\.com"
    strings = r"^/usr/local/(?:cuda|nvidia)\b"
    VALID = [Example("export LD_LIBRARY_PATH=/opt/rocm/lib:$LD_LIBRARY_PATH\n", path="run.sh")]
    INVALID = [Example("FROM base\nENV LD_PRELOAD=/opt/nccl/build/lib/libnccl.so\n", path="Dockerfile"),
               Example("export LD_LIBRARY_PATH=/usr/local/cuda-12.1/lib64:$LD_LIBRARY_PATH\n", path="run.sh")]


class NvidiaGpuModel(Rule):
    """
    ## What it does
    Finds NVIDIA GPU models named as settings: accelerator types (`nvidia-tesla-t4`, `nvidia-l4`,
    `nvidia-h100-80gb`, `NVIDIA_TESLA_V100`), in node selectors, job specs, Terraform and scripts.

    ## Why it blocks a migration
    The job asks for an NVIDIA board by name; on the target the scheduler finds no such node, or
    the sizing (memory, count) chosen for that board no longer fits.

    ## Example
    ```yaml
    nodeSelector: {cloud.google.com/gke-accelerator: nvidia-tesla-t4}
    ```
    Use instead: the target's accelerator from the target profile.

    ## Fix safety
    No automatic fix: the equivalent board and count are a sizing decision.
    """

    code, name = "ACC207", "nvidia-gpu-model"
    category = Category.ACCELERATOR
    severity, on = BLOCKER, NVIDIA_ONLY
    message = "`{name}` asks for an NVIDIA board by name; choose the target's accelerator"
    _models = (r"(?:nvidia-(?:tesla-)?(?:[a-z]?\d{1,4}[a-z]?(?:-\d+gb)?|l4|l40s?|h100[\w-]*|h200[\w-]*|a100[\w-]*"
               r"|b200[\w-]*|gb200[\w-]*|rtx-?[\w-]+)|NVIDIA_(?:TESLA_)?(?:[A-Z]\d{1,4}[A-Z]?\w*|L4|H100\w*|A100\w*))")
    strings = rf"^{_models}$"
    text = rf"(?<![\w/.-]){_models}(?![\w.-])"
    text_kinds = SETTINGS
    VALID = [Example("accelerator: amd-mi300x\n", path="job.yaml"), Example("x = 'nvidia-smi'")]
    INVALID = [Example("nodeSelector:\n  cloud.google.com/gke-accelerator: nvidia-tesla-t4\n", path="job.yaml"),
               Example('type = "nvidia-l4"\n', path="gpu.tfvars"),
               Example("accel = 'NVIDIA_TESLA_V100'")]


class CudaSystemPackage(Rule):
    """
    ## What it does
    Finds CUDA and NVIDIA system packages installed or removed with apt, yum, dnf or apk in image
    builds and scripts: `cuda-*`, `libnccl*`, `libcudnn*`, `libcublas*`, `nvidia-*`,
    `datacenter-gpu-manager`.

    ## Why it blocks a migration
    They are NVIDIA's user-space stack; the packages do not exist in the target's repositories, and the
    image would carry gigabytes it cannot use.

    ## Example
    ```dockerfile
    RUN apt-get install -y cuda-command-line-tools-12-1 libnccl2
    ```
    Use instead: the target's base image, which brings its own runtime libraries.

    ## Fix safety
    No automatic fix: the image is rebuilt on the target's base.
    """

    code, name = "ACC208", "cuda-system-package"
    category = Category.ACCELERATOR
    severity, on = BLOCKER, NVIDIA_ONLY
    message = "`{name}` installs part of NVIDIA's CUDA stack from the system package manager"
    system_packages = ("cuda-*", "cuda", "libnccl*", "libcudnn*", "libcublas*", "libcufft*", "libcurand*", "libcupti*",
                       "libcusolver*", "libcusparse*", "libnpp*", "libnvjpeg*", "libnvidia-*", "nvidia-*",
                       "datacenter-gpu-manager*", "nccl", "cudnn*")
    VALID = [Example("FROM ubuntu:22.04\nRUN apt-get install -y build-essential git\n", path="Dockerfile"),
             Example("cuda-python==12.4\n", path="requirements.txt")]
    INVALID = [Example("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y libnccl2 libnccl-dev\n",
                       path="Dockerfile"),
               Example("apt-get install -y --no-install-recommends \\\n    cuda-cufft-10-1 \\\n    cuda-curand-10-1\n",
                       path="setup.sh")]


class NvidiaSlurmRequest(Rule):
    """
    ## What it does
    Finds Slurm requests for NVIDIA boards by name: `--gres=gpu:a100:8`, `--gpus=h100:8`,
    `--gpus-per-node=v100:4` in `#SBATCH` lines and on `srun`/`salloc`/`sbatch` command lines.

    ## Why it blocks a migration
    The type names a GRES the target cluster does not have: the job stays pending forever
    ("Requested node configuration is not available"). A count without a type (`--gres=gpu:8`) is
    the site's generic GPU resource, which Slurm also uses for AMD and Intel GPUs.

    ## Example
    ```shell
    #SBATCH --gres=gpu:a100:8
    ```
    Use instead: the target site's GRES name and a count, `#SBATCH --gres=gpu:8`.

    ## Fix safety
    Safe once the target is known: `homeport port --target` writes the GRES name from
    catalog/data/slurm_accelerators.csv and keeps the count; `--target cpu` deletes the request.
    """

    code, name = "ACC209", "nvidia-slurm-request"
    category = Category.ACCELERATOR
    severity, on = BLOCKER, NVIDIA_ONLY
    message = "`{name}` asks Slurm for an NVIDIA board by name; ask for the target site's GRES"
    fix_title = "Ask for the target's generic resource with the same count"
    fix_applicability = Applicability.SAFE
    _board = (r"(?:nvidia[_-]?|tesla[_-]?)?(?:a100|a40|a30|a10g?|a800|a6000|h100|h200|h800|gh200|gb200|b200|b100|v100"
              r"|p100|t4|l40s?|l4|k80|rtx[\w-]*|titan[\w-]*)[\w.-]*")
    text = rf"--(?:gres[= ](?:[\w:,]*,)?gpu|gpus(?:-per-(?:node|task|socket))?[= ])(?::)?{_board}(?::\d+)?"
    text_kinds = frozenset({K.SHELL})
    VALID = [Example("#SBATCH --gres=gpu:8\n", path="train.sbatch"), Example("#SBATCH --gpus-per-node=4\n", path="job.sh")]
    INVALID = [Example("#SBATCH --gres=gpu:a100:8\n", path="train.sbatch", fixed="#SBATCH --gres=gpu:8\n",
                       target=Target.ROCM),
               Example("srun --gpus-per-node=h100:4 python train.py\n", path="run.sh")]


class CudaEnvironmentModule(Rule):
    """
    ## What it does
    Finds environment modules of NVIDIA's stack loaded in job scripts: `module load cuda/12.1`,
    `cudnn`, `nccl`, `nvhpc`, `cudatoolkit`.

    ## Why it blocks a migration
    The target cluster has no such module: `module load` fails (and with `set -e` the job ends
    before it starts), or it loads nothing the target's accelerator can use.

    ## Example
    ```shell
    module load cuda/12.1 nccl
    ```
    Use instead: the target's module (`module load rocm` on ROCm sites), or none when the container
    brings the stack.

    ## Fix safety
    Safe once the target is known: `homeport port --target` replaces the CUDA module with the one
    recorded in catalog/data/slurm_accelerators.csv and drops cuDNN and NCCL; `--target cpu` drops
    them all. Where no module is recorded (Gaudi, XPU, Ascend: site names differ) the line is left
    with the reason in the change log.
    """

    code, name = "ACC210", "cuda-environment-module"
    category = Category.ACCELERATOR
    severity, on = WARNING, NVIDIA_ONLY
    message = "`{name}` loads NVIDIA's stack as an environment module; load the target's instead"
    fix_title = "Load the target's module"
    fix_applicability = Applicability.SAFE
    text = (r"(?<![\w-])(?:module|ml)\s+(?:load|add|try-load)\b[^#\n;&|]*?(?<![\w/.-])"
            r"(?:cuda|cudnn|nccl|nvhpc|cudatoolkit|cuda-toolkit)(?:[/-][\w.-]*)?(?![\w.-])")
    text_kinds = frozenset({K.SHELL})
    VALID = [Example("module load rocm/6.0\n", path="job.sh"), Example("module load python cudf-docs\n", path="job.sh")]
    INVALID = [Example("module load cuda/12.1\n", path="train.sbatch", fixed="module load rocm\n", target=Target.ROCM),
               Example("module load gcc cuda/12.1 nccl\n", path="train.sbatch", fixed="module load gcc\n",
                       target=Target.CPU)]
