"""CLD0xx: code and configuration tied to AWS: the SDK and its clients, SageMaker, S3 URIs, regions,
instance types, endpoints, ARNs, EFA, environment variables, Terraform, the CLI."""

from __future__ import annotations

import ast

from homeport.assess import kinds as K
from homeport.core.model import Applicability
from homeport.core.rule import Example
from homeport.rules.cld._common import (BLOCKER, COMMANDS, INFO, HOST_START, INFRA, LABEL, MANIFESTS, SETTINGS,
                                        TERRAFORM, CloudRule, instance_notes, string_arg, token,
                                        whole)

# -- service clients ----------------------------------------------------------------------------------

# boto3 service ids of managed services with no equivalent on a sovereign cloud, and their names.
MANAGED_SERVICES = {
    "sagemaker": "SageMaker", "sagemaker-runtime": "SageMaker Runtime",
    "sagemaker-featurestore-runtime": "SageMaker Feature Store", "sagemaker-a2i-runtime": "SageMaker A2I",
    "sagemaker-edge": "SageMaker Edge", "sagemaker-geospatial": "SageMaker geospatial",
    "sagemaker-metrics": "SageMaker Metrics", "secretsmanager": "Secrets Manager", "cloudwatch": "CloudWatch",
    "logs": "CloudWatch Logs", "ssm": "Systems Manager", "sts": "STS (IAM credentials)", "iam": "IAM",
    "ecr": "ECR", "ecr-public": "ECR Public", "batch": "AWS Batch", "kms": "KMS", "dynamodb": "DynamoDB",
    "athena": "Athena", "glue": "Glue", "emr": "EMR", "emr-serverless": "EMR Serverless", "kinesis": "Kinesis",
    "firehose": "Data Firehose", "lambda": "Lambda", "stepfunctions": "Step Functions", "events": "EventBridge",
    "bedrock": "Bedrock", "bedrock-runtime": "Bedrock Runtime", "bedrock-agent-runtime": "Bedrock Agents",
    "comprehend": "Comprehend", "rekognition": "Rekognition", "textract": "Textract", "translate": "Translate",
    "transcribe": "Transcribe", "polly": "Polly", "kendra": "Kendra", "personalize": "Personalize",
    "forecast": "Forecast", "ec2": "EC2", "eks": "EKS", "ecs": "ECS", "cloudformation": "CloudFormation",
    "redshift": "Redshift", "redshift-data": "Redshift Data API", "xray": "X-Ray", "codeartifact": "CodeArtifact",
    "codebuild": "CodeBuild", "s3control": "S3 Control", "lakeformation": "Lake Formation",
    "timestream-write": "Timestream", "timestream-query": "Timestream", "pricing": "Price List",
    "ce": "Cost Explorer", "servicequotas": "Service Quotas", "organizations": "Organizations",
    "cloudtrail": "CloudTrail", "healthlake": "HealthLake", "quicksight": "QuickSight",
}
# Operation names (boto3's snake_case of the API) that appear only on AWS clients.
_UNIQUE_OPERATIONS = frozenset({
    "put_metric_data", "get_secret_value", "put_log_events", "create_training_job", "describe_training_job",
    "get_caller_identity", "get_authorization_token", "assume_role_with_web_identity", "get_metric_statistics",
    "create_log_stream", "put_role_policy", "attach_role_policy", "describe_log_streams", "get_log_events",
    "start_query_execution", "invoke_endpoint"})
# Names that other libraries use too: reported only with boto3's CapitalCase keyword arguments.
_MANAGED_OPERATIONS = _UNIQUE_OPERATIONS | frozenset({
    "create_role", "get_role", "delete_role", "assume_role", "create_policy", "describe_instances",
    "describe_subnets", "describe_security_groups", "describe_images", "run_instances", "terminate_instances",
    "describe_cluster", "create_cluster", "delete_cluster", "list_clusters", "describe_cluster_node",
    "list_cluster_nodes", "get_parameter", "put_parameter", "create_secret", "put_secret_value",
    "describe_repositories", "create_repository", "submit_job", "describe_jobs", "create_endpoint",
    "describe_endpoint", "create_model", "list_training_jobs", "stop_training_job", "decrypt", "encrypt",
    "put_item", "get_item", "query", "scan", "batch_write_item", "publish", "send_message", "receive_message"})
_CLIENT_FACTORIES = frozenset({"boto3.client", "boto3.resource", "boto3.session.Session.client",
                               "boto3.session.Session.resource", "client", "resource", "create_client"})


class AwsSdkImport(CloudRule):
    """
    ## What it does
    Finds imports and uses of the AWS SDKs for Python: `boto3`, `botocore`, `aiobotocore`,
    `aioboto3`, `s3transfer`, `awswrangler`, `aws_cdk`, and boto3's modelled exceptions read from a
    client (`except iam.exceptions.EntityAlreadyExistsException:`). Client factories for S3 and for
    managed services have their own, more specific rules (CLD002, CLD003).

    ## Why it blocks a migration
    The SDK resolves AWS endpoints, credentials and regions by default. S3 calls can be pointed at
    an S3-compatible endpoint on the target; every other AWS API has to go.

    ## Example
    ```python
    import boto3
    session = boto3.Session(region_name="eu-west-1")
    ```
    Use instead: keep boto3 only for S3, with the endpoint and credentials of the target given by
    configuration (`AWS_ENDPOINT_URL_S3`, or `endpoint_url=` from a setting).

    ## Fix safety
    No automatic fix: what the SDK is used for decides what can stay.
    """

    code, name = "CLD001", "aws-sdk-import"
    message = "`{name}` is the AWS SDK; keep it only for S3 with a configurable endpoint, drop other AWS APIs"
    names = ("boto3", "botocore", "aiobotocore", "aioboto3", "s3transfer", "awswrangler", "aws_cdk", "awscrt")
    # modelled exceptions read from a client (`except s3.exceptions.NoSuchKey:`)
    attributes = ("NoSuchKey", "NoSuchBucket", "EntityAlreadyExistsException", "NoSuchEntityException",
                  "BucketAlreadyOwnedByYou", "BucketAlreadyExists")
    VALID = [Example("import requests\ns = requests.Session()"),
             Example("import s3fs\nfs = s3fs.S3FileSystem(endpoint_url=ENDPOINT)")]
    INVALID = [Example("import boto3\nsession = boto3.Session(region_name=REGION)"),
               Example("from botocore.config import Config\ncfg = Config(retries={'max_attempts': 10})"),
               Example("import boto3 as b\nc = b.client(service)"),
               Example("try:\n    pass\nexcept iam_client.exceptions.EntityAlreadyExistsException:\n    pass")]


class AwsS3Client(CloudRule):
    """
    ## What it does
    Finds S3 clients and resources created without an endpoint: `boto3.client("s3")`,
    `boto3.resource("s3")`, `session.client("s3")`, `session.create_client("s3")` (aiobotocore), also
    with `service_name="s3"`. A client given `endpoint_url=` is the portable form and is not reported
    here (CLD001 still lists the SDK use).

    ## Why it blocks a migration
    Without an explicit endpoint the client talks to AWS (`s3.<region>.amazonaws.com`), with AWS
    credentials. The same client works against any S3-compatible store (OVHcloud, Scaleway, IONOS,
    STACKIT, ...) once the endpoint, region and credentials come from configuration
    (research/assessment-residency.md section 2.2: `AWS_ENDPOINT_URL_S3` retargets the client).

    ## Example
    ```python
    s3 = boto3.client("s3", region_name="eu-west-1")
    ```
    Use instead:
    ```python
    s3 = boto3.client("s3", endpoint_url=settings.s3_endpoint, region_name=settings.s3_region)
    ```

    ## Fix safety
    Unsafe: the endpoint and addressing style (path-style for IONOS, STACKIT, Outscale) depend on the target.
    """

    code, name = "CLD002", "aws-s3-client"
    message = "S3 client `{name}` talks to AWS unless an endpoint is configured; take the endpoint from settings"
    names = ("boto3.client", "boto3.resource", "boto3.session.Session.client", "boto3.session.Session.resource")
    methods = ("client", "resource", "create_client")

    @classmethod
    def refine_call(cls, qualname, call):
        if qualname in _CLIENT_FACTORIES and string_arg(call, "service_name") == "s3":
            if any(kw.arg == "endpoint_url" for kw in call.keywords):
                return None  # already pointed at an endpoint: the portable form (CLD001 still lists the SDK use)
            return "S3 client (`s3`) talks to AWS unless an endpoint is configured; take the endpoint from settings"
        return None

    VALID = [Example("import boto3\nsm = boto3.client('sagemaker')"),
             Example("import httpx\nc = httpx.Client()\nr = c.client('s3x')"),
             Example("from flask_restx import Api\napi = Api()\nns = api.resource('/s3')"),
             Example("import boto3\ns3 = boto3.client('s3', endpoint_url=settings.s3_endpoint)")]
    INVALID = [Example("import boto3\ns3 = boto3.client('s3', region_name='eu-west-1')"),
               Example("import boto3\nbucket = boto3.resource(service_name='s3').Bucket('b')"),
               Example("def f(session):\n    return session.client('s3')")]


class AwsManagedServiceClient(CloudRule):
    """
    ## What it does
    Finds clients of AWS managed services that have no equivalent on a sovereign cloud:
    `boto3.client(...)` / `.resource(...)` / `session.client(...)` for SageMaker, Secrets Manager,
    CloudWatch and CloudWatch Logs, Systems Manager, STS, IAM, ECR, Batch, KMS, DynamoDB, Athena,
    Glue, Bedrock, ... (the service is the first argument or `service_name=`), and libraries built on
    them: `watchtower` (CloudWatch Logs), `aws_xray_sdk`, `aws_embedded_metrics`, and the Athena,
    Glue, Redshift, DynamoDB, CloudWatch and Secrets Manager modules of `awswrangler`; and calls of
    operations of these services on any client: names only AWS has (`.put_metric_data()`,
    `.get_secret_value()`, `.create_training_job()`, `.get_caller_identity()`, ...) and common names
    (`.create_role()`, `.get_role()`, `.describe_instances()`, `.query()`, ...) when called the boto3
    way, with keyword arguments only, in AWS's CapitalCase (`RoleName=`).

    ## Why it blocks a migration
    These APIs exist only at AWS. The job fails on the target at the first call, or (for metrics
    and logs) silently loses what it reported.

    ## Example
    ```python
    cw = boto3.client("cloudwatch")
    secret = boto3.client("secretsmanager").get_secret_value(SecretId="wandb")
    ```
    Use instead: the target's or an open equivalent behind a small interface: metrics to
    Prometheus/OpenTelemetry or the experiment tracker, secrets from environment variables or
    Kubernetes secrets, job submission through torchrun, Slurm or Kubernetes.

    ## Fix safety
    No automatic fix: a managed service is replaced by a design decision.
    """

    code, name = "CLD003", "aws-managed-service-client"
    severity = BLOCKER
    message = "`{name}` uses an AWS managed service with no equivalent on the target; replace it behind an interface"
    names = ("boto3.client", "boto3.resource", "boto3.session.Session.client", "boto3.session.Session.resource",
             "watchtower", "aws_xray_sdk", "aws_embedded_metrics", "aws_secretsmanager_caching",
             "aws_lambda_powertools", "awswrangler.athena", "awswrangler.catalog", "awswrangler.redshift",
             "awswrangler.timestream", "awswrangler.dynamodb", "awswrangler.cloudwatch",
             "awswrangler.secretsmanager", "awswrangler.emr", "awswrangler.opensearch", "awswrangler.quicksight",
             "awswrangler.lakeformation", "awswrangler.neptune", "awswrangler.data_api")
    # boto3 operations of managed services (snake_case of the API operation).
    methods = ("client", "resource", "create_client", *sorted(_MANAGED_OPERATIONS))

    @classmethod
    def refine_call(cls, qualname, call):
        if qualname in _MANAGED_OPERATIONS:
            # boto3 operations take keyword arguments only, in AWS's CapitalCase (`RoleName=`); other
            # libraries' methods of the same name (`create_role(name)`) do not.
            if call is None or call.args:
                return None
            if qualname in _UNIQUE_OPERATIONS or any(kw.arg and kw.arg[:1].isupper() for kw in call.keywords):
                return cls.message
            return None
        if qualname not in _CLIENT_FACTORIES:
            return cls.message
        service = string_arg(call, "service_name")
        label = MANAGED_SERVICES.get(service or "")
        if label is None:
            return None
        return (f"AWS {label} client (`{service}`): a managed service with no equivalent on the target; "
                "replace it behind an interface")

    VALID = [Example("import boto3\ns3 = boto3.client('s3')"),
             Example("import logging\nh = logging.StreamHandler()"),
             Example("def f(api):\n    return api.resource('users')"),
             Example("rows = db.query('select 1')"), Example("user = admin.create_role('reader', perms)"),
             Example("p = model.get_parameter('layer.weight')"), Example("r = session.query(User).all()")]
    INVALID = [Example("import boto3\ncw = boto3.client('cloudwatch', region_name=region)"),
               Example("self.cw.put_metric_data(Namespace=ns, MetricData=data)"),
               Example("role = iam_client.get_role(RoleName=role_name)['Role']['Arn']"),
               Example("def key(session):\n    return session.client('secretsmanager').get_secret_value(SecretId='x')"),
               Example("import boto3\nsm = boto3.session.Session().client(service_name='sagemaker')"),
               Example("import watchtower\nh = watchtower.CloudWatchLogHandler()"),
               Example("import awswrangler as wr\ndf = wr.athena.read_sql_query('select 1', database='db')")]


class SagemakerSdk(CloudRule):
    """
    ## What it does
    Finds the SageMaker SDKs and toolkits: `sagemaker` (estimators, sessions, inputs),
    `sagemaker_training`, `sagemaker_inference`, `sagemaker_containers`, `sagemaker_core`,
    `smdistributed` (SageMaker's data and model parallel libraries), `smdebug`, SageMaker-only
    estimator arguments (`sagemaker_session=`, `checkpoint_s3_uri=`, `use_spot_instances=`,
    `disable_profiler=`), the SageMaker session's `.default_bucket()` and `.upload_data()`, and the
    `smddp` process-group backend.

    ## Why it blocks a migration
    SageMaker is a managed training service: it provisions the instances, copies data from S3 into
    `/opt/ml`, runs the container and syncs checkpoints back. None of it exists on a sovereign cloud,
    and `smddp` only runs on SageMaker's p4d/p5 fleet.

    ## Example
    ```python
    from sagemaker.pytorch import PyTorch
    PyTorch(entry_point="train.py", instance_type="ml.p4d.24xlarge", instance_count=2).fit(inputs)
    ```
    Use instead: a launcher that runs `torchrun` on the target (Kubernetes training-operator job,
    Slurm, or plain nodes) with data and checkpoints in its S3-compatible storage.

    ## Fix safety
    No automatic fix: the job definition has to be rewritten for the target's scheduler.
    """

    code, name = "CLD004", "sagemaker-sdk"
    severity = BLOCKER
    message = "`{name}` is SageMaker, a managed training service the target does not have; launch with torchrun there"
    names = ("sagemaker", "sagemaker_training", "sagemaker_inference", "sagemaker_containers", "sagemaker_core",
             "sagemaker_pytorch_training", "smdistributed", "smdebug", "smexperiments")
    keywords = ("sagemaker_session", "checkpoint_s3_uri", "use_spot_instances", "disable_profiler")
    attributes = ("sagemaker_session",)
    methods = ("default_bucket", "upload_data")
    strings = r"^smddp$"

    @classmethod
    def refine_call(cls, qualname, call):
        if qualname == "upload_data":  # Session.upload_data(path=, bucket=, key_prefix=): on a session only
            receiver = call.func.value if call is not None else None
            text = (receiver.id if type(receiver) is ast.Name else
                    receiver.attr if type(receiver) is ast.Attribute else "").lower()
            return cls.message if "session" in text or "sagemaker" in text else None
        return cls.message

    VALID = [Example("import torch.distributed as dist\ndist.init_process_group('gloo')"),
             Example("import os\nsm_scale = os.environ.get('sm_scale')")]
    INVALID = [Example("from sagemaker.pytorch import PyTorch\nest = PyTorch(entry_point='train.py')"),
               Example("import smdistributed.dataparallel.torch.torch_smddp\n"
                       "import torch.distributed as dist\ndist.init_process_group(backend='smddp')"),
               Example("est = Estimator(image_uri=img, checkpoint_s3_uri=uri)"),
               Example("bucket = sagemaker_session.default_bucket()"),
               Example("inp = est.sagemaker_session.upload_data(path=d, key_prefix='mnist')")]


class SagemakerEnvironmentVariable(CloudRule):
    """
    ## What it does
    Finds the environment of a SageMaker training container: `SM_MODEL_DIR`, `SM_CHANNEL_<NAME>`,
    `SM_HP_<NAME>`, `SM_NUM_GPUS`, `SM_HOSTS`, `SM_CURRENT_HOST`, `SM_TRAINING_ENV`, ...,
    `SAGEMAKER_*` (`SAGEMAKER_PROGRAM`, `SAGEMAKER_SUBMIT_DIRECTORY`) and `TRAINING_JOB_NAME`, read in
    code or set in images and manifests. `SM_` must be followed by an upper-case name and nothing
    else; CUDA's streaming-multiprocessor words (`SM_COUNT`, `SM_ARCH`, `SM_VERSION`) do not count.

    ## Why it blocks a migration
    SageMaker sets them; nothing else does. Code that reads them without a fallback crashes on the
    target, and code with a fallback silently writes its model or reads its data somewhere else.

    ## Example
    ```python
    model_dir = os.environ["SM_MODEL_DIR"]
    ```
    Use instead: the job's own settings (`--model-dir`, `--train-uri`) passed by the launcher.

    ## Fix safety
    Unsafe: the replacement value depends on the target's storage layout.
    """

    code, name = "CLD005", "sagemaker-environment-variable"
    message = "`{name}` is set only inside SageMaker training jobs; pass the value as a job setting instead"
    # SM_ and an upper-case name, but not CUDA's streaming-multiprocessor words (`SM_COUNT`, `SM_ARCH`).
    _names = (r"SM_(?!(?:ARCHS?|COUNTS?|VERSIONS?|CC|MAJOR|MINOR|SCALE|IDS?)(?:_|\b))[A-Z][A-Z0-9_]*"
              r"|SAGEMAKER_[A-Z][A-Z0-9_]*|TRAINING_JOB_(?:NAME|ARN)")
    strings = whole(_names)
    text = rf"\b(?:{_names})\b"
    text_kinds = SETTINGS
    VALID = [Example("import os\nscale = os.environ.get('sm_scale', 1.0)"),
             Example("ARCH = 'SM_80'\nCOUNT = 'SM_COUNT'\nA = 'SM_ARCH_LIST'"),
             Example("export SMS_TOKEN=1\n", path="run.sh")]
    INVALID = [Example("import os\nmodel_dir = os.environ.get('SM_MODEL_DIR', 'out')"),
               Example("import os\ntrain = os.environ['SM_CHANNEL_TRAIN']"),
               Example("import os\nlocal = os.environ.get('SM_STUDIO_LOCAL_MODE', 'False')"),
               Example("import os\nn = int(os.environ['SM_NUM_GPUS'])"),
               Example("FROM python:3.11\nENV SAGEMAKER_PROGRAM=train.py\n", path="Dockerfile"),
               Example("python train.py --model-dir \"$SM_MODEL_DIR\"\n", path="run.sh")]


class SagemakerContainerPath(CloudRule):
    """
    ## What it does
    Finds the SageMaker container layout: paths under `/opt/ml` (`/opt/ml/model`,
    `/opt/ml/input/data/<channel>`, `/opt/ml/checkpoints`, `/opt/ml/code`, `/opt/ml/output`), and
    SageMaker HyperPod's `/opt/sagemaker_cluster` and `/opt/sagemaker`.

    ## Why it blocks a migration
    SageMaker copies data into and out of these directories; elsewhere they are empty or missing,
    so checkpoints and models written there are lost when the container stops.

    ## Example
    ```python
    torch.save(state, "/opt/ml/checkpoints/last.pt")
    ```
    Use instead: a checkpoint directory from the job's settings, synced to the target's object storage.

    ## Fix safety
    Unsafe: the right directory depends on the target's volumes. In Python code
    `homeport port --unsafe-fixes` turns a path that SageMaker also publishes as a variable into a
    read of that variable with a relative fallback: `/opt/ml/model` -> `SM_MODEL_DIR` (`"model"`),
    `/opt/ml/output/data` -> `SM_OUTPUT_DATA_DIR` (`"output/data"`), `/opt/ml/output` ->
    `SM_OUTPUT_DIR` (`"output"`), `/opt/ml/input/data/<channel>` -> `SM_CHANNEL_<CHANNEL>`
    (`"data/<channel>"`), a file below them joined with `os.path.join`. On SageMaker the variable
    holds the same path; elsewhere the launcher sets it. `/opt/ml/checkpoints` (no variable: SageMaker
    syncs it with `checkpoint_s3_uri`), `/opt/ml/code`, `/opt/ml/input/config`, f-strings and paths
    inside longer strings are left, with the route in the change log.
    """

    code, name = "CLD006", "sagemaker-container-path"
    message = "`{name}` is SageMaker's container layout; use a directory from the job's settings"
    fix_title = "Read the directory from SageMaker's variable, with a relative fallback"
    fix_applicability = Applicability.UNSAFE
    strings = r"(?<![\w.])/opt/(?:ml|sagemaker_cluster|sagemaker)(?![\w.-])"
    text = r"(?<![\w.])/opt/(?:ml|sagemaker_cluster|sagemaker)(?![\w.-])[\w./${}-]*"
    text_kinds = SETTINGS
    VALID = [Example("path = '/opt/mlflow/artifacts'"), Example("path = 'data/opt/ml/x'"),
             Example("WORKDIR /opt/app\n", path="Dockerfile")]
    INVALID = [Example("CKPT = '/opt/ml/checkpoints'"), Example("WORKDIR /opt/ml/code\n", path="Dockerfile"),
               Example('if [ -d "/opt/sagemaker_cluster" ]; then echo hp; fi\n', path="train.sbatch"),
               Example("volumeMounts:\n  - mountPath: /opt/ml/checkpoints\n", path="job.yaml"),
               Example('import os\nimport torch\ntorch.save(state, "/opt/ml/model/last.pt")\n',
                       fixed='import os\nimport torch\n'
                             'torch.save(state, os.path.join(os.environ.get("SM_MODEL_DIR", "model"), "last.pt"))\n'),
               Example("import os\ntrain_dir = '/opt/ml/input/data/train'\n",
                       fixed="import os\ntrain_dir = os.environ.get('SM_CHANNEL_TRAIN', 'data/train')\n")]


class S3Uri(CloudRule):
    """
    ## What it does
    Finds `s3://`, `s3a://` and `s3n://` URIs in code (string literals and f-string templates) and
    in configuration, scripts, images and manifests.

    ## Why it blocks a migration
    Without an endpoint setting an `s3://` URI resolves to AWS S3. The data behind it has to be
    copied to the target's storage, and the code that reads it needs the target's endpoint.

    ## Example
    ```yaml
    train_uri: s3://acme-llm/datasets/train/
    ```
    Use instead: `REMOTE:bucket/prefix` with REMOTE defined in `homeport.toml`, or `s3://` plus an
    explicit endpoint (`AWS_ENDPOINT_URL_S3`) for the target; copy the data with `homeport data copy`.

    ## Fix safety
    Unsafe: the bucket name and layout on the target are the user's choice.
    """

    code, name = "CLD007", "s3-uri"
    destination = "location"
    message = "`{name}` is an S3 URI, resolved to AWS unless an endpoint is set; copy the data and set the target endpoint"
    strings = r"\bs3[an]?://"
    text = r"\bs3[an]?://[^\s\"'`,;)\]}]*"
    text_kinds = SETTINGS
    VALID = [Example("scheme = 'gs://bucket/x'"), Example("name = 'mys3://x'"),
             Example("data:\n  path: /data/train\n", path="train.yaml")]
    INVALID = [Example("uri = 's3://bucket/key'"), Example("uri = f's3://{bucket}/{key}'"),
               Example("data:\n  train_uri: s3://acme/datasets/train/\n", path="train.yaml"),
               Example('S3_DATA="${S3_DATA:-s3://acme/data}"\n', path="run.sh"),
               Example("DATA=s3a://lake/events\n", path=".env")]


AWS_REGION = (r"(?:us|eu|ap|ca|sa|me|af|il|mx|cn)-(?:gov-|iso[a-z]?-)?"
              r"(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-\d{1,2}"
              r"|eusc-[a-z]{2}-(?:north|south|east|west|central)-\d{1,2}")


class AwsRegion(CloudRule):
    """
    ## What it does
    Finds AWS region names (`eu-west-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`) and
    availability zones (`eu-west-1a`): string literals that are exactly a region, and region tokens
    in configuration, Terraform (also `region = var.x` resolved through defaults and .tfvars),
    scripts and images.

    ## Why it blocks a migration
    The region decides where data lives and which jurisdiction applies; it also ties clients and
    endpoints to AWS. The same spelling can mean another place at another provider (`eu-central-2`
    is Zurich at AWS, Frankfurt at Impossible Cloud), so the target's region must be set explicitly.

    ## Example
    ```python
    boto3.client("s3", region_name="eu-west-1")
    ```
    Use instead: the region from the job's settings, checked by `homeport fence` against the policy.

    ## Fix safety
    Unsafe: the target region is a residency decision.
    """

    code, name = "CLD008", "aws-region"
    destination = "region:aws"
    message = "`{name}` is an AWS region; take the region from settings and check it against the residency policy"
    strings = whole(rf"(?:{AWS_REGION})[a-f]?")
    text = token(rf"(?:{AWS_REGION})[a-f]?")
    text_kinds = SETTINGS - {K.CONDA}
    VALID = [Example("region = 'europe-west4'"), Example("zone = 'us-central1-a'"),
             Example("s = 'see eu-west-1 docs'"),
             Example("region: europe-west4\n", path="job.yaml"),
             Example('image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x"\n', path="main.tf")]
    INVALID = [Example("s3 = boto3.client('s3', region_name='eu-west-1')"),
               Example("region: eu-west-1\n", path="train.yaml"),
               Example('provider "aws" {\n  region = "us-gov-west-1"\n}\n', path="main.tf"),
               Example('export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"\n', path="run.sh"),
               Example("AWS_REGION=eusc-de-east-1\n", path=".env"),
               Example("nodeSelector:\n  topology.kubernetes.io/zone: eu-west-1a\n", path="job.yaml")]


_AWS_FAMILY = (r"p[2-6][a-z]*(?:-[a-z0-9]+)?|g[3-7][a-z]*|gr6f?|trn[12][a-z]*|inf[12]|dl[12][a-z]*|f[12]|vt1"
               r"|c[4-8][a-z]*|m[4-8][a-z]*|r[4-8][a-z]*|t[234][a-z]*|x[128][a-z]*|z1d|i[2-8][a-z]*|im4gn"
               r"|is4gen|d[23][a-z]*|h1|hpc[67][a-z]*|u7?[a-z]*-\d+tb\d?|a1|mac\d(?:-[a-z0-9]+)?")
_AWS_SIZE = r"nano|micro|small|medium|large|xlarge|\d+xlarge|metal(?:-\d+xl)?"
AWS_INSTANCE = rf"(?:ml\.)?(?:{_AWS_FAMILY})\.(?:{_AWS_SIZE})"


class AwsInstanceType(CloudRule):
    """
    ## What it does
    Finds EC2 and SageMaker instance types (`p4d.24xlarge`, `p5.48xlarge`, `g5.xlarge`,
    `trn1.32xlarge`, `ml.g5.12xlarge`, ...): string literals that are exactly an instance type or a
    SageMaker family (`"ml.p3"` in `instance_type.startswith("ml.p3")`), and
    instance-type tokens in configuration, Terraform, manifests and scripts. The message names the
    accelerators behind the type when the catalog knows it (catalog/data/instance_types.csv).

    ## Why it blocks a migration
    Instance types are AWS's SKUs: the target has its own flavours, with their own accelerator
    counts, memory and interconnect. Trainium and Inferentia types have no equivalent elsewhere.

    ## Example
    ```python
    PyTorch(..., instance_type="ml.p4d.24xlarge", instance_count=2)
    ```
    Use instead: a target offer with the same accelerators (the catalog and `homeport cost` compare them).

    ## Fix safety
    Unsafe: the equivalent offer is a cost and capacity decision.
    """

    code, name = "CLD009", "aws-instance-type"
    message = "`{name}` is an AWS instance type{instead}; choose the target offer with matching accelerators"
    replacements = instance_notes("aws", ("", "ml."))
    strings = whole(rf"{AWS_INSTANCE}|ml\.(?:{_AWS_FAMILY})\.?")
    text = token(AWS_INSTANCE)
    text_kinds = SETTINGS - {K.CONDA}
    VALID = [Example("model = 't5.large'"), Example("name = 'p4d.24xlarge is fast'"),
             Example("machine_type: a2-highgpu-8g\n", path="job.yaml")]
    INVALID = [Example("est = PyTorch(instance_type='ml.p4d.24xlarge')"),
               Example("nodeSelector:\n  node.kubernetes.io/instance-type: p4d.24xlarge\n", path="job.yaml"),
               Example('resource "aws_instance" "x" {\n  instance_type = "g5.xlarge"\n}\n', path="main.tf"),
               Example("INSTANCE_TYPE=trn1.32xlarge\n", path=".env")]


_HOLE = r"(?:\{[^}\s]*\}|\$\{[^}\s]*\}|\$[A-Za-z_]\w*|%s|<[\w-]+>)"
ECR_IMAGE = (rf"(?<![\w.${{}}<>-])(?:\d{{12}}|{_HOLE})\.dkr\.ecr(?:-fips)?\.(?:[a-z]{{2,4}}(?:-[a-z]+)+-\d+|{_HOLE})"
             rf"\.amazonaws\.(?:com\.cn|com|eu)(?:/[\w./:@${{}}-]*)?")


class EcrImage(CloudRule):
    """
    ## What it does
    Finds images in Amazon ECR private registries (`<account>.dkr.ecr.<region>.amazonaws.com/...`),
    also with template holes and placeholders (`{account}`, `${AWS_ACCOUNT_ID}`, `<account>`), in
    code, images, manifests and scripts. AWS Deep Learning Containers live there too.

    ## Why it blocks a migration
    Pulls from ECR need AWS IAM credentials (`aws ecr get-login-password`, node roles); the target's
    nodes have none, so the pod or job never starts.

    ## Example
    ```yaml
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/llm-train:latest
    ```
    Use instead: push the image to the target's registry (or a registry in the allowed jurisdiction)
    and reference it from a setting.

    ## Fix safety
    Unsafe: the registry and repository on the target are the user's choice. In Kubernetes manifests
    `homeport port --registry HOST[/PREFIX] --unsafe-fixes` swaps the ECR host for that registry and
    keeps the repository and tag; without `--registry` the image is left, with the reason.
    """

    code, name = "CLD010", "ecr-image"
    severity = BLOCKER
    message = "`{name}` is in Amazon ECR, which needs AWS IAM to pull; push the image to the target's registry"
    strings = ECR_IMAGE
    text = ECR_IMAGE
    text_kinds = SETTINGS
    VALID = [Example("image = 'registry.example.eu/llm-train:latest'"),
             Example("image: public.ecr.aws/docker/library/python:3.11\n", path="job.yaml")]
    INVALID = [Example("image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/llm-train:latest\n", path="job.yaml"),
               Example("IMAGE = f'{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/x:latest'"),
               Example("docker push ${AWS_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/app\n", path="push.sh"),
               Example("- image: <account>.dkr.ecr.<region>.amazonaws.com/<image>:<tag>\n", path="job.yaml")]


AWS_ENDPOINT = (rf"{HOST_START}(?!(?:eks|vpc|k8s)\.amazonaws\.com/|(?:boto3|botocore)\.amazonaws\.com/v1/documentation)"
                rf"(?![\w${{}}<>-]*\.dkr\.ecr)(?:{LABEL}+\.)+"
                r"amazonaws\.(?:com\.cn|com|eu)(?![\w-])"
                rf"|{HOST_START}(?:{LABEL}+\.)*(?:console|signin)\.aws\.amazon\.com(?![\w-])"
                rf"|{HOST_START}[\w-]+\.awsapps\.com(?![\w-])"
                r"|\bpublic\.ecr\.aws(?![\w-])|\b169\.254\.169\.254/latest/[\w/-]*|\[?fd00:ec2::254\]?")


class AwsEndpoint(CloudRule):
    """
    ## What it does
    Finds AWS hosts: `*.amazonaws.com`, `*.amazonaws.com.cn`, the European Sovereign Cloud's
    `*.amazonaws.eu`, service principals (`sagemaker.amazonaws.com`), the console, the SSO portal
    (`*.awsapps.com`), ECR Public (`public.ecr.aws`) and the EC2 instance metadata service
    (`169.254.169.254/latest/...`, `fd00:ec2::254`). ECR registries (CLD010) and the EKS/EFA
    Kubernetes keys (CLD012, CLD014, CLD021) have their own rules; the boto3 documentation site is
    not reported.

    ## Why it blocks a migration
    A hard-coded AWS host sends data or requests to AWS whatever else is configured, and the
    `*.amazonaws.eu` partition still has a US parent (research/assessment-residency.md section 3.3).

    ## Example
    ```python
    url = f"https://{bucket}.s3.eu-west-1.amazonaws.com/{key}"
    ```
    Use instead: the target's endpoint from settings; let `homeport fence` block the AWS hosts.

    ## Fix safety
    Unsafe: the replacement host depends on the target.
    """

    code, name = "CLD011", "aws-endpoint"
    message = "`{name}` is an AWS host; use the target's endpoint from settings"
    strings = AWS_ENDPOINT
    text = AWS_ENDPOINT
    text_kinds = SETTINGS
    VALID = [Example("url = 'https://s3.gra.io.cloud.ovh.net'"),
             Example("url = 'https://www.amazon.com/dp/x'"),
             Example("intersphinx = {'boto3': ('https://boto3.amazonaws.com/v1/documentation/api/latest/', None)}"),
             Example("resources:\n  limits:\n    vpc.amazonaws.com/efa: 4\n", path="job.yaml")]
    INVALID = [Example("url = f'https://{bucket}.s3.{region}.amazonaws.com/{key}'"),
               Example('identifiers = ["sagemaker.amazonaws.com"]\n', path="main.tf"),
               Example("RUN curl -O https://efa-installer.amazonaws.com/aws-efa-installer-1.32.0.tar.gz\n",
                       path="Dockerfile"),
               Example("ENDPOINT=https://s3.eusc-de-east-1.amazonaws.eu\n", path=".env"),
               Example("TOKEN=$(curl -X PUT http://169.254.169.254/latest/api/token)\n", path="imds.sh")]


class EksIrsaAnnotation(CloudRule):
    """
    ## What it does
    Finds IAM Roles for Service Accounts (IRSA) on EKS: the `eks.amazonaws.com/role-arn` annotation
    and its companions (`audience`, `sts-regional-endpoints`, `token-expiration`).

    ## Why it blocks a migration
    The pod gets AWS credentials from EKS's OIDC provider; there is no such provider on the target,
    so every AWS call in the pod (S3, CloudWatch, Secrets Manager) fails with an auth error.

    ## Example
    ```yaml
    metadata:
      annotations:
        eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/train
    ```
    Use instead: a Kubernetes secret with the target's storage credentials, mounted as environment
    variables, or the target's workload identity mechanism.

    ## Fix safety
    Unsafe: credentials and their scope are a security decision.
    """

    code, name = "CLD012", "eks-irsa-annotation"
    severity = BLOCKER
    message = "`{name}` gives the pod AWS credentials through EKS (IRSA); mount the target's credentials instead"
    text = r"\beks\.amazonaws\.com/(?:role-arn|audience|sts-regional-endpoints|token-expiration)\b"
    strings = text
    text_kinds = MANIFESTS
    VALID = [Example("metadata:\n  annotations:\n    iam.example.com/role: train\n", path="sa.yaml")]
    INVALID = [Example("metadata:\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::1:role/x\n",
                       path="sa.yaml"),
               Example('annotations = {\n  "eks.amazonaws.com/role-arn" = aws_iam_role.x.arn\n}\n', path="k8s.tf")]


class AwsArn(CloudRule):
    """
    ## What it does
    Finds Amazon Resource Names: `arn:aws:...`, `arn:aws-cn:...`, `arn:aws-us-gov:...`,
    `arn:aws-eusc:...`, and Terraform's `arn:${data.aws_partition.current.partition}:...`.

    ## Why it blocks a migration
    An ARN names an AWS account, role, bucket or secret; nothing on the target answers to it.

    ## Example
    ```python
    ROLE = "arn:aws:iam::123456789012:role/sagemaker-train"
    ```
    Use instead: the target's identifiers from settings.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD013", "aws-arn"
    message = "`{name}` is an AWS resource name (ARN); nothing on the target answers to it"
    strings = r"\barn:(?:aws(?:-[a-z]+)*|\{[^}\s]*\}):[a-z0-9-]+:"
    text = r"\barn:(?:aws(?:-[a-z]+)*|\$\{[^}\s]*partition[^}\s]*\}):[a-z0-9-]+:[^\s\"',]*"
    text_kinds = SETTINGS
    VALID = [Example("urn = 'urn:isbn:0451450523'"), Example("x = 'barn:aws:y'")]
    INVALID = [Example("ROLE = f'arn:aws:iam::{ACCOUNT}:role/train'"),
               Example("    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/x\n", path="sa.yaml"),
               Example('policy_arn = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"\n', path="main.tf"),
               Example('resources = ["arn:${data.aws_partition.current.partition}:s3:::b/*"]\n', path="main.tf")]


class AwsEfa(CloudRule):
    """
    ## What it does
    Finds AWS Elastic Fabric Adapter set-up: `FI_PROVIDER=efa` (and `value: efa` next to it in
    manifests), `FI_EFA_*` variables, the `vpc.amazonaws.com/efa` device resource, the EFA
    installer, `aws-ofi-nccl` and the `/opt/amazon/efa` and `/opt/amazon/ofi-nccl` paths, and
    `fi_info -p efa` probes, the installer's version variables (`EFA_INSTALLER_VERSION`,
    `AWS_OFI_NCCL_VERSION`) and eksctl's `efaEnabled`.

    ## Why it blocks a migration
    EFA is AWS's network for NCCL between p4d/p5 nodes. The target has InfiniBand, RoCE or plain
    Ethernet; with the EFA settings left in, NCCL either fails to initialise or falls back to slow
    sockets without saying so.

    ## Example
    ```shell
    export FI_PROVIDER=efa
    export FI_EFA_USE_DEVICE_RDMA=1
    ```
    Use instead: the target profile's interconnect settings (NCCL/RCCL IB variables, HCCL, oneCCL).

    ## Fix safety
    Unsafe: the network settings depend on the target's fabric.
    """

    code, name = "CLD014", "aws-efa"
    message = "`{name}` configures AWS EFA networking; use the target's interconnect settings"
    strings = (r"^(?:FI_EFA_[A-Z0-9_]+|efa|FI_PROVIDER=efa)$|(?<![\w.])/opt/amazon/(?:efa|ofi-nccl)\b"
               r"|(?<![\w-])aws-ofi-nccl\b")
    text = (r"\bFI_PROVIDER\s*[=:]\s*[\"']?efa\b|\bFI_EFA_[A-Z0-9_]+|\bvpc\.amazonaws\.com/efa\b"
            r"|(?<![\w-])aws-efa-installer\b|\befa_installer\.sh\b|(?<![\w-])aws-ofi-nccl\b"
            r"|(?<![\w.])/opt/amazon/(?:efa|ofi-nccl|openmpi)\b|\bfi_info\b.*?(?:-p|--provider)[ =]efa\b"
            r"|^\s*-?\s*value:\s*[\"']?efa[\"']?\s*$|\binterface_type\s*=\s*\"efa\""
            r"|\b(?:EFA|AWS_OFI_NCCL)_[A-Z0-9_]+|\befaEnabled\b")
    text_kinds = SETTINGS
    VALID = [Example("export FI_PROVIDER=verbs\n", path="run.sh"),
             Example("env:\n  - name: MODE\n    value: safe\n", path="job.yaml"),
             Example("mode = 'efa_v2_mode'")]
    INVALID = [Example("export FI_PROVIDER=efa\nexport FI_EFA_USE_DEVICE_RDMA=1\n", path="run.sh"),
               Example("env:\n  - name: FI_PROVIDER\n    value: efa\n", path="job.yaml"),
               Example("resources:\n  limits:\n    vpc.amazonaws.com/efa: 4\n", path="job.yaml"),
               Example("env = {'FI_PROVIDER': 'efa', 'FI_EFA_FORK_SAFE': '1'}"),
               Example("ENV LD_LIBRARY_PATH=/opt/amazon/efa/lib:$LD_LIBRARY_PATH\n", path="Dockerfile"),
               Example("ARG EFA_INSTALLER_VERSION=1.47.0\n", path="Dockerfile"),
               Example("managedNodeGroups:\n  - name: p5\n    efaEnabled: true\n", path="cluster.yaml")]


_AWS_ENV = r"AWS_(?!ENDPOINT_URL)[A-Z][A-Z0-9_]*|CODEBUILD_[A-Z][A-Z0-9_]*"


class AwsEnvironmentVariable(CloudRule):
    """
    ## What it does
    Finds AWS SDK environment variables (`AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_PROFILE`,
    `AWS_ROLE_ARN`, `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    `AWS_BATCH_JOB_*`, ...) and CodeBuild's `CODEBUILD_*`, where they are set or read: Python strings
    that are exactly such a name,
    and settings files, images, manifests and scripts. `AWS_ENDPOINT_URL*` is not reported: it is
    how a client is pointed at the target.

    ## Why it blocks a migration
    They select AWS credentials, profiles, roles and regions. Some (the keys) are reused by
    S3-compatible stores, but their values and the profile or role they name belong to AWS.

    ## Example
    ```yaml
    env:
      - name: AWS_REGION
        value: eu-west-1
    ```
    Use instead: the target's credentials and region from a secret, with `AWS_ENDPOINT_URL_S3` set
    to the target's endpoint when an S3 client stays.

    ## Fix safety
    Unsafe: credentials are a security decision.
    """

    code, name = "CLD015", "aws-environment-variable"
    message = "`{name}` configures the AWS SDK; give the target's credentials, region and endpoint instead"
    strings = whole(_AWS_ENV)
    text = rf"\b(?:{_AWS_ENV})\b"
    text_kinds = SETTINGS
    VALID = [Example("export AWS_ENDPOINT_URL_S3=https://s3.gra.io.cloud.ovh.net\n", path="run.sh"),
             Example('[[ -n "$region" ]] || fatal "AWS_REGION required"\n', path="submit.sh"),
             Example("import os\nkey = os.environ['WANDB_API_KEY']"),
             Example("msg = 'set AWS_REGION first'")]
    INVALID = [Example("import os\nregion = os.environ.get('AWS_REGION', 'eu-west-1')"),
               Example("env:\n  - name: AWS_ROLE_ARN\n    value: x\n", path="job.yaml"),
               Example("FROM base\nENV AWS_DEFAULT_REGION=eu-west-1\n", path="Dockerfile"),
               Example("AWS_PROFILE=ml\n", path=".env"),
               Example("phases:\n  build:\n    commands:\n      - echo $CODEBUILD_BUILD_ID | cut -c1-8\n",
                       path="buildspec.yml")]


_TF_MANAGED = (r"sagemaker|secretsmanager|cloudwatch|ecr|ecrpublic|ssm|kms|dynamodb|batch|lambda|sfn|glue|athena"
               r"|emr|emrserverless|kinesis|bedrock|bedrockagent|cloudformation|ecs|xray|elasticache|opensearch"
               r"|elasticsearch|redshift|timestreamwrite|lakeformation|codeartifact|codebuild")


class TerraformAws(CloudRule):
    """
    ## What it does
    Finds AWS infrastructure in Terraform: `provider "aws"` and `"awscc"` (Cloud Control), their
    `hashicorp/aws*` sources and `required_providers` entries, `resource "aws_*"` and `data "aws_*"`
    blocks, references to them (`aws_s3_bucket.data.arn`, `depends_on = [aws_eks_cluster.main]`),
    AWS's EKS add-ons (`addon_name = "vpc-cni"`, not the generic `kube-proxy`/`coredns`), modules
    from `terraform-aws-modules`, and the S3 state backend with its DynamoDB lock table.
    Managed-service resources have their own rule (CLD017).

    ## Why it blocks a migration
    The whole definition is written against AWS's API; the target needs its own provider
    (OpenStack, OVHcloud, Scaleway, STACKIT, ...) and resources.

    ## Example
    ```hcl
    resource "aws_s3_bucket" "data" { bucket = "acme-llm" }
    ```
    Use instead: the target's Terraform provider and resources; the bucket becomes the target's
    object-storage bucket.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD016", "terraform-aws"
    message = "`{name}` defines AWS infrastructure; rewrite it with the target's Terraform provider"
    text = (rf'^\s*(?:provider|resource|data|ephemeral)\s+"aws(?:cc)?(?:_(?!(?:{_TF_MANAGED})_)[a-z0-9_]+)?"'
            r'|\bsource\s*=\s*"(?:registry\.terraform\.io/)?(?:hashicorp/awscc|hashicorp/aws'
            r'|terraform-aws-modules/[^"]*)"'
            r'|\bsource\s*=\s*"[^"]*github\.com[:/]terraform-aws-modules/[^"]*"'
            r'|^\s*aws(?:cc)?\s*=\s*\{|^\s*backend\s+"s3"|\bdynamodb_table\s*='
            r'|\baddon_name\s*=\s*"(?:vpc-cni|eks-[\w-]+|aws-[\w-]+|amazon-[\w-]+|adot)"'
            r"|(?<![\w.])(?:data\.)?aws(?:cc)?_[a-z0-9_]+\.[A-Za-z_][\w-]*(?![\w-]|\s*=)"
            r"|\bprovider\s*=\s*aws(?:cc)?\b")
    text_kinds = TERRAFORM
    VALID = [Example('provider "openstack" {\n  region = var.region\n}\n', path="main.tf"),
             Example('resource "ovh_cloud_project_user" "u" {\n  description = "aws_like"\n}\n', path="main.tf"),
             Example('x = var.aws_region\n', path="main.tf")]
    INVALID = [Example('provider "aws" {\n  region = var.region\n}\n', path="main.tf"),
               Example('resource "aws_s3_bucket" "llm" {\n  bucket = var.bucket\n}\n', path="main.tf"),
               Example('resource "x" "y" {\n  bucket = aws_s3_bucket.llm.id\n}\n', path="main.tf"),
               Example('resource "x" "y" {\n  depends_on = [aws_eks_cluster.cluster]\n}\n', path="main.tf"),
               Example('provider "awscc" {\n  region = var.region\n}\n', path="providers.tf"),
               Example('module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n', path="main.tf"),
               Example('terraform {\n  backend "s3" {\n    bucket = "state"\n  }\n}\n', path="main.tf")]


class TerraformAwsManagedService(CloudRule):
    """
    ## What it does
    Finds Terraform resources and data sources of AWS managed services with no equivalent on a
    sovereign cloud: `aws_sagemaker_*`, `aws_secretsmanager_*`, `aws_cloudwatch_*`, `aws_ecr_*`,
    `aws_ssm_*`, `aws_kms_*`, `aws_dynamodb_*`, `aws_batch_*`, `aws_lambda_*`, `aws_glue_*`,
    `aws_athena_*`, `aws_bedrock*`, ...

    ## Why it blocks a migration
    The pipeline depends on a service the target does not offer; its role has to be taken by
    something else before the move.

    ## Example
    ```hcl
    resource "aws_secretsmanager_secret" "wandb" { name = "wandb-api-key" }
    ```
    Use instead: the target's or an open equivalent (Kubernetes secrets or Vault, Prometheus,
    the target's registry).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD017", "terraform-aws-managed-service"
    severity = BLOCKER
    message = "`{name}` defines an AWS managed service with no equivalent on the target; replace it first"
    text = rf'^\s*(?:resource|data|ephemeral)\s+"aws(?:cc)?_(?:{_TF_MANAGED})_[a-z0-9_]*"'
    text_kinds = TERRAFORM
    VALID = [Example('resource "aws_s3_bucket" "llm" {\n  bucket = var.bucket\n}\n', path="main.tf")]
    INVALID = [Example('resource "aws_secretsmanager_secret" "wandb" {\n  name = "x"\n}\n', path="main.tf"),
               Example('resource "aws_ecr_repository" "train" {\n  name = "x"\n}\n', path="main.tf"),
               Example('data "aws_sagemaker_prebuilt_ecr_image" "i" {\n  repository_name = "x"\n}\n',
                       path="main.tf"),
               Example('resource "awscc_sagemaker_cluster" "hp" {\n  cluster_name = "x"\n}\n', path="main.tf")]


_IAM_SERVICES = (r"s3|s3-object-lambda|sts|iam|secretsmanager|cloudwatch|logs|ecr|sagemaker|kms|ec2|ssm|dynamodb"
                 r"|lambda|sns|sqs|glue|athena|elasticfilesystem|fsx|eks|ecs|batch|bedrock|states|events|kinesis"
                 r"|firehose|cloudformation|xray|autoscaling|elasticloadbalancing|route53|acm|organizations"
                 r"|servicequotas|cloudtrail|ebs|sso|ce")
_IAM_ACTION = rf"(?:{_IAM_SERVICES}):(?:[A-Z][A-Za-z0-9]*\*?|\*)|aws:(?:kms(?::dsse)?|[A-Z][\w]*(?:/[\w${{}}.-]+)?)"


class AwsIamAction(CloudRule):
    """
    ## What it does
    Finds IAM policy vocabulary: actions (`"s3:GetObject"`, `"sts:AssumeRole"`,
    `"secretsmanager:GetSecretValue"`), lower-case condition keys in policy documents
    (`"cloudwatch:namespace"`), global condition keys (`"aws:SourceArn"`) and `aws:kms` encryption,
    in Terraform, JSON and YAML policies and in Python strings that are exactly such a name.

    ## Why it blocks a migration
    IAM policies grant access to AWS resources; the target has its own identity and policy model
    (OpenStack roles, provider IAM, bucket policies of the S3-compatible store).

    ## Example
    ```hcl
    actions = ["s3:GetObject", "s3:PutObject"]
    ```
    Use instead: the target's access model: a scoped storage user or bucket policy, set per target.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD018", "aws-iam-action"
    message = "`{name}` is AWS IAM policy vocabulary; grant access with the target's identity model"
    strings = whole(_IAM_ACTION)
    text = (rf"[\"'](?:{_IAM_ACTION}|(?:{_IAM_SERVICES}):[a-z][\w-]*)[\"']"
            rf"|(?<![\w:/.-])(?:{_IAM_ACTION})(?![\w:/-])")
    text_kinds = INFRA
    VALID = [Example("level = 'logs:debug'"), Example("key = 'ec2:instance'"),
             Example("image: python:3.11\n", path="job.yaml")]
    INVALID = [Example('actions = ["s3:GetObject", "s3:PutObject"]\n', path="main.tf"),
               Example('sse_algorithm = "aws:kms"\n', path="main.tf"),
               Example('variable = "cloudwatch:namespace"\n', path="main.tf"),
               Example('{"Action": "sts:AssumeRole"}\n', path="policy.json"),
               Example("s3.put_object(Bucket=b, Key=k, ServerSideEncryption='aws:kms')")]


_AWS_CLI_OPTS = r"(?:\s+--?[a-z][\w-]*(?:[ =](?!-)[^\s;|&]+)?)*?"
_AWS_CLI_START = r"(?<![\w/.$-])aws"
_AWS_CLI_MANAGED = (r"sagemaker|sagemaker-runtime|ecr|ecr-public|secretsmanager|cloudwatch|logs|ssm|sts|iam|batch"
                    r"|kms|dynamodb|eks|ecs|ec2|cloudformation|lambda|bedrock|bedrock-runtime|athena|glue|emr"
                    r"|stepfunctions|events")


class AwsCliStorage(CloudRule):
    """
    ## What it does
    Finds AWS CLI storage and set-up commands in scripts, images and manifests: `aws s3 cp/sync/ls/...`,
    `aws s3api ...` and `aws configure`.

    ## Why it blocks a migration
    Without `--endpoint-url` they talk to AWS S3 with AWS credentials. They work against an
    S3-compatible store when the endpoint is given, so they are portable with configuration.

    ## Example
    ```shell
    aws s3 sync "$S3_DATA/train/" /data/train/
    ```
    Use instead: the same command with `--endpoint-url "$S3_ENDPOINT"` (or `AWS_ENDPOINT_URL_S3`),
    or `rclone`/`homeport data copy` with a remote for the target.

    ## Fix safety
    Unsafe: the endpoint depends on the target.
    """

    code, name = "CLD019", "aws-cli-storage"
    message = "`{name}` uses the AWS CLI against S3; give it the target's endpoint (--endpoint-url) or use rclone"
    text = (rf"{_AWS_CLI_START}{_AWS_CLI_OPTS}\s+(?:s3\s+(?:cp|sync|mv|rm|ls|mb|rb|presign|website)\b"
            r"|s3api\s+[a-z][\w-]*|configure\b)")
    text_kinds = COMMANDS
    VALID = [Example("rclone sync remote:data /data\n", path="stage.sh"),
             Example("echo 'aws s3 bucket for datasets'\n", path="stage.sh")]
    INVALID = [Example('aws s3 sync --only-show-errors "$S3_DATA/train/" "$DATA/train/"\n', path="stage.sh"),
               Example("RUN aws --region eu-west-1 s3 cp s3://b/model.pt /opt/model.pt\n", path="Dockerfile"),
               Example("args: ['aws s3api head-object --bucket b --key k']\n", path="job.yaml")]


class AwsCliManagedService(CloudRule):
    """
    ## What it does
    Finds AWS CLI calls of managed services in scripts, images and manifests: `aws sagemaker ...`,
    `aws ecr get-login-password`, `aws secretsmanager get-secret-value`, `aws cloudwatch ...`,
    `aws logs ...`, `aws sts ...`, `aws ssm ...`, `aws eks update-kubeconfig`, ..., and Terraform
    exec plugins that run the AWS CLI (`command = "aws"`, `args = ["eks", "get-token", ...]`).

    ## Why it blocks a migration
    These services do not exist on the target: the script stops at that line.

    ## Example
    ```shell
    aws ecr get-login-password | docker login --username AWS --password-stdin "$REGISTRY"
    ```
    Use instead: the target's CLI or an open equivalent (its registry login, Kubernetes secrets).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD020", "aws-cli-managed-service"
    severity = BLOCKER
    message = "`{name}` calls an AWS managed service with no equivalent on the target"
    text = (rf"{_AWS_CLI_START}{_AWS_CLI_OPTS}\s+(?:{_AWS_CLI_MANAGED})\s+"
            r"(?:[a-z][a-z0-9]*(?:-[a-z0-9]+)+|wait|tail|help)\b"
            r'|\bcommand\s*=\s*"aws"|\[\s*"eks",\s*"get-token"')
    text_kinds = COMMANDS | TERRAFORM
    VALID = [Example("echo 'we used aws sagemaker training before'\n", path="notes.sh"),
             Example("aws s3 ls s3://bucket\n", path="ls.sh")]
    INVALID = [Example("aws ecr get-login-password --region eu-west-1 | docker login -u AWS --password-stdin x\n",
                       path="push.sh"),
               Example("RUN aws secretsmanager get-secret-value --secret-id wandb\n", path="Dockerfile"),
               Example("aws --profile ml sagemaker create-training-job --cli-input-json file://job.json\n",
                       path="submit.sh"),
               Example('exec {\n  args    = ["eks", "get-token", "--cluster-name", var.name]\n  command = "aws"\n}\n',
                       path="providers.tf")]


class AwsKubernetesLabel(CloudRule):
    """
    ## What it does
    Finds Kubernetes labels, annotations and drivers that exist only on EKS: `eks.amazonaws.com/*`
    node labels (`nodegroup`, `capacityType`), `karpenter.k8s.aws/*`, `topology.k8s.aws/*`,
    `vpc.amazonaws.com/*` (EFA has CLD014), the AWS load balancer annotations, the EBS, EFS and
    FSx CSI drivers, and eksctl, nodeadm and Karpenter manifests (`apiVersion: eksctl.io/...`,
    `node.eks.aws/...`, `karpenter.k8s.aws/...`).

    ## Why it blocks a migration
    On another cluster no node carries these labels and no controller reads these annotations:
    pods stay pending and volumes never bind.

    ## Example
    ```yaml
    nodeSelector:
      eks.amazonaws.com/nodegroup: gpu-p4d
    ```
    Use instead: the target cluster's node labels and storage classes, from the target profile.

    ## Fix safety
    Unsafe: the labels depend on the target cluster.
    """

    code, name = "CLD021", "aws-kubernetes-label"
    message = "`{name}` exists only on EKS; use the target cluster's labels, annotations and storage classes"
    text = (r"\beks\.amazonaws\.com/(?!(?:role-arn|audience|sts-regional-endpoints|token-expiration)\b)[\w.-]+"
            r"|\b(?:karpenter|topology)\.k8s\.aws/[\w.-]+|\bk8s\.amazonaws\.com/[\w.-]+"
            r"|\balb\.ingress\.kubernetes\.io/[\w.-]+|\bservice\.beta\.kubernetes\.io/aws-load-balancer[\w.-]*"
            r"|\b(?:ebs|efs|fsx)\.csi\.aws\.com\b|\bvpc\.amazonaws\.com/(?!efa\b)[\w.-]+|\baws\.amazon\.com/neuron\w*"
            r"|\bapiVersion:\s*[\"']?(?:eksctl\.io|node\.eks\.aws|karpenter\.k8s\.aws)/[\w.-]+")
    text_kinds = MANIFESTS
    VALID = [Example("nodeSelector:\n  node.kubernetes.io/instance-type: gpu\n", path="job.yaml"),
             Example("metadata:\n  annotations:\n    eks.amazonaws.com/role-arn: x\n", path="sa.yaml")]
    INVALID = [Example("nodeSelector:\n  eks.amazonaws.com/nodegroup: gpu\n", path="job.yaml"),
               Example("provisioner: ebs.csi.aws.com\n", path="sc.yaml"),
               Example("nodeSelector:\n  karpenter.k8s.aws/instance-family: p5\n", path="job.yaml"),
               Example("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n", path="cluster.yaml")]


class AwsMachineImagePath(CloudRule):
    """
    ## What it does
    Finds paths that exist only on AWS machine images: the Deep Learning AMI's `/opt/dlami`
    (e.g. `/opt/dlami/nvme`, the instance store), the Neuron SDK's `/opt/aws/neuron` and
    `/opt/aws_neuronx_venv_*`, and the cluster logs of SageMaker HyperPod (`/var/log/aws/clusters`).

    ## Why it blocks a migration
    The target's images do not have them: staging directories vanish and Neuron virtualenvs are
    missing.

    ## Example
    ```shell
    DATA_ROOT=/opt/dlami/nvme/data
    ```
    Use instead: a scratch directory from the job's settings, on the target's local disk.

    ## Fix safety
    Unsafe: the right directory depends on the target's machines.
    """

    code, name = "CLD022", "aws-machine-image-path"
    message = "`{name}` exists only on AWS machine images; use a directory from the job's settings"
    strings = r"(?<![\w.])/(?:opt/(?:dlami|aws/neuron|aws_neuron\w*)|var/log/aws)\b"
    text = r"(?<![\w.])/(?:opt/(?:dlami|aws/neuron|aws_neuron\w*)|var/log/aws)\b[\w./${}-]*"
    text_kinds = SETTINGS
    VALID = [Example("DATA_ROOT=/mnt/nvme/data\n", path="run.sh")]
    INVALID = [Example('DATA_ROOT="${DATA_ROOT:-/opt/dlami/nvme/data}"\n', path="run.sh"),
               Example("source /opt/aws_neuronx_venv_pytorch/bin/activate\n", path="run.sh"),
               Example("scratch = '/opt/dlami/nvme'")]


class AwsCiAction(CloudRule):
    """
    ## What it does
    Finds GitHub Actions from `aws-actions/` in workflows (`configure-aws-credentials`,
    `amazon-ecr-login`, `amazon-ecs-deploy-task-definition`, ...).

    ## Why it blocks a migration
    The pipeline's build and deploy steps log in to AWS and push to AWS services; on the target they
    need the target's credentials and registry.

    ## Example
    ```yaml
    - uses: aws-actions/configure-aws-credentials@v4
    ```
    Use instead: the target's login step (registry login with a CI secret).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD023", "aws-ci-action"
    message = "`{name}` is an AWS GitHub Action; log in to the target and push to its registry instead"
    text = r"\buses:\s*[\"']?aws-actions/[\w.@-]+"
    text_kinds = frozenset({K.YAML})
    VALID = [Example("steps:\n  - uses: actions/checkout@v4\n", path="ci.yml")]
    INVALID = [Example("steps:\n  - uses: aws-actions/configure-aws-credentials@v4\n", path="ci.yml"),
               Example("steps:\n  - uses: 'aws-actions/amazon-ecr-login@v2'\n", path="ci.yml")]


class AwsServiceSetting(CloudRule):
    """
    ## What it does
    Finds configuration keys that name an AWS managed service: keys containing `cloudwatch`,
    `sagemaker` or `secrets_manager`/`secretsmanager` in YAML and JSON settings
    (`cloudwatch: true`, `cloudwatch_namespace: LLMTraining`, `"sagemaker_role": ...`), the
    `AMAZON_SAGEMAKER` compute environment of accelerate configs, CloudWatch log group names
    (`/aws/eks/<cluster>/cluster`), and Python strings that are such a compound key
    (`cfg.get("cloudwatch_namespace")`, not the bare word `"sagemaker"`).

    ## Why it blocks a migration
    The pipeline reads them to switch a managed service on or to address it; on the target the
    service is not there, so the setting either breaks the run or does nothing.

    ## Example
    ```yaml
    tracking:
      cloudwatch: true
      cloudwatch_namespace: LLMTraining
    ```
    Use instead: settings for the replacement (metrics exporter, secret source) in the target profile.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD024", "aws-service-setting"
    message = "`{name}` configures an AWS managed service; configure its replacement on the target"
    text = (r"(?i)(?:^|[{,])\s*-?\s*(?:[\"'][\w.-]*(?:cloudwatch|sagemaker|secrets_?manager)[\w.-]*[\"']\s*:"
            r"|[\w.-]*(?:cloudwatch|sagemaker|secrets_?manager)[\w.-]*\s*:(?=\s|$))"
            r"|\bAMAZON_SAGEMAKER\b|[\"']/aws/(?:eks|lambda|sagemaker|batch|ecs|codebuild|rds|vendedlogs"
            r"|containerinsights|parallelcluster)/")
    text_kinds = frozenset({K.YAML, K.JSON, K.TERRAFORM})
    strings = (r"(?i)^(?:[a-z0-9_.-]*[_.-](?:cloudwatch|sagemaker|secrets_?manager)[a-z0-9_.-]*"
               r"|(?:cloudwatch|sagemaker|secrets_?manager)[_.-][a-z0-9_.-]+)$|^/aws/[a-z-]+/")
    VALID = [Example("tracking:\n  wandb_project: llm\n", path="train.yaml"),
             Example('{"tags": ["sagemaker", "eks"]}\n', path="meta.json"),
             Example("msg = 'pushing metrics to CloudWatch now'"),
             Example("Action:\n  - sagemaker:ListClusterNodes\n", path="policy.yaml"),
             Example('extras["sagemaker"] = ["sagemaker"]')]
    INVALID = [Example("tracking:\n  cloudwatch: true\n  cloudwatch_namespace: LLMTraining\n", path="train.yaml"),
               Example('{"sagemaker_role": "x"}\n', path="config.json"),
               Example("ns = cfg.get('cloudwatch_namespace', 'Training')"),
               Example("compute_environment: AMAZON_SAGEMAKER\n", path="accelerate_config.yaml"),
               Example('resource "x" "y" {\n  name = "/aws/eks/${var.cluster}/cluster"\n}\n', path="main.tf")]



_S3_OPERATIONS = frozenset({"get_paginator", "list_objects_v2", "list_objects", "upload_fileobj", "download_fileobj",
                            "generate_presigned_url", "head_object", "head_bucket", "create_multipart_upload",
                            "complete_multipart_upload", "abort_multipart_upload", "upload_part", "get_object",
                            "put_object", "delete_object", "delete_objects", "copy_object", "create_bucket",
                            "delete_bucket", "paginate", "put_object_tagging", "get_object_tagging"})


class S3ApiCall(CloudRule):
    """
    ## What it does
    Finds S3 operations called through boto3: `.get_paginator()`, and `.get_object()`,
    `.put_object()`, `.list_objects_v2()`, `.upload_fileobj()`, `.generate_presigned_url()`,
    `.head_object()`, `paginator.paginate()`, the multipart calls, ... with boto3's keyword arguments
    (`Bucket=`), and `.upload_file(file, bucket, key)` / `.download_file(bucket, key, file)`. The call
    is reported on its first line.

    ## Why it blocks a migration
    It does not block by itself: the S3 API is what S3-compatible stores speak. It shows where the
    pipeline reads and writes object storage, so that data can be copied and the client created
    with the target's endpoint (CLD002). Presigned URLs and multipart sizes are worth a test on the
    target (some stores differ in limits and checksum headers).

    ## Example
    ```python
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    ```
    Use instead: keep the call; create the client with the target's endpoint.

    ## Fix safety
    Nothing to fix in the call itself.
    """

    code, name = "CLD025", "s3-api-call"
    severity = INFO
    message = "`{name}` is an S3 API call: portable to S3-compatible storage once the client's endpoint is set"
    methods = tuple(sorted(_S3_OPERATIONS | {"upload_file", "download_file"}))

    @classmethod
    def refine_call(cls, qualname, call):
        if call is None:
            return None
        keywords = {kw.arg for kw in call.keywords}
        if qualname == "get_paginator":
            return cls.message
        if qualname in _S3_OPERATIONS:
            # boto3 operations take keyword arguments only (`Bucket=`, or `**params`); OCI's and other
            # SDKs' `head_object(namespace, bucket, name)` take positional ones.
            return cls.message if not call.args and ("Bucket" in keywords or None in keywords) else None
        # upload_file(Filename, Bucket, Key, ExtraArgs=, Callback=, Config=) and download_file(Bucket, Key,
        # Filename, ...): other libraries (huggingface_hub, SFTP clients) use the same names with other arguments.
        if keywords & {"Bucket", "Key", "Filename"}:
            return cls.message
        if len(call.args) == 3 and keywords <= {"ExtraArgs", "Callback", "Config"}:
            return cls.message
        return None

    VALID = [Example("api.upload_file(path_or_fileobj=p, path_in_repo='m.bin', repo_id=r)"),
             Example("sftp.download_file(remote)"), Example("d = dict(bucket=b, key=k)"),
             Example("r = oci_client.head_object(self.namespace, self.bucket, name)"),
             Example("uploader.upload_file(state, remote_name, path, overwrite=False)"),
             Example("obj = minio_client.get_object('bucket', 'key')")]
    INVALID = [Example("body = s3.get_object(Bucket=bucket, Key=key)['Body'].read()"),
               Example("pages = paginator.paginate(Bucket=self.bucket, Prefix=prefix)"),
               Example("pages = s3_client().get_paginator('list_objects_v2')"),
               Example("s3.upload_file(str(path), bucket, key)")]


_AWS_ID = (r"(?:subnet|sg|vpc|ami|igw|rtb|eni|vol|snap|nat|eipalloc|lt|acl|pcx|tgw|vpce|fs|fsap|efs)-[0-9a-f]{8}"
           r"(?:[0-9a-f]{9})?|i-[0-9a-f]{17}")


class AwsResourceId(CloudRule):
    """
    ## What it does
    Finds identifiers of AWS resources: subnets (`subnet-0a1b2c3d4e5f60718`), security groups
    (`sg-...`), VPCs, AMIs, instances (`i-...`), volumes, snapshots, EFS/FSx file systems, ...
    (prefix, then 8 or 17 hexadecimal digits), as whole strings in code and as tokens in settings.

    ## Why it blocks a migration
    They name resources in one AWS account; nothing on the target answers to them, and a job that
    passes them (SageMaker `subnets=`, Terraform, launch templates) cannot start.

    ## Example
    ```python
    PyTorch(..., subnets=["subnet-0a1b2c3d4e5f60718"], security_group_ids=["sg-0123456789abcdef0"])
    ```
    Use instead: the target's network settings from the target profile.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD026", "aws-resource-id"
    message = "`{name}` identifies a resource in an AWS account; use the target's resources from settings"
    strings = whole(_AWS_ID)
    text = token(_AWS_ID)
    text_kinds = SETTINGS - {K.CONDA}
    VALID = [Example("name = 'sg-team'"), Example("h = 'vol-12345'"), Example("tag = 'i-love-gpus'")]
    INVALID = [Example("est = PyTorch(subnets=['subnet-0a1b2c3d4e5f60718'], security_group_ids=['sg-0123456789abcdef0'])"),
               Example("SUBNET_ID=subnet-0a1b2c3d\n", path=".env"),
               Example('ami = "ami-0abcdef1234567890"\n', path="main.tf")]


_CFN_PSEUDO = r"Region|AccountId|Partition|StackName|StackId|URLSuffix|NoValue|NotificationARNs"
CLOUDFORMATION = (r"\bAWS::[A-Za-z0-9]+::[A-Za-z0-9]+(?:::[A-Za-z0-9]+)*|\bAWS::(?:" + _CFN_PSEUDO + r")\b"
                  r"|(?:^|[{,])\s*[\"']?AWSTemplateFormatVersion[\"']?\s*:|\bFn::[A-Z][A-Za-z]+"
                  r"|(?<![\w!])!(?:GetAtt|Sub|Ref|ImportValue|GetAZs|FindInMap|Join|Select|Split|Base64|Cidr"
                  r"|Transform)\b")


class AwsCloudFormation(CloudRule):
    """
    ## What it does
    Finds AWS CloudFormation and SAM templates: resource types (`Type: AWS::S3::Bucket`), pseudo
    parameters (`AWS::Region`, `AWS::AccountId`), `AWSTemplateFormatVersion`, intrinsic functions
    (`Fn::GetAtt`, and the YAML short forms `!Ref`, `!Sub`, `!GetAtt`, ...), in YAML and JSON, and
    in Python strings that name a resource type.

    ## Why it blocks a migration
    The stack can only be deployed by CloudFormation; the target needs its own infrastructure
    definition (Terraform with its provider, Heat, its console or API).

    ## Example
    ```yaml
    Resources:
      Data:
        Type: AWS::S3::Bucket
    ```
    Use instead: the target's infrastructure definition.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD027", "aws-cloudformation"
    message = "`{name}` belongs to an AWS CloudFormation template; define the infrastructure for the target"
    strings = r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+"
    text = CLOUDFORMATION
    text_kinds = frozenset({K.YAML, K.JSON})
    VALID = [Example("key: !secret api_key\nother: !include x.yaml\n", path="config.yaml"),
             Example("msg: 'ready!Ref'\n", path="config.yaml")]
    INVALID = [Example("Resources:\n  Data:\n    Type: AWS::S3::Bucket\n", path="stack.yaml"),
               Example("Value: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}'\n", path="stack.yaml"),
               Example('{"AWSTemplateFormatVersion": "2010-09-09"}\n', path="stack.json"),
               Example("kind = 'AWS::SageMaker::Domain'")]
