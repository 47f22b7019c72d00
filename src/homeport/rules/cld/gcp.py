"""CLD2xx: code and configuration tied to Google Cloud: the SDKs, Vertex AI, GCS URIs and hosts,
Artifact/Container Registry, environment variables, regions, machine and accelerator types,
Terraform, gcloud/gsutil/bq, GKE."""

from __future__ import annotations

import ast

from homeport.assess import kinds as K
from homeport.core.rule import Example
from homeport.rules.cld._common import (BLOCKER, COMMANDS, HOST_START, LABEL, MANIFESTS, SETTINGS, TERRAFORM,
                                        CloudRule, by_prefix, instance_notes, token, whole)

_SDK_NOTES = {
    "google.cloud.storage": "a Cloud Storage client; move the data and use an S3 client with the target's endpoint",
    "gcsfs": "the Cloud Storage filesystem for fsspec; use s3fs with the target's endpoint",
    "google.auth": "Google credentials (Application Default Credentials); use the target's credentials",
    "google.oauth2": "Google credentials; use the target's credentials",
}


class GcpSdkImport(CloudRule):
    """
    ## What it does
    Finds imports and uses of the Google Cloud SDKs for Python: `google.cloud.*` (Cloud Storage and
    the rest), `google.auth` (`google.auth.default()`), `google.oauth2`, `google.api_core`,
    `googleapiclient`, `oauth2client` and `gcsfs`. Vertex AI (CLD202) and managed services without an
    equivalent (CLD203) have their own, more specific rules.

    ## Why it blocks a migration
    Cloud Storage's client and Google credentials do not exist on the target; the storage code needs
    an S3 client there.

    ## Example
    ```python
    from google.cloud import storage
    bucket = storage.Client().bucket("acme-data")
    ```
    Use instead: an S3 client (boto3, s3fs) with the target's endpoint and credentials from settings.

    ## Fix safety
    No automatic fix: the storage client and its calls change.
    """

    code, name = "CLD201", "gcp-sdk-import"
    message = "`{name}` is the Google Cloud SDK; use the target's clients (S3-compatible storage) instead"
    names = ("google.cloud", "google.auth", "google.oauth2", "google.api_core", "google.resumable_media",
             "googleapiclient", "oauth2client", "gcsfs", "google_auth_oauthlib", "google_auth_httplib2")

    @classmethod
    def refine_call(cls, qualname, call):
        note = by_prefix(qualname, _SDK_NOTES)
        return f"`{{name}}` is {note}" if note else cls.message

    VALID = [Example("import google.protobuf.text_format as tf\nm = tf.Parse(s, msg)"),
             Example("import s3fs\nfs = s3fs.S3FileSystem()")]
    INVALID = [Example("from google.cloud import storage\nc = storage.Client()"),
               Example("import google.auth\ncreds, project = google.auth.default()"),
               Example("import gcsfs\nfs = gcsfs.GCSFileSystem(project='p')")]


class VertexAiSdk(CloudRule):
    """
    ## What it does
    Finds the Vertex AI SDKs and helpers: `google.cloud.aiplatform` (`aiplatform.init`,
    `CustomJob`, `CustomTrainingJob`), `vertexai`, `hypertune` (Vertex hyperparameter tuning
    reports, also `.report_hyperparameter_tuning_metric()` on its object),
    `google_cloud_pipeline_components`, and the Vertex-only argument `worker_pool_specs=`.

    ## Why it blocks a migration
    Vertex AI is a managed training service: it provisions the machines, mounts GCS and runs the
    container. The target has nothing to submit to.

    ## Example
    ```python
    from google.cloud import aiplatform
    aiplatform.CustomJob(display_name="train", worker_pool_specs=specs).run()
    ```
    Use instead: a launcher that runs `torchrun` on the target (Kubernetes training-operator job,
    Slurm or plain nodes), with data in its S3-compatible storage.

    ## Fix safety
    No automatic fix: the job definition is rewritten for the target's scheduler.
    """

    code, name = "CLD202", "vertex-ai-sdk"
    severity = BLOCKER
    message = "`{name}` is Vertex AI, a managed service the target does not have; launch with torchrun there"
    names = ("google.cloud.aiplatform", "google.cloud.aiplatform_v1", "google.cloud.aiplatform_v1beta1", "vertexai",
             "hypertune", "google_cloud_pipeline_components")
    keywords = ("worker_pool_specs",)
    methods = ("report_hyperparameter_tuning_metric",)
    VALID = [Example("import kfp\nkfp.compiler.Compiler().compile(pipeline, 'p.yaml')")]
    INVALID = [Example("from google.cloud import aiplatform\naiplatform.init(project='p', location='europe-west4')"),
               Example("import hypertune\nhpt = hypertune.HyperTune()"),
               Example("import vertexai\nfrom vertexai.generative_models import GenerativeModel"),
               Example("job = CustomJob(display_name='t', worker_pool_specs=specs)"),
               Example("self.hpt.report_hyperparameter_tuning_metric(hyperparameter_metric_tag='acc', metric_value=a)")]


class GcpManagedServiceClient(CloudRule):
    """
    ## What it does
    Finds clients of Google Cloud managed services with no equivalent on a sovereign cloud:
    BigQuery (`google.cloud.bigquery`, `pandas_gbq`, `bigframes`), Secret Manager, Cloud Logging,
    Cloud Monitoring, Pub/Sub, Firestore, Datastore, Spanner, Bigtable, Dataproc, Cloud Tasks,
    Cloud Run and Functions, GKE and Compute Engine APIs, Artifact Registry, KMS, Cloud Batch,
    Workflows, Cloud TPU, the AI APIs (Vision, Speech, Translate, Document AI, ...).

    ## Why it blocks a migration
    These APIs exist only at Google; the job fails at the first call, or silently loses its logs
    and metrics.

    ## Example
    ```python
    from google.cloud import secretmanager
    key = secretmanager.SecretManagerServiceClient().access_secret_version(name=path).payload.data
    ```
    Use instead: an open or target equivalent behind an interface: secrets from the environment or
    Kubernetes secrets, logs and metrics to the cluster's stack, tables in the target's database.

    ## Fix safety
    No automatic fix: a managed service is replaced by a design decision.
    """

    code, name = "CLD203", "gcp-managed-service-client"
    severity = BLOCKER
    message = "`{name}` uses a Google Cloud managed service with no equivalent on the target; replace it behind an interface"
    names = tuple(f"google.cloud.{m}" for m in (
        "bigquery", "bigquery_storage", "bigquery_storage_v1", "bigquery_datatransfer", "secretmanager",
        "secretmanager_v1", "logging", "logging_v2", "monitoring", "monitoring_v3", "pubsub", "pubsub_v1",
        "firestore", "datastore", "spanner", "bigtable", "dataproc", "dataproc_v1", "tasks", "tasks_v2",
        "functions", "run", "run_v2", "container", "container_v1", "compute", "compute_v1", "artifactregistry",
        "kms", "dataflow", "scheduler", "error_reporting", "trace", "translate", "vision", "speech",
        "language", "documentai", "dlp", "batch", "workflows", "tpu", "tpu_v2", "notebooks", "resourcemanager",
        "iam", "iam_credentials", "sql", "redis", "dataplex", "dataform", "storage_transfer", "videointelligence",
        "texttospeech", "discoveryengine", "retail", "recommendations_ai")) + ("pandas_gbq", "bigframes")
    VALID = [Example("from google.cloud import storage\nc = storage.Client()"),
             Example("import logging\nlog = logging.getLogger(__name__)")]
    INVALID = [Example("from google.cloud import bigquery\nc = bigquery.Client()"),
               Example("from google.cloud import secretmanager\nc = secretmanager.SecretManagerServiceClient()"),
               Example("import google.cloud.logging\ngoogle.cloud.logging.Client().setup_logging()")]


class GcsUri(CloudRule):
    """
    ## What it does
    Finds Cloud Storage URIs (`gs://`, and fsspec's `gcs://`) in code (string literals and f-string
    templates) and in configuration, scripts, images and manifests.

    ## Why it blocks a migration
    They name Google buckets: the data has to be copied to the target's storage, and the code that
    reads it needs an S3 client there.

    ## Example
    ```yaml
    train_data: gs://acme-llm/datasets/train/
    ```
    Use instead: `s3://` or `REMOTE:bucket/prefix` on the target (copy with `homeport data copy`).

    ## Fix safety
    Unsafe: the bucket layout on the target is the user's choice.
    """

    code, name = "CLD204", "gcs-uri"
    destination = "location"
    message = "`{name}` is a Cloud Storage URI; copy the data to the target and use its S3 endpoint"
    strings = r"\b(?:gs|gcs)://"
    text = r"\b(?:gs|gcs)://[^\s\"'`,;)\]}]*"
    text_kinds = SETTINGS
    VALID = [Example("uri = 's3://bucket/key'"), Example("x = 'dogs://x'"),
             Example("data:\n  path: /gcs/local-copy\n", path="train.yaml")]
    INVALID = [Example("uri = 'gs://bucket/key'"), Example("uri = f'gs://{bucket}/{blob}'"),
               Example("data:\n  train: gs://acme/datasets/train/\n", path="train.yaml"),
               Example("gsutil -m cp -r gs://acme/data /data\n", path="stage.sh")]


_PUBLIC_GCR = (r"(?:distroless|kaniko-project|google-containers|google_containers|cloud-builders|cloudsql-docker"
               r"|deeplearning-platform-release)/")
_PUBLIC_AR = r"(?:deeplearning-platform-release)/"
GCP_ENDPOINT = (
    rf"{HOST_START}(?!(?:fonts|ajax|maps|translate|youtube)\.googleapis\.com)(?:{LABEL}+\.)*googleapis\.com(?![\w-])"
    r"|\bmetadata\.google\.internal\b|(?:\b169\.254\.169\.254|//metadata)/computeMetadata\b[\w/-]*|\bMetadata-Flavor\b"
    r"|\b(?:packages|packages-cloud)\.cloud\.google\.com\b"
    rf"|{HOST_START}(?:{LABEL}+\.)*(?:console|storage)\.cloud\.google\.com(?![\w-])"
    rf"|{HOST_START}{LABEL}+\.(?:run\.app|cloudfunctions\.net|appspot\.com)(?![\w-])"
    rf"|(?<![\w.-])(?:[a-z]{{2,4}}\.)?gcr\.io/{_PUBLIC_GCR}[\w./:@-]*"
    rf"|(?<![\w.-])[a-z0-9-]+-docker\.pkg\.dev/{_PUBLIC_AR}[\w./:@-]*")


class GcpEndpoint(CloudRule):
    """
    ## What it does
    Finds Google Cloud hosts: `*.googleapis.com` (`storage.googleapis.com`,
    `europe-west4-aiplatform.googleapis.com`, OAuth scopes), the metadata server
    (`metadata.google.internal`, `169.254.169.254/computeMetadata`), the Cloud SDK package
    repository (`packages.cloud.google.com`), the console and `storage.cloud.google.com`, Cloud Run, Cloud
    Functions and App Engine hosts, and public Google images (`gcr.io/distroless`,
    `*-docker.pkg.dev/deeplearning-platform-release`). Private registries have their own rule (CLD206).

    ## Why it blocks a migration
    A hard-coded Google host sends data or requests to Google whatever else is configured; Google is
    subject to the CLOUD Act wherever the region is (research/assessment-residency.md section 4).

    ## Example
    ```python
    url = f"https://storage.googleapis.com/{bucket}/{blob}"
    ```
    Use instead: the target's endpoint from settings; let `homeport fence` block the Google hosts.

    ## Fix safety
    Unsafe: the replacement host depends on the target.
    """

    code, name = "CLD205", "gcp-endpoint"
    message = "`{name}` is a Google Cloud host; use the target's endpoint from settings"
    strings = GCP_ENDPOINT
    text = GCP_ENDPOINT
    text_kinds = SETTINGS
    VALID = [Example("url = 'https://fonts.googleapis.com/css?family=Inter'"),
             Example("url = 'https://cloud.google.com/vertex-ai/docs'"),
             Example("image: europe-west4-docker.pkg.dev/acme/ml/train:1\n", path="job.yaml")]
    INVALID = [Example("url = f'https://storage.googleapis.com/{bucket}/{blob}'"),
               Example("SCOPES = ['https://www.googleapis.com/auth/cloud-platform']"),
               Example("curl -H 'Metadata-Flavor: Google' http://metadata.google.internal/computeMetadata/v1/\n",
                       path="probe.sh"),
               Example("FROM gcr.io/distroless/python3\n", path="Dockerfile"),
               Example("RUN curl https://packages.cloud.google.com/apt/doc/apt-key.gpg | apt-key add -\n",
                       path="Dockerfile")]


GCP_REGISTRY = (rf"(?<![\w.-])(?:[a-z]{{2,4}}\.)?gcr\.io/(?!{_PUBLIC_GCR}){LABEL}[\w./:@${{}}-]*"
                rf"|(?<![\w.-])(?:[a-z0-9-]+|\$\{{?\w+\}}?|\{{[^}}\s]*\}})-docker\.pkg\.dev/(?!{_PUBLIC_AR})"
                rf"{LABEL}[\w./:@${{}}-]*")


class GcpContainerRegistry(CloudRule):
    """
    ## What it does
    Finds images in Google's private registries: Artifact Registry
    (`<location>-docker.pkg.dev/<project>/<repo>/...`, also Vertex's prebuilt containers under
    `us-docker.pkg.dev/vertex-ai/`) and Container Registry (`gcr.io/<project>/...`,
    `eu.gcr.io`), in code, images, manifests and scripts. Well-known public images (distroless,
    kaniko, Deep Learning Containers) are reported as hosts (CLD205).

    ## Why it blocks a migration
    Pulls from a project's registry need Google IAM credentials, which the target's nodes do not
    have; the pod or job never starts.

    ## Example
    ```yaml
    image: europe-west4-docker.pkg.dev/acme/ml/llm-train:latest
    ```
    Use instead: push the image to the target's registry and reference it from a setting.

    ## Fix safety
    Unsafe: the registry on the target is the user's choice.
    """

    code, name = "CLD206", "gcp-container-registry"
    severity = BLOCKER
    message = "`{name}` is in Google's registry, which needs Google IAM to pull; push the image to the target's registry"
    strings = GCP_REGISTRY
    text = GCP_REGISTRY
    text_kinds = SETTINGS
    VALID = [Example("FROM gcr.io/distroless/python3-debian12\n", path="Dockerfile"),
             Example("image = 'registry.example.eu/train:1'")]
    INVALID = [Example("image: europe-west4-docker.pkg.dev/acme/ml/llm-train:latest\n", path="job.yaml"),
               Example("FROM gcr.io/acme-ml/base:cu121\n", path="Dockerfile"),
               Example("uri = f'{REGION}-docker.pkg.dev/{PROJECT}/ml/train:latest'"),
               Example("container_uri = 'us-docker.pkg.dev/vertex-ai/training/pytorch-gpu.2-1.py310:latest'")]


class VertexEnvironmentVariable(CloudRule):
    """
    ## What it does
    Finds the environment of a Vertex AI (and legacy AI Platform) job: `AIP_*` variables
    (`AIP_MODEL_DIR`, `AIP_CHECKPOINT_DIR`, `AIP_TENSORBOARD_LOG_DIR`, `AIP_TRAINING_DATA_URI`, ...),
    `CLOUD_ML_*` (`CLOUD_ML_JOB_ID`, ...), and the Cloud Storage FUSE mount `/gcs/<bucket>`.

    ## Why it blocks a migration
    Only Vertex AI sets them and mounts `/gcs`; elsewhere the code crashes or writes where nothing
    is synced.

    ## Example
    ```python
    model_dir = os.environ["AIP_MODEL_DIR"]
    ```
    Use instead: the job's own settings, passed by the launcher.

    ## Fix safety
    Unsafe: the replacement value depends on the target's storage layout.
    """

    code, name = "CLD207", "vertex-environment-variable"
    message = "`{name}` is set only inside Vertex AI jobs; pass the value as a job setting instead"
    _names = r"AIP_[A-Z][A-Z0-9_]*|CLOUD_ML_[A-Z][A-Z0-9_]*"
    strings = rf"^(?:{_names}|/gcs/?)$|(?<![\w.])/gcs/[\w${{}}-]"
    text = rf"\b(?:{_names})\b|(?<![\w.])/gcs/[\w${{}}-][\w./${{}}-]*"
    text_kinds = SETTINGS
    VALID = [Example("import os\nd = os.environ.get('MODEL_DIR')"), Example("p = 'data/gcs/x'"),
             Example("export AIRFLOW_HOME=/opt/airflow\n", path="run.sh")]
    INVALID = [Example("import os\nmodel_dir = os.environ['AIP_MODEL_DIR']"),
               Example("ckpt = '/gcs/acme-ckpt/run1'"), Example("prefix = '/gcs/'"),
               Example("out = os.path.join('/gcs', bucket, job_name)"),
               Example("python train.py --out \"$AIP_CHECKPOINT_DIR\"\n", path="run.sh")]


_GCP_ENV = (r"GOOGLE_[A-Z][A-Z0-9_]*|GCLOUD_[A-Z][A-Z0-9_]*|GCP_[A-Z][A-Z0-9_]*|GCS_[A-Z][A-Z0-9_]*"
            r"|CLOUDSDK_[A-Z][A-Z0-9_]*|GCE_METADATA_(?:HOST|IP|ROOT)")


class GcpEnvironmentVariable(CloudRule):
    """
    ## What it does
    Finds Google Cloud settings in the environment: `GOOGLE_*` (`GOOGLE_APPLICATION_CREDENTIALS`,
    `GOOGLE_CLOUD_PROJECT`, `GOOGLE_GENAI_USE_VERTEXAI`, ...), `GCLOUD_*`, `GCP_*`, `GCS_*`,
    `CLOUDSDK_*` and `GCE_METADATA_HOST`, read in code or set in images, manifests and scripts.

    ## Why it blocks a migration
    They select Google credentials, projects and buckets; none exists on the target.

    ## Example
    ```yaml
    env:
      - name: GOOGLE_APPLICATION_CREDENTIALS
        value: /secrets/sa.json
    ```
    Use instead: the target's credentials from a secret.

    ## Fix safety
    Unsafe: credentials are a security decision.
    """

    code, name = "CLD208", "gcp-environment-variable"
    message = "`{name}` configures Google Cloud credentials or projects; give the target's settings instead"
    strings = whole(_GCP_ENV)
    text = rf"\b(?:{_GCP_ENV})\b"
    text_kinds = SETTINGS
    VALID = [Example("import os\nk = os.environ['WANDB_API_KEY']"), Example("msg = 'GOOGLE_CLOUD_PROJECT missing'")]
    INVALID = [Example("import os\nproject = os.environ['GOOGLE_CLOUD_PROJECT']"),
               Example("env:\n  - name: GOOGLE_APPLICATION_CREDENTIALS\n    value: /s/sa.json\n", path="job.yaml"),
               Example("export CLOUDSDK_CORE_PROJECT=acme\n", path="setup.sh")]


GCP_REGION = (r"(?:us|europe|asia|australia|northamerica|southamerica|me|africa)-"
              r"(?:north|south|east|west|central|northeast|southeast|southwest|northwest)\d{1,2}")


class GcpRegion(CloudRule):
    """
    ## What it does
    Finds Google Cloud regions and zones (`europe-west4`, `us-central1`, `europe-west4-a`): string
    literals that are exactly a region or zone, and region tokens in configuration, Terraform (also
    `region = var.x` resolved through defaults and .tfvars), scripts and manifests.

    ## Why it blocks a migration
    The region decides where data lives; with Google as operator the CLOUD Act applies wherever it
    is, and "a location policy is not a data storage commitment" (research/assessment-residency.md
    section 4). The target's region is a residency decision.

    ## Example
    ```python
    aiplatform.init(project="acme", location="europe-west4")
    ```
    Use instead: the target's region from settings, checked by `homeport fence` against the policy.

    ## Fix safety
    Unsafe: the target region is a residency decision.
    """

    code, name = "CLD209", "gcp-region"
    destination = "region:gcp"
    message = "`{name}` is a Google Cloud region; take the region from settings and check it against the residency policy"
    strings = whole(rf"(?:{GCP_REGION})(?:-[a-f])?")
    text = token(rf"(?:{GCP_REGION})(?:-[a-f])?")
    text_kinds = SETTINGS - {K.CONDA}
    VALID = [Example("region = 'eu-west-1'"), Example("s = 'deploy to us-central1 soon'"),
             Example("image: europe-west4-docker.pkg.dev/p/r/i:1\n", path="job.yaml"),
             Example("url: https://us-central1-aiplatform.googleapis.com\n", path="job.yaml")]
    INVALID = [Example("aiplatform.init(project='acme', location='europe-west4')"),
               Example("zone = 'us-central1-a'"),
               Example('provider "google" {\n  region = "europe-west4"\n}\n', path="main.tf"),
               Example("gcloud config set compute/region europe-west3\n", path="setup.sh"),
               Example("GCP_REGION=me-central2\n", path=".env")]


GCP_MACHINE = (r"a2-(?:highgpu|megagpu|ultragpu)-\d+g|a3-(?:highgpu|megagpu|edgegpu|ultragpu)-\d+g"
               r"|a4x?-(?:highgpu|maxgpu)-\d+g(?:-nolssd)?|g[24]-standard-\d+"
               r"|(?:n1|n2|n2d|n4|n4d|e2|c2|c2d|c3|c3d|c4|c4a|c4d|m1|m2|m3|m4|t2d|t2a|h3|h4d|z3|x4)"
               r"-(?:standard|highmem|highcpu|megamem|ultramem|hypermem|highlssd|standardlssd)-\d+(?:-lssd|-metal)?"
               r"|e2-(?:micro|small|medium)|ct\d[a-z]*-hightpu-\d+t|tpu7x-standard-\d+t")
# TPU types (GPU types such as nvidia-tesla-a100 name NVIDIA hardware: the accelerator rules report them)
GCP_TPU = r"TPU_V\d[A-Z0-9_]*|tpu-v\d[a-z]*(?:-lite)?-(?:slice|podslice|device)"


class GcpMachineType(CloudRule):
    """
    ## What it does
    Finds Compute Engine machine types (`a2-highgpu-8g`, `a3-highgpu-8g`, `a3-megagpu-8g`,
    `g2-standard-48`, `n1-standard-8`, TPU `ct5lp-hightpu-4t`) and TPU accelerator types (Vertex's
    `TPU_V5_LITEPOD`, GKE's `tpu-v5-lite-podslice`) as whole strings in code and as tokens in
    configuration. GPU accelerator types (`nvidia-tesla-a100`, `NVIDIA_L4`) name NVIDIA hardware and
    are the accelerator rules' findings. The message names the accelerators when the catalog knows
    the type (catalog/data/instance_types.csv).

    ## Why it blocks a migration
    They are Google's SKUs; the target has its own flavours, counts and interconnect, and TPUs have
    no equivalent elsewhere.

    ## Example
    ```python
    machine_spec = {"machine_type": "a2-highgpu-8g", "accelerator_type": "NVIDIA_TESLA_A100"}
    ```
    Use instead: a target offer with the same accelerators (the catalog and `homeport cost` compare them).

    ## Fix safety
    Unsafe: the equivalent offer is a cost and capacity decision.
    """

    code, name = "CLD210", "gcp-machine-type"
    message = ("`{name}` is a Google Cloud machine or TPU type{instead}; "
               "choose the target offer with matching accelerators")
    replacements = instance_notes("gcp")
    strings = whole(rf"{GCP_MACHINE}|{GCP_TPU}")
    text = token(rf"{GCP_MACHINE}|{GCP_TPU}")
    text_kinds = SETTINGS - {K.CONDA}
    VALID = [Example("model = 'e2e-standard-test'"), Example("name = 'a2-highgpu-8g-pool is big'"),
             Example('type = "nvidia-l4"\n', path="gpu.tfvars"),
             Example("instance_type: p4d.24xlarge\n", path="job.yaml")]
    INVALID = [Example("spec = {'machine_type': 'a2-highgpu-8g', 'accelerator_type': 'NVIDIA_TESLA_A100'}"),
               Example("nodeSelector:\n  cloud.google.com/gke-tpu-accelerator: tpu-v5-lite-podslice\n", path="job.yaml"),
               Example('resource "google_compute_instance" "x" {\n  machine_type = "g2-standard-8"\n}\n',
                       path="main.tf"),
               Example("gcloud compute instances create x --machine-type=a3-megagpu-8g\n", path="vm.sh")]


_TF_GCP_MANAGED = (r"vertex_ai|notebooks|workbench|secret_manager|bigquery|artifact_registry|monitoring|logging"
                   r"|cloud_run|cloudfunctions2?|pubsub|kms|dataproc|composer|dataflow|tpu|cloud_tasks|spanner"
                   r"|bigtable|firestore|ml_engine")


class TerraformGoogle(CloudRule):
    """
    ## What it does
    Finds Google Cloud infrastructure in Terraform: `provider "google"` / `"google-beta"`, the
    `hashicorp/google` sources and `required_providers` entries, `resource` and `data` blocks of
    those providers, references to them (`google_storage_bucket.data.name`), modules from
    `terraform-google-modules` and `GoogleCloudPlatform`, and the `gcs` state backend.
    Managed-service resources have their own rule (CLD212).

    ## Why it blocks a migration
    The definition is written against Google's API; the target needs its own provider and resources.

    ## Example
    ```hcl
    resource "google_storage_bucket" "data" { name = "acme-llm" location = "EU" }
    ```
    Use instead: the target's Terraform provider and resources.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD211", "terraform-google"
    message = "`{name}` defines Google Cloud infrastructure; rewrite it with the target's Terraform provider"
    text = (rf'^\s*(?:provider|resource|data|ephemeral)\s+"google(?:-beta)?(?:_(?!(?:{_TF_GCP_MANAGED})_)'
            r'[a-z0-9_]+)?"'
            r'|\bsource\s*=\s*"(?:registry\.terraform\.io/)?(?:hashicorp/google(?:-beta)?|terraform-google-modules/'
            r'[^"]*|GoogleCloudPlatform/[^"]*)"'
            r'|\bsource\s*=\s*"[^"]*github\.com[:/](?:terraform-google-modules|GoogleCloudPlatform)/[^"]*"'
            r'|^\s*google(?:-beta)?\s*=\s*\{|^\s*backend\s+"gcs"'
            r"|(?<![\w.])(?:data\.)?google_[a-z0-9_]+\.[A-Za-z_][\w-]*(?![\w-]|\s*=)"
            r"|\bprovider\s*=\s*google(?:-beta)?\b")
    text_kinds = TERRAFORM
    VALID = [Example('provider "openstack" {}\n', path="main.tf"), Example("x = var.google_project\n", path="main.tf")]
    INVALID = [Example('provider "google" {\n  project = var.project\n}\n', path="main.tf"),
               Example('resource "google_storage_bucket" "d" {\n  name = "x"\n}\n', path="main.tf"),
               Example('resource "x" "y" {\n  bucket = google_storage_bucket.d.name\n}\n', path="main.tf"),
               Example('x = try(data.google_client_config.identity.0.access_token, null)\n', path="providers.tf"),
               Example('terraform {\n  backend "gcs" {\n    bucket = "tf"\n  }\n}\n', path="main.tf")]


class TerraformGoogleManagedService(CloudRule):
    """
    ## What it does
    Finds Terraform resources of Google Cloud managed services with no equivalent on a sovereign
    cloud: `google_vertex_ai_*`, `google_notebooks_*`, `google_workbench_*`, `google_secret_manager_*`,
    `google_bigquery_*`, `google_artifact_registry_*`, `google_monitoring_*`, `google_logging_*`,
    `google_cloud_run_*`, `google_pubsub_*`, `google_tpu_*`, ...

    ## Why it blocks a migration
    The pipeline depends on a service the target does not offer; its role has to be taken by
    something else before the move.

    ## Example
    ```hcl
    resource "google_vertex_ai_tensorboard" "tb" { region = "europe-west4" }
    ```
    Use instead: the target's or an open equivalent (Kubernetes jobs, Vault, Prometheus, the
    target's registry).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD212", "terraform-google-managed-service"
    severity = BLOCKER
    message = "`{name}` defines a Google Cloud managed service with no equivalent on the target; replace it first"
    text = rf'^\s*(?:resource|data|ephemeral)\s+"google(?:-beta)?_(?:{_TF_GCP_MANAGED})(?:_[a-z0-9_]*)?"'
    text_kinds = TERRAFORM
    VALID = [Example('resource "google_storage_bucket" "d" {\n  name = "x"\n}\n', path="main.tf")]
    INVALID = [Example('resource "google_vertex_ai_tensorboard" "tb" {\n  region = "x"\n}\n', path="main.tf"),
               Example('resource "google_artifact_registry_repository" "r" {\n  format = "DOCKER"\n}\n',
                       path="main.tf")]


_GCLOUD = r"(?<![\w/.$-])gcloud(?:\s+--?[\w-]+(?:=\S+)?)*\s+(?:(?:alpha|beta)\s+(?:--?[\w-]+(?:=\S+)?\s+)*)?"


class GcloudVertexCli(CloudRule):
    """
    ## What it does
    Finds gcloud calls of Vertex AI and its predecessors in scripts, images and manifests:
    `gcloud ai custom-jobs create`, `gcloud ai models upload`, `gcloud ai-platform jobs submit`,
    `gcloud ml-engine ...`.

    ## Why it blocks a migration
    They submit to or manage Vertex AI, which the target does not have.

    ## Example
    ```shell
    gcloud ai custom-jobs create --region=europe-west4 --config=job.yaml
    ```
    Use instead: the target's job submission (`kubectl apply`, `sbatch`, torchrun).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD213", "gcloud-vertex-cli"
    severity = BLOCKER
    message = "`{name}` calls Vertex AI; submit the job to the target's scheduler instead"
    text = (rf"{_GCLOUD}(?:ai\s+(?:custom-jobs|models|endpoints|hp-tuning-jobs|index-endpoints|indexes"
            r"|model-monitoring-jobs|operations|tensorboards|tensorboard-[\w-]+|persistent-resources)"
            r"|(?:ai-platform|ml-engine)\s+(?:jobs|models|versions|local|predict|explain|operations))\b")
    text_kinds = COMMANDS
    VALID = [Example("gcloud storage ls gs://b\n", path="ls.sh"), Example("echo gcloud ai is used\n", path="x.sh")]
    INVALID = [Example("gcloud ai custom-jobs create --region=europe-west4 --config=job.yaml\n", path="submit.sh"),
               Example("gcloud beta ai-platform jobs submit training j --region us-central1\n", path="submit.sh")]


_GCLOUD_GROUPS = (r"auth|config|storage|compute|container|projects|iam|builds|run|functions|artifacts|secrets"
                  r"|logging|services|sql|pubsub|dataproc|dataflow|scheduler|tasks|kms|components|init|info"
                  r"|deployment-manager|filestore|workflows|bigtable|spanner|redis|composer|app|organizations"
                  r"|resource-manager|billing|batch|workbench|notebooks|source|monitoring|tpus?|memcache")
_GSUTIL_CMDS = (r"cp|rsync|ls|mb|rb|rm|mv|cat|du|stat|iam|acl|defacl|setmeta|signurl|hash|version|config"
                r"|lifecycle|versioning|notification|label|web|cors|retention|kms|compose")
_BQ_CMDS = r"query|load|mk|ls|show|extract|cp|rm|head|update|insert|partition|wait|cancel"


class GcloudCli(CloudRule):
    """
    ## What it does
    Finds Google Cloud CLI calls other than Vertex AI: `gcloud auth/config/storage/compute/container/...`,
    `gsutil cp/rsync/ls/...` and BigQuery's `bq query/load/...`, in scripts, images and manifests,
    and `"gcloud"`/`"gsutil"` as the program of a subprocess call.

    ## Why it blocks a migration
    They log in to Google and move data or images through Google services; on the target they
    need its own CLI or an S3 tool.

    ## Example
    ```shell
    gsutil -m rsync -r gs://acme/data /data
    ```
    Use instead: `rclone` or `homeport data copy` with a remote for the target; its own CLI for the rest.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD214", "gcloud-cli"
    message = "`{name}` uses the Google Cloud CLI; use the target's tools (rclone, its CLI) instead"
    text = (rf"{_GCLOUD}(?:{_GCLOUD_GROUPS})\b"
            rf"|(?<![\w/.$-])gsutil(?:\s+-[\w]+(?:\s+\S+=\S+)?)*\s+(?:{_GSUTIL_CMDS})\b"
            rf"|(?<![\w/.$-])bq(?:\s+--[\w-]+(?:=\S+)?)*\s+(?:{_BQ_CMDS})\b")
    text_kinds = COMMANDS
    strings = r"^(?:gcloud|gsutil)$"
    VALID = [Example("rclone sync remote:data /data\n", path="stage.sh"),
             Example("echo 'install the gcloud cli first'\n", path="x.sh"), Example("name = 'gcloud-sdk'")]
    INVALID = [Example("gsutil -m rsync -r gs://acme/data /data\n", path="stage.sh"),
               Example("RUN gcloud auth configure-docker europe-west4-docker.pkg.dev\n", path="Dockerfile"),
               Example("bq query --use_legacy_sql=false 'select 1'\n", path="q.sh"),
               Example("subprocess.run(['gcloud', 'storage', 'cp', src, dst])")]


class GkeWorkloadIdentity(CloudRule):
    """
    ## What it does
    Finds GKE Workload Identity: the `iam.gke.io/gcp-service-account` annotation on Kubernetes
    service accounts (and Terraform that writes it).

    ## Why it blocks a migration
    The pod gets Google credentials through GKE's metadata server; the target has none, so every
    Google call in the pod fails with an auth error.

    ## Example
    ```yaml
    metadata:
      annotations:
        iam.gke.io/gcp-service-account: trainer@acme.iam.gserviceaccount.com
    ```
    Use instead: a Kubernetes secret with the target's credentials, or its own workload identity.

    ## Fix safety
    Unsafe: credentials and their scope are a security decision.
    """

    code, name = "CLD215", "gke-workload-identity"
    severity = BLOCKER
    message = "`{name}` gives the pod Google credentials through GKE; mount the target's credentials instead"
    text = r"\biam\.gke\.io/gcp-service-account\b"
    strings = text
    text_kinds = MANIFESTS
    VALID = [Example("metadata:\n  annotations:\n    example.com/owner: ml\n", path="sa.yaml")]
    INVALID = [Example("metadata:\n  annotations:\n    iam.gke.io/gcp-service-account: t@acme.iam.gserviceaccount.com\n",
                       path="sa.yaml"),
               Example('annotations = {\n  "iam.gke.io/gcp-service-account" = google_service_account.t.email\n}\n',
                       path="k8s.tf")]


class GkeKubernetesLabel(CloudRule):
    """
    ## What it does
    Finds Kubernetes labels, annotations and drivers that exist only on GKE: `cloud.google.com/gke-*`
    (`gke-accelerator`, `gke-nodepool`, `gke-spot`, `gke-tpu-topology`), `cloud.google.com/compute-class`,
    `*.gke.io/*`, the GCS FUSE sidecar annotations (`gke-gcsfuse/volumes`), and the GCS FUSE and
    Persistent Disk CSI drivers (`gcsfuse.csi.storage.gke.io`, `pd.csi.storage.gke.io`).

    ## Why it blocks a migration
    On another cluster no node carries these labels and no driver serves these volumes: pods stay
    pending.

    ## Example
    ```yaml
    nodeSelector:
      cloud.google.com/gke-accelerator: nvidia-h100-80gb
    ```
    Use instead: the target cluster's labels and storage classes, from the target profile.

    ## Fix safety
    Unsafe: the labels depend on the target cluster.
    """

    code, name = "CLD216", "gke-kubernetes-label"
    message = "`{name}` exists only on GKE; use the target cluster's labels and storage classes"
    text = (r"\bcloud\.google\.com/(?:gke-[\w.-]+|compute-class|machine-family|neg|backend-config|load-balancer-type)"
            r"|\b(?!iam\.gke\.io/gcp-service-account\b)(?:[\w-]+\.)*gke\.io(?:/[\w.-]+)?(?![\w-])"
            r"|\bgke-gcsfuse/[\w.-]+")
    text_kinds = MANIFESTS
    VALID = [Example("nodeSelector:\n  kubernetes.io/arch: amd64\n", path="job.yaml")]
    INVALID = [Example("nodeSelector:\n  cloud.google.com/gke-nodepool: gpu-pool\n", path="job.yaml"),
               Example("csi:\n  driver: gcsfuse.csi.storage.gke.io\n", path="pod.yaml"),
               Example('annotations:\n  gke-gcsfuse/volumes: "true"\n', path="pod.yaml")]


class GcpCiAction(CloudRule):
    """
    ## What it does
    Finds GitHub Actions from `google-github-actions/` in workflows (`auth`, `setup-gcloud`,
    `deploy-cloudrun`, `get-gke-credentials`, ...).

    ## Why it blocks a migration
    The build and deploy steps log in to Google Cloud and push to Google services.

    ## Example
    ```yaml
    - uses: google-github-actions/auth@v2
    ```
    Use instead: the target's login step with a CI secret.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD217", "gcp-ci-action"
    message = "`{name}` is a Google Cloud GitHub Action; log in to the target and push to its registry instead"
    text = r"\buses:\s*[\"']?google-github-actions/[\w.@-]+"
    text_kinds = frozenset({K.YAML})
    VALID = [Example("steps:\n  - uses: actions/checkout@v4\n", path="ci.yml")]
    INVALID = [Example("steps:\n  - uses: google-github-actions/auth@v2\n", path="ci.yml")]


class VertexJobSpec(CloudRule):
    """
    ## What it does
    Finds Vertex AI job specifications in YAML and JSON: `workerPoolSpecs` / `worker_pool_specs`,
    `pythonPackageSpec`, `baseOutputDirectory` (the files passed to
    `gcloud ai custom-jobs create --config`, and pipeline definitions).

    ## Why it blocks a migration
    Only Vertex AI reads them; the machine, container and GCS output they name exist only there.

    ## Example
    ```yaml
    workerPoolSpecs:
      machineSpec: {machineType: a2-highgpu-8g, acceleratorType: NVIDIA_TESLA_A100, acceleratorCount: 8}
    ```
    Use instead: the target's job definition (Kubernetes PyTorchJob, Slurm script).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD218", "vertex-job-spec"
    severity = BLOCKER
    message = "`{name}` belongs to a Vertex AI job definition; define the job for the target's scheduler"
    text = (r"(?:^|[{,])\s*-?\s*[\"']?(?:workerPoolSpecs|worker_pool_specs|pythonPackageSpec|python_package_spec"
            r"|baseOutputDirectory)[\"']?\s*:")
    text_kinds = frozenset({K.YAML, K.JSON})
    VALID = [Example("spec:\n  replicas: 2\n", path="job.yaml")]
    INVALID = [Example("workerPoolSpecs:\n  machineSpec:\n    machineType: a2-highgpu-8g\n", path="job.yaml"),
               Example('{"workerPoolSpecs": [{"replicaCount": 1}]}\n', path="job.json")]


GCP_SERVICE_ACCOUNT = (r"(?<![\w.{}$-])[\w.{}$-]*@[\w{}$-]+\.iam\.gserviceaccount\.com\b"
                       r"|(?<![\w.{}$-])[\w.{}$-]+@(?:developer|appspot|cloudbuild|cloudservices)\.gserviceaccount\.com\b")


class GcpServiceAccount(CloudRule):
    """
    ## What it does
    Finds Google Cloud service accounts (`trainer@acme.iam.gserviceaccount.com`, the Compute Engine
    default `<number>-compute@developer.gserviceaccount.com`, App Engine and Cloud Build accounts)
    in code, configuration, manifests and scripts.

    ## Why it blocks a migration
    A service account is an identity in one Google project; jobs that run as it, or grant it
    access, have nothing to run as on the target.

    ## Example
    ```python
    job.run(service_account="trainer@acme-ml.iam.gserviceaccount.com")
    ```
    Use instead: the target's identity (a storage user, a Kubernetes service account) from settings.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD219", "gcp-service-account"
    message = "`{name}` is a Google Cloud service account; use the target's identity from settings"
    strings = GCP_SERVICE_ACCOUNT
    text = GCP_SERVICE_ACCOUNT
    text_kinds = SETTINGS
    VALID = [Example("email = 'ops@example.com'"), Example("contact: ml-team@acme.com\n", path="job.yaml")]
    INVALID = [Example("SA = 'trainer@acme-ml.iam.gserviceaccount.com'"),
               Example("SA = f'{NAME}@{PROJECT_ID}.iam.gserviceaccount.com'"),
               Example("gcloud run deploy --service-account 123-compute@developer.gserviceaccount.com\n",
                       path="deploy.sh")]


_GCS_METHODS = frozenset({"upload_from_filename", "upload_from_string", "upload_from_file", "download_to_filename",
                          "download_as_bytes", "download_as_string", "download_as_text", "download_to_file",
                          "list_blobs"})


class GcsApiCall(CloudRule):
    """
    ## What it does
    Finds Cloud Storage calls on the objects the client returns: `blob.upload_from_filename()`,
    `.download_to_filename()`, `.download_as_bytes()`, `.upload_from_string()`, `client.list_blobs()`,
    and `bucket.blob(...)` / `bucket.get_blob(...)` / `client.bucket(...)` / `client.get_bucket(...)` on
    objects whose name says bucket, client or storage.

    ## Why it blocks a migration
    These are the lines that move data to and from Google; they change when the storage client
    becomes an S3 client (`put_object`, `download_file`).

    ## Example
    ```python
    bucket.blob(f"{prefix}/model.pt").upload_from_filename("model.pt")
    ```
    Use instead: an S3 client with the target's endpoint (`s3.upload_file("model.pt", bucket, key)`).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD220", "gcs-api-call"
    message = "`{name}` is a Cloud Storage call; rewrite it for an S3 client with the target's endpoint"
    methods = (*sorted(_GCS_METHODS), "blob", "bucket", "get_blob", "get_bucket")

    @classmethod
    def refine_call(cls, qualname, call):
        if qualname in _GCS_METHODS:
            return cls.message
        # `blob`/`bucket` are common words: only on a receiver named like a bucket or a storage client.
        receiver = call.func.value if call is not None else None
        text = (receiver.id if type(receiver) is ast.Name else
                receiver.attr if type(receiver) is ast.Attribute else "").lower()
        wanted = ("bucket",) if qualname in ("blob", "get_blob") else ("client", "storage", "gcs")
        return cls.message if any(w in text for w in wanted) else None

    VALID = [Example("b = repo.blob('README.md')"), Example("x = self.bucket(items, 10)"),
             Example("text = tb.blob('words')")]
    INVALID = [Example("blob = bucket.blob('/'.join([model_path, f]))\nblob.upload_from_filename(local)"),
               Example("b = storage_client.bucket(BUCKET_NAME)"),
               Example("data = self.gcs_bucket.blob(key).download_as_bytes()"),
               Example("self.bucket = self.client.get_bucket(self.bucket_name, timeout=60)")]


GCP_IAM_ROLE = (r"roles/(?:owner|editor|viewer|browser)\b"
                r"|roles/[a-z][a-z0-9]*\.[a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*(?<!\.yml)(?<!\.yaml)(?<!\.json)(?<!\.j2)")


class GcpIamRole(CloudRule):
    """
    ## What it does
    Finds Google Cloud IAM roles (`roles/storage.objectAdmin`, `roles/logging.logWriter`,
    `roles/aiplatform.user`, `roles/owner`) in Terraform, manifests, scripts and Python strings.

    ## Why it blocks a migration
    The roles grant access in Google's IAM; the target has its own identity and access model.

    ## Example
    ```hcl
    role = "roles/storage.objectAdmin"
    ```
    Use instead: the target's access model (a scoped storage user, its IAM), set per target.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD221", "gcp-iam-role"
    message = "`{name}` is a Google Cloud IAM role; grant access with the target's identity model"
    strings = whole(GCP_IAM_ROLE)
    text = rf"(?<![\w/.-]){GCP_IAM_ROLE}(?![\w/-])"
    text_kinds = SETTINGS | COMMANDS
    VALID = [Example("- include_tasks: roles/common.yml\n", path="playbook.yaml"),
             Example("path = 'roles/web/tasks/main.yml'"), Example("x = 'user roles/admin page'")]
    INVALID = [Example('roles = [\n  "roles/logging.logWriter",\n  "roles/monitoring.metricWriter",\n]\n',
                       path="cluster.tf"),
               Example("gcloud projects add-iam-policy-binding p --role=roles/storage.objectAdmin\n", path="iam.sh"),
               Example("ROLE = 'roles/aiplatform.user'")]
