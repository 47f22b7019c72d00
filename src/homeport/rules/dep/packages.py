"""DEP0xx and DEP2xx: CUDA builds, NVIDIA packages and images, hyperscaler SDK packages."""

from homeport.assess import kinds as K
from homeport.core.model import Category, Severity, Target
from homeport.core.rule import Example, Rule

INSTALLERS = frozenset({K.REQUIREMENTS, K.PYPROJECT, K.SETUP_CFG, K.CONDA, K.DOCKERFILE, K.SHELL})
_ROCM_OK = {Target.CUDA: Severity.INFO}


class CudaWheel(Rule):
    """
    ## What it does
    Finds PyTorch builds pinned to a CUDA version: `+cu121` local versions and CUDA wheel indexes
    (`--index-url https://download.pytorch.org/whl/cu121`).

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
    requirement = r"\+cu\d+"
    text = r"download\.pytorch\.org/whl/(?:nightly/)?cu\d+\S*|\bwhl/cu\d{2,3}\b\S*"
    text_kinds = INSTALLERS
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
    Finds container images built on a CUDA stack: `nvidia/cuda`, NGC images (`nvcr.io/...`), and
    framework images with a CUDA tag (`pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime`).

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
    text = (r"(?i)^\s*FROM\s+(?:--platform=\S+\s+)?\S*(?:nvidia/cuda|nvcr\.io/|cuda)\S*"
            r"|^\s*-?\s*image:\s*[\"']?\S*(?:nvidia/cuda|nvcr\.io/)\S*")
    text_kinds = frozenset({K.DOCKERFILE, K.YAML})
    VALID = [Example("FROM python:3.11-slim\n", path="Dockerfile")]
    INVALID = [Example("FROM nvidia/cuda:12.1.1-runtime-ubuntu22.04 AS runtime\n", path="Dockerfile"),
               Example("FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime\n", path="Dockerfile")]


class CondaCudaPackage(Rule):
    """
    ## What it does
    Finds CUDA packages in conda environments: `cudatoolkit`, `pytorch-cuda`, `cuda-toolkit`,
    `cuda-*`, `cudnn`, `nccl`, and the `nvidia` channel.

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
    packages = ("cudatoolkit", "cudatoolkit-dev", "pytorch-cuda", "cuda-toolkit", "cuda-*", "cudnn", "nccl")
    text = r"^\s*-\s*nvidia\s*$"
    text_kinds = frozenset({K.CONDA})
    VALID = [Example("dependencies:\n  - python=3.11\n  - pytorch\n", path="environment.yml")]
    INVALID = [Example("dependencies:\n  - pytorch-cuda=12.1\n", path="environment.yml"),
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
                "smdistributed-*", "awswrangler", "aws-*", "amazon-*", "s3transfer", "boto3-stubs")
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
    packages = ("google-cloud-*", "google-api-python-client", "gcsfs", "cloudml-hypertune", "google-auth",
                "google-auth-*", "vertexai", "google-genai")
    VALID = [Example("requests\n", path="requirements.txt")]
    INVALID = [Example("google-cloud-storage\ngcsfs==2024.2.0\n", path="requirements.txt")]
