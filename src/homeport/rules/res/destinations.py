"""RES00x: one rule per kind of destination (assess/destinations.py), judged by `Policy.decide*`."""

from __future__ import annotations

from homeport.assess.destinations import HOST, LOCATION, REGION, TELEMETRY
from homeport.core.rule import Example
from homeport.rules.res._common import ResidencyRule


class EndpointOutsidePolicy(ResidencyRule):
    """
    ## What it does
    Finds URLs and endpoint hosts, in code and in every kind of settings file, that the residency
    policy of `assess --policy` does not allow.

    Every URL (`https://...`, `wss://...`) and every setting whose whole value is a host the catalog
    knows (`endpoint: s3.gra.io.cloud.ovh.net`) is judged as `homeport fence check HOST` judges it.
    The message says the verdict, the policy clause that decided, why, and the catalog rows that
    identified the host (file:line, source, as of); the variable a URL is assigned to
    (`AWS_ENDPOINT_URL_S3`, `MLFLOW_TRACKING_URI`, `WANDB_BASE_URL`, `HF_ENDPOINT`) is named. A host
    built at run time (`f"https://{host}/"`) is not judged: the runtime guard (`homeport fence run`)
    sees it. URLs that name rather than locate (XML namespaces, `$schema` ids) are no destinations.

    ## Why it blocks a migration
    A hard-coded endpoint sends data wherever it points, whatever the job's region: a tracking
    server, a model hub, an object store of another provider or jurisdiction. Region names lie
    (research/assessment-residency.md s3.3), so the host, keyed with its provider, is what is judged.

    ## Example
    ```bash
    AWS_ENDPOINT_URL_S3=https://s3.us-east-1.amazonaws.com
    ```
    Use instead: an endpoint the policy allows (`https://s3.gra.io.cloud.ovh.net`), or declare an
    internal host under `hosts:` in the policy with its country.

    ## Fix safety
    No automatic fix: where the data may go is the policy owner's decision.
    """

    code, name = "RES001", "endpoint-outside-policy"
    judges = HOST
    message = "`{name}` is an endpoint the residency policy does not allow"
    VALID = [Example("s3 = boto3.client('s3', endpoint_url='https://s3.gra.io.cloud.ovh.net')"),
             Example("AWS_ENDPOINT_URL_S3=https://object.storage.eu01.onstackit.cloud\n", path=".env"),
             Example("--index-url https://pypi.org/simple\ntorch==2.7.1\n", path="requirements.txt"),
             Example("raise ValueError('expected a URL such as https://api.wandb.ai')"),
             Example("svg = '<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\"/>'"),
             Example('$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\n', path="job.yaml")]
    INVALID = [Example("s3 = boto3.client('s3', endpoint_url='https://s3.us-east-1.amazonaws.com')"),
               Example("WANDB_BASE_URL=https://api.wandb.ai\n", path=".env"),
               Example("RUN curl -fsSL https://efa-installer.amazonaws.com/x.tar.gz | tar xz\n", path="Dockerfile"),
               Example("env:\n  - name: HF_ENDPOINT\n    value: https://huggingface.co\n", path="job.yaml"),
               Example("storage:\n  endpoint: s3.eu-central-2.amazonaws.com\n", path="train.yaml")]


class StorageLocationOutsidePolicy(ResidencyRule):
    """
    ## What it does
    Finds object-store URIs whose store the residency policy of `assess --policy` does not allow.

    The URIs the cloud rules find (`s3://` and its Hadoop spellings `s3a://`, `s3n://`; `gs://`;
    `az://`, `abfs[s]://`, `wasb[s]://`) are judged as the host a client with no endpoint setting
    connects to: `s3://bucket` is AWS S3 (`bucket.s3.amazonaws.com`),
    `gs://` is storage.googleapis.com, `abfss://c@acct.dfs.core.windows.net` the account's host. A URI
    whose bucket is built at run time (`f"s3://{bucket}/"`) is not judged.

    ## Why it blocks a migration
    Without an endpoint the URI names the hyperscaler's store, whose operator the policy may deny
    whatever the bucket's region (a US parent brings the CLOUD Act to every region), and whose host
    often does not even say where the bucket is.

    ## Example
    ```yaml
    train_uri: s3://acme-llm/datasets/train/
    ```
    Use instead: `REMOTE:bucket/prefix` with REMOTE defined in `homeport.toml` on an allowed provider,
    and the data copied there with `homeport data copy`.

    ## Fix safety
    No automatic fix: the target bucket and its provider are the user's choice.
    """

    code, name = "RES002", "storage-location-outside-policy"
    judges = LOCATION
    message = "`{name}` is a storage location the residency policy does not allow"
    VALID = [Example("uri = f's3://{bucket}/{key}'"), Example("data:\n  path: /data/train\n", path="train.yaml"),
             Example("print('reads s3://bucket/key URIs')")]
    INVALID = [Example("data:\n  train_uri: s3://acme/datasets/train/\n", path="train.yaml"),
               Example("df = spark.read.parquet('s3a://lake/events/')"),
               Example("ds = load('gs://acme-eu/shards/')"),
               Example("aws s3 sync s3://acme/ckpt/ /data/ckpt/\n", path="stage.sh")]


class RegionOutsidePolicy(ResidencyRule):
    """
    ## What it does
    Finds provider regions that the residency policy of `assess --policy` does not allow.

    The regions the cloud rules find (`region_name="eu-west-1"` in an SDK client, `region:` in
    configuration, `AWS_REGION` in environment files, `provider "aws" { region = var.region }` with the
    variable resolved through defaults, `*.tfvars`, `*.auto.tfvars` and simple locals) are judged by
    the pair (provider, region): `eu-central-2` at AWS is Zurich, at
    Impossible Cloud Frankfurt, at IONOS Berlin. The message cites the region row and the provider
    row of the catalog. A region that only signs requests for another endpoint is no place and is not
    judged: `region_name=` next to `endpoint_url=` in one call, and AWS regions in a settings file
    that also sets `AWS_ENDPOINT_URL*` (the endpoint is judged instead).

    ## Why it blocks a migration
    The region decides where the data lives, and the operator decides which law reaches it: an EU
    region of a US hyperscaler is still under the CLOUD Act. A region that only an unresolved
    variable names would be missed by a plain search (checkov #622, terracost #19).

    ## Example
    ```python
    s3 = boto3.client("s3", region_name="eu-central-2")  # AWS Zurich, not Frankfurt
    ```
    Use instead: the target provider's endpoint and region
    (`endpoint_url="https://eu-central-2.storage.impossibleapi.net"`), checked by the policy.

    ## Fix safety
    No automatic fix: the target region is a residency decision.
    """

    code, name = "RES003", "region-outside-policy"
    judges = REGION
    message = "`{name}` is a region the residency policy does not allow"
    VALID = [Example("s3 = boto3.client('s3', region_name='eu-central-2', "
                     "endpoint_url='https://eu-central-2.storage.impossibleapi.net')"),
             Example("AWS_REGION=eu-central-2\nAWS_ENDPOINT_URL_S3=https://s3.eu-central-2.ionoscloud.com\n",
                     path=".env"),
             Example("region = 'gra'")]
    INVALID = [Example("s3 = boto3.client('s3', region_name='eu-central-2')"),
               Example('provider "aws" {\n  region = "eu-west-3"\n}\n', path="main.tf"),
               Example("AWS_REGION=us-east-1\n", path=".env"),
               Example("FROM base\nENV AWS_DEFAULT_REGION=eu-west-1\n", path="Dockerfile"),
               Example("nodeSelector:\n  topology.kubernetes.io/zone: eu-west-1a\n", path="job.yaml"),
               Example("aiplatform.init(project='acme', location='europe-west4')")]


class TelemetryOutsidePolicy(ResidencyRule):
    """
    ## What it does
    Finds tracking and model-hub SDK calls whose default SaaS host the residency policy of
    `assess --policy` does not allow.

    The calls are those of catalog/data/telemetry.csv, which names each one's default host and the
    setting that points it elsewhere: `wandb.init` -> api.wandb.ai (`WANDB_BASE_URL`),
    `neptune.init_run` -> app.neptune.ai, `comet_ml.Experiment` -> www.comet.com
    (`COMET_URL_OVERRIDE`), `huggingface_hub.*`, `*.from_pretrained("org/model")` and
    `datasets.load_dataset("org/name")` -> huggingface.co (`HF_ENDPOINT`). A call given a host of its
    own (`host=`, `base_url=`) is judged as that URL instead; a `from_pretrained` of a local directory
    is no download. The setting may be made outside the tree, where this rule cannot see it: the
    message names it.

    ## Why it blocks a migration
    Metrics, configs, code snapshots and checkpoints stream to the SaaS host during training, often
    to a US operator, while the data and the GPUs sit in the allowed region.

    ## Example
    ```python
    run = wandb.init(project="llm-pretrain")
    ```
    Use instead: a tracking server in an allowed place (W&B Server with `WANDB_BASE_URL`, MLflow with
    `MLFLOW_TRACKING_URI`), and a Hub mirror in allowed storage (`HF_ENDPOINT`).

    ## Fix safety
    No automatic fix: the tracking server is an operational choice.
    """

    code, name = "RES004", "telemetry-outside-policy"
    judges = TELEMETRY
    message = "`{name}` sends telemetry to a host the residency policy does not allow"
    VALID = [Example("import mlflow\nmlflow.log_metric('loss', 1.0)"),
             Example("from transformers import AutoModel\nm = AutoModel.from_pretrained('./checkpoints/last')"),
             Example("import wandb\nwandb.login(host='https://wandb.ml.example.eu')")]
    INVALID = [Example("import wandb\nrun = wandb.init(project='llm-pretrain')"),
               Example("from huggingface_hub import snapshot_download\nsnapshot_download('gpt2')"),
               Example("import comet_ml\nexp = comet_ml.Experiment(project_name='llm')"),
               Example("from transformers import AutoModelForCausalLM as M\nm = M.from_pretrained('org/model')")]
