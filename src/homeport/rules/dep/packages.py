"""DEP0xx and DEP2xx: CUDA builds, NVIDIA packages and images, hyperscaler SDK packages."""

from homeport.assess import kinds as K
from homeport.core.model import Category, Severity, Target
from homeport.core.rule import Example, Rule

INSTALLERS = frozenset({K.REQUIREMENTS, K.PYPROJECT, K.SETUP_CFG, K.CONDA, K.DOCKERFILE, K.SHELL})
_ROCM_OK = {Target.CUDA: Severity.INFO}


class CudaWheel(Rule):
    """
    ## What it does
    Finds PyTorch builds pinned to a CUDA version: `+cu121` local versions (also `+${CUDA_TAG}`), CUDA
    wheel indexes (`--index-url https://download.pytorch.org/whl/cu121`) and GPU wheel URLs.

    ## Why it blocks a migration
    The CUDA wheel cannot use an AMD, Intel, Gaudi or Ascend device; the target needs its own build
    (`rocm6.x`, `xpu` index, the Gaudi or Ascend software stack).

    ## Example
    ```
    --extra-index-url https://download.pytorch.org/whl/cu121
    torch==2.3.1+cu121
    ```
    Use instead: the version without a local suffix, and the index chosen per target at install time.

    ## Fix safety
    Unsafe: the right index and version depend on the target's driver stack.
    """

    code, name = "DEP001", "cuda-wheel"
    category = Category.DEPENDENCY
    severity, on = Severity.BLOCKER, _ROCM_OK
    message = "`{name}` pins a CUDA build of PyTorch; install the target's build instead"
    requirement = r"\+(?:cu\d+|\$\{?\w*CUDA)"
    text = (r"download\.pytorch\.org/whl/(?:nightly/)?cu\d+\S*|\bwhl/cu\d{2,3}\b\S*"
            r"|https?://\S*(?:/gpu/|[-_+]cu\d{2,3}(?!\d)|/cu\d{2,3}/|\+\$\{?\w*CUDA)\S*\.whl")
    text_kinds = INSTALLERS | {K.YAML, K.JSON}  # CI files pass pip arguments too
    VALID = [Example("torch==2.6.0\n", path="requirements.txt")]
    INVALID = [Example("torch==2.3.1+cu121\n", path="requirements.txt"),
               Example("--extra-index-url https://download.pytorch.org/whl/cu121\ntorch\n", path="requirements.txt")]


class NvidiaPackage(Rule):
    """
    ## What it does
    Finds `nvidia-*` packages: the CUDA runtime, cuDNN, cuBLAS, NCCL and friends as wheels
    (`nvidia-nccl-cu12`, `nvidia-cudnn-cu12`, ...).

    ## Why it blocks a migration
    They are NVIDIA's libraries; a target without NVIDIA hardware cannot use them and they add
    gigabytes to every image.

    ## Example
    ```
    nvidia-nccl-cu12==2.20.5
    ```
    Use instead: let the target's PyTorch build bring its own runtime libraries.

    ## Fix safety
    Unsafe: removing a pinned runtime library changes what gets installed.
    """

    code, name = "DEP002", "nvidia-package"
    category = Category.DEPENDENCY
    severity, on = Severity.BLOCKER, _ROCM_OK
    message = "`{name}` is an NVIDIA runtime library; the target's PyTorch build brings its own"
    packages = ("nvidia-*",)
    VALID = [Example("numpy\n", path="requirements.txt")]
    INVALID = [Example("nvidia-nccl-cu12==2.20.5\n", path="requirements.txt")]


class CudaBaseImage(Rule):
    """
    ## What it does
    Finds container images and managed environments built on a CUDA stack: `nvidia/cuda`, NGC images
    (`nvcr.io/...`), images with a CUDA or GPU tag (`pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime`,
    `tensorflow/tensorflow:latest-gpu`, `...-cu117`), NCCL test images, and Azure ML environments
    with a CUDA version, in Dockerfiles (`FROM`) and manifests (`image:`, `environment:`).

    ## Why it blocks a migration
    The image carries the CUDA toolkit and NVIDIA's libraries; on another accelerator it needs a
    different base (ROCm, Gaudi, oneAPI, CANN images) or a plain Python base.

    ## Example
    ```dockerfile
    FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04
    ```
    Use instead: a base image per target, chosen by a build argument.

    ## Fix safety
    Unsafe: the base image decides the whole software stack.
    """

    code, name = "DEP003", "cuda-base-image"
    category = Category.DEPENDENCY
    severity, on = Severity.BLOCKER, _ROCM_OK
    message = "`{name}` is a CUDA base image; build from the target's base image"
    _cuda_image = r"\S*(?:nvidia/cuda|nvcr\.io/|cuda|nccl|[-_.:]gpu\b|[-_.]cu\d{2,3}\b)\S*"
    text = (rf"(?i)^\s*FROM:?\s+(?:--platform=\S+\s+)?{_cuda_image}"
            rf"|^\s*-?\s*(?:(?:ARG|ENV|export|local)\s+)?[\"']?[\w-]*(?:image|environment)[\w-]*[\"']?\s*[:=]\s*[\"']?"
            rf"{_cuda_image}")
    text_kinds = frozenset({K.DOCKERFILE, K.YAML, K.JSON, K.SHELL})
    VALID = [Example("FROM python:3.11-slim\n", path="Dockerfile"),
             Example("containers:\n  - image: ghcr.io/acme/trainer:1.2\n", path="job.yaml"),
             Example('IMAGE="ghcr.io/acme/trainer:1.2"\n', path="build.sh")]
    INVALID = [Example("FROM nvidia/cuda:12.1.1-runtime-ubuntu22.04 AS runtime\n", path="Dockerfile"),
               Example("containers:\n  - image: tensorflow/tensorflow:latest-gpu\n", path="job.yaml"),
               Example("environment: azureml:AzureML-acpt-pytorch-2.8-cuda12.6@latest\n", path="job.yml"),
               Example("BASE_IMAGE=nvidia/cuda:13.0.3-cudnn-devel-ubuntu24.04\n", path="build.sh"),
               Example("FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime\n", path="Dockerfile")]


class CondaCudaPackage(Rule):
    """
    ## What it does
    Finds CUDA packages in conda environments and Python requirements: `cudatoolkit`, `pytorch-cuda`,
    `cuda-toolkit`, `cuda-*`, `cudnn`, `nccl`, CUDA builds of other packages (`dgl-cuda10.1`,
    `magma-cuda121`), and the conda `nvidia` channel. (System packages installed with apt or yum are
    ACC208.)

    ## Why it blocks a migration
    They install NVIDIA's toolkit into the environment; the target needs its own stack.

    ## Example
    ```yaml
    dependencies:
      - pytorch-cuda=12.1
    ```
    Use instead: the PyTorch build for the target, installed from its own index or channel.

    ## Fix safety
    Unsafe: the environment has to be re-solved for the target.
    """

    code, name = "DEP004", "conda-cuda-package"
    category = Category.DEPENDENCY
    severity, on = Severity.BLOCKER, _ROCM_OK
    message = "`{name}` installs NVIDIA's CUDA stack; use the target's stack"
    packages = ("cudatoolkit", "cudatoolkit-dev", "pytorch-cuda", "cuda-toolkit", "cuda-*", "cudnn", "nccl",
                "*-cuda*")
    text = r"^\s*-\s*nvidia\s*$"
    text_kinds = frozenset({K.CONDA})
    VALID = [Example("dependencies:\n  - python=3.11\n  - pytorch\n", path="environment.yml"),
             Example("FROM ubuntu:22.04\nRUN apt-get install -y cuda-toolkit-12-1\n", path="Dockerfile")]
    INVALID = [Example("dependencies:\n  - pytorch-cuda=12.1\n", path="environment.yml"),
               Example("RUN conda install -c pytorch magma-cuda121==2.6.1\n", path="Dockerfile"),
               Example("channels:\n  - pytorch\n  - nvidia\n", path="environment.yml")]


class _SdkPackage(Rule, abstract=True):
    category = Category.DEPENDENCY
    severity = Severity.WARNING


class AwsSdkPackage(_SdkPackage):
    """
    ## What it does
    Finds AWS SDK and service packages: `boto3`, `botocore`, `aiobotocore`, `awscli`, `sagemaker`,
    `sagemaker-training`, `smdistributed-*`, `awswrangler`, `aws-*`.

    ## Why it blocks a migration
    They tie the pipeline to AWS APIs. S3 clients can point at an S3-compatible endpoint; managed
    services (SageMaker, CloudWatch, Secrets Manager) have no equivalent on the target.

    ## Example
    ```
    sagemaker>=2.200
    ```
    Use instead: S3-compatible clients with a configurable endpoint; torchrun launchers for training.

    ## Fix safety
    No automatic fix: the code that uses the SDK decides what can go.
    """

    code, name = "DEP201", "aws-sdk-package"
    message = "`{name}` is an AWS SDK package; keep it only for S3-compatible storage with a configurable endpoint"
    packages = ("boto3", "botocore", "aiobotocore", "aioboto3", "awscli", "sagemaker", "sagemaker-*",
                "smdistributed-*", "awswrangler", "aws-*", "amazon-*", "s3transfer", "boto3-stubs", "hyperpod-*",
                "smdebug", "smdebug-rulesconfig")
    system_packages = ("awscli", "aws-cli", "amazon-efa-*", "amazon-cloudwatch-agent")
    VALID = [Example("requests\n", path="requirements.txt")]
    INVALID = [Example("boto3>=1.34\nsagemaker==2.219.0\n", path="requirements.txt")]


class AzureSdkPackage(_SdkPackage):
    """
    ## What it does
    Finds Azure SDK packages: `azure-*`, `azureml-*`, `adlfs`, `azure-ai-ml`.

    ## Why it blocks a migration
    They call Azure services (Blob Storage, Azure ML, Key Vault) that the target does not offer.

    ## Example
    ```
    azure-ai-ml==1.15.0
    ```
    Use instead: S3-compatible storage clients and torchrun-based launchers.

    ## Fix safety
    No automatic fix.
    """

    code, name = "DEP202", "azure-sdk-package"
    message = "`{name}` is an Azure SDK package; the target needs its own service clients"
    packages = ("azure-*", "azureml-*", "azureml", "adlfs", "mlflow-azureml")
    system_packages = ("azure-cli", "blobfuse*")
    VALID = [Example("requests\n", path="requirements.txt")]
    INVALID = [Example("azure-storage-blob>=12\n", path="requirements.txt")]


class GcpSdkPackage(_SdkPackage):
    """
    ## What it does
    Finds Google Cloud packages: `google-cloud-*`, `google-api-python-client`, `gcsfs`,
    `cloudml-hypertune`, `google-auth`.

    ## Why it blocks a migration
    They call GCP services (Cloud Storage, Vertex AI, BigQuery) that the target does not offer.

    ## Example
    ```
    google-cloud-aiplatform==1.50.0
    ```
    Use instead: S3-compatible storage clients and torchrun-based launchers.

    ## Fix safety
    No automatic fix.
    """

    code, name = "DEP203", "gcp-sdk-package"
    message = "`{name}` is a Google Cloud package; the target needs its own service clients"
    packages = ("google-cloud-*", "google-api-python-client", "google-api-core", "googleapis-common-protos",
                "google-resumable-media", "google-crc32c", "grpc-google-*", "gcsfs", "cloudml-hypertune",
                "google-auth", "google-auth-*", "vertexai", "google-genai")
    system_packages = ("google-cloud-sdk", "google-cloud-sdk-*", "google-cloud-cli", "google-cloud-cli-*", "gcsfuse")
    VALID = [Example("requests\n", path="requirements.txt")]
    INVALID = [Example("google-cloud-storage\ngcsfs==2024.2.0\n", path="requirements.txt"),
               Example("FROM debian\nRUN apt-get install -y google-cloud-cli\n", path="Dockerfile")]


class VendorStackBuild(Rule):
    """
    ## What it does
    Finds image builds that fetch and pin NVIDIA's or AWS's low-level stack: `git clone` of NVIDIA
    repositories (NCCL, nccl-tests, gdrcopy, apex, TransformerEngine), build arguments and variables
    that pin their versions (`ARG NCCL_VERSION=...`, `CUDA_VERSION`, `GDRCOPY_VERSION`,
    `EFA_INSTALLER_VERSION`, `AWS_OFI_NCCL_VERSION`, also as build-matrix keys), NVIDIA's package
    repositories (`developer.download.nvidia.com`, `pypi.nvidia.com`), and the AWS EFA installer.

    ## Why it blocks a migration
    These layers are the vendor's collective and network stack compiled into the image. On the
    target they are replaced wholesale (RCCL, HCCL, oneCCL; the provider's RDMA stack), not carried.

    ## Example
    ```dockerfile
    ARG NCCL_VERSION=v2.21.5-1
    RUN git clone -b ${NCCL_VERSION} https://github.com/NVIDIA/nccl.git /opt/nccl
    ```
    Use instead: the target's collective library from its base image.

    ## Fix safety
    No automatic fix.
    """

    code, name = "DEP005", "vendor-stack-build"
    category = Category.DEPENDENCY
    severity, on = Severity.BLOCKER, _ROCM_OK
    message = "`{name}` builds NVIDIA's or AWS's low-level stack into the image; use the target's"
    text = (r"github\.com/NVIDIA/[\w.-]+|(?<![\w$])(?:CUDA|CUDNN|CUBLAS|NCCL|NCCL_TESTS|GDRCOPY|EFA_INSTALLER"
            r"|AWS_OFI_NCCL|OFI_NCCL|TRANSFORMER_ENGINE|NVSHMEM|DCGM)_(?:VERSION|TAG)\s*[=:]\s*[\"']?[\w.${]"
            r"|efa-installer\.amazonaws\.com|efa_installer\.sh|developer\.download\.nvidia\.com|pypi\.(?:ngc\.)?nvidia\.com"
            r"|github\.com/aws/aws-ofi-nccl")
    text_kinds = frozenset({K.DOCKERFILE, K.SHELL, K.YAML})
    strings = r"developer\.download\.nvidia\.com|pypi\.(?:ngc\.)?nvidia\.com"
    VALID = [Example("FROM python:3.11\nARG APP_VERSION=1.0\nRUN git clone https://github.com/acme/tool.git\n",
                     path="Dockerfile")]
    INVALID = [Example("FROM base\nARG NCCL_VERSION=v2.21.5-1\n", path="Dockerfile"),
               Example("RUN git clone -b ${NCCL_TESTS_TAG} https://github.com/NVIDIA/nccl-tests.git\n",
                       path="Dockerfile")]
