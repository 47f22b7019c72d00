"""CLD1xx: code and configuration tied to Azure: the SDKs, Azure ML, storage URIs and hosts, the
container registry, environment variables, regions, VM sizes, Terraform, the CLI, AKS."""

from __future__ import annotations

import ast

from homeport.assess import kinds as K
from homeport.catalog.regions import regions_of
from homeport.core.rule import Example
from homeport.rules.cld._common import (BLOCKER, COMMANDS, HOST_START, LABEL, MANIFESTS, SETTINGS, TERRAFORM,
                                        CloudRule, by_prefix, instance_notes, spaced, whole)

_SDK_NOTES = {
    "azure.storage": "an Azure Storage client; move the data and use an S3 client with the target's endpoint",
    "adlfs": "the Azure Blob/ADLS filesystem for fsspec; use s3fs with the target's endpoint",
    "azure.identity": "Azure AD credentials; use the target's credentials from settings",
}


class AzureSdkImport(CloudRule):
    """
    ## What it does
    Finds imports and uses of the Azure SDKs for Python (`azure.*`: `azure.storage.blob`,
    `azure.identity`, `azure.core`, ...), `adlfs` and `msrestazure`. Azure ML (CLD102) and managed
    services without an equivalent (CLD103) have their own, more specific rules.

    ## Why it blocks a migration
    Blob Storage and Data Lake are not S3: the storage code needs another client, and Azure AD
    credentials do not exist on the target.

    ## Example
    ```python
    from azure.storage.blob import BlobServiceClient
    ```
    Use instead: an S3 client (boto3, s3fs) with the target's endpoint and credentials from settings.

    ## Fix safety
    No automatic fix: the storage client and its calls change.
    """

    code, name = "CLD101", "azure-sdk-import"
    message = "`{name}` is the Azure SDK; use the target's clients (S3-compatible storage) instead"
    names = ("azure", "adlfs", "msrestazure")

    @classmethod
    def refine_call(cls, qualname, call):
        note = by_prefix(qualname, _SDK_NOTES)
        return f"`{{name}}` is {note}" if note else cls.message

    VALID = [Example("import requests\nr = requests.get(url)"), Example("import s3fs\nfs = s3fs.S3FileSystem()")]
    INVALID = [Example("from azure.storage.blob import BlobServiceClient\nc = BlobServiceClient(url)"),
               Example("from azure.identity import DefaultAzureCredential\ncred = DefaultAzureCredential()"),
               Example("import adlfs\nfs = adlfs.AzureBlobFileSystem(account_name='acct')")]


class AzureMlSdk(CloudRule):
    """
    ## What it does
    Finds the Azure Machine Learning SDKs: `azure.ai.ml` (v2: `MLClient`, `command`, `Input`),
    `azureml.*` (v1: `Workspace`, `Run`, `ScriptRunConfig`, `azureml.core`) and `mlflow.azureml`, and
    `MLClient` operations on a client passed in: `.begin_create_or_update()`, and
    `ml_client.jobs.create_or_update()`, `client.workspaces.get()`, `client.online_endpoints.invoke()`, ...
    (operation groups only Azure ML has, or any group on an object named `ml_client`).

    ## Why it blocks a migration
    Azure ML is a managed training service: it provisions compute clusters, mounts datastores and
    runs the job. The target has no Azure ML workspace to submit to.

    ## Example
    ```python
    from azure.ai.ml import MLClient, command
    ml_client.jobs.create_or_update(command(code="./src", command="python train.py", compute="gpu-cluster"))
    ```
    Use instead: a launcher that runs `torchrun` on the target (Kubernetes training-operator job,
    Slurm or plain nodes), with data in its S3-compatible storage.

    ## Fix safety
    No automatic fix: the job definition is rewritten for the target's scheduler.
    """

    code, name = "CLD102", "azure-ml-sdk"
    severity = BLOCKER
    message = "`{name}` is Azure Machine Learning, a managed service the target does not have; launch with torchrun there"
    names = ("azure.ai.ml", "azureml", "mlflow.azureml")
    # MLClient operations (`ml_client.jobs.create_or_update(job)`, `client.workspaces.get(name)`)
    methods = ("begin_create_or_update", "create_or_update", "get", "list", "stream", "download", "archive",
               "begin_delete", "invoke", "get_logs")

    @classmethod
    def refine_call(cls, qualname, call):
        if qualname not in cls.methods or qualname == "begin_create_or_update":
            return cls.message  # an Azure ML name (import, class, function), or an operation only it has
        receiver = call.func.value if call is not None and type(call.func) is ast.Attribute else None
        if type(receiver) is not ast.Attribute:
            return None
        group, root = receiver.attr, receiver.value
        root_name = (root.id if type(root) is ast.Name else root.attr if type(root) is ast.Attribute else "").lower()
        if group in _AML_ONLY_GROUPS or (group in _AML_GROUPS and ("ml_client" in root_name or "mlclient" in root_name)):
            return cls.message
        return None

    VALID = [Example("import mlflow\nmlflow.log_metric('loss', 1.0)"),
             Example("import os\nx = os.environ.get('HOME')"),
             Example("jobs = client.fine_tuning.jobs.list()")]
    INVALID = [Example("from azure.ai.ml import MLClient\nml = MLClient(cred, sub, rg, ws)"),
               Example("def submit(ml_client, job):\n    return ml_client.jobs.create_or_update(job)"),
               Example("workspace = client.workspaces.get(workspace_name)"),
               Example("from azureml.core import Run\nrun = Run.get_context()"),
               Example("import azureml.core\nws = azureml.core.Workspace.from_config()"),
               Example("from azureml.core import Workspace\n\n\nws = Workspace.from_config()")]


# MLClient operation groups: names only Azure ML uses, and common names that count on `ml_client` only.
_AML_ONLY_GROUPS = frozenset({"workspaces", "online_endpoints", "online_deployments", "batch_endpoints",
                              "batch_deployments", "datastores", "registries", "workspace_connections",
                              "feature_stores", "feature_sets", "serverless_endpoints"})
_AML_GROUPS = _AML_ONLY_GROUPS | frozenset({"jobs", "compute", "environments", "models", "data", "components",
                                            "schedules", "connections", "indexes"})


class AzureManagedServiceClient(CloudRule):
    """
    ## What it does
    Finds clients of Azure managed services with no equivalent on a sovereign cloud: Key Vault
    (`azure.keyvault`), Azure Monitor and Application Insights (`azure.monitor`,
    `opencensus.ext.azure`, `applicationinsights`), resource management (`azure.mgmt`), Cosmos DB,
    Service Bus, Event Hubs, Event Grid, Azure Batch, AI Search, Azure AI services (`azure.ai.*`
    other than ML), Azure OpenAI clients (`openai.AzureOpenAI`, `langchain_openai.AzureChatOpenAI`),
    Table storage, Container Registry and App Configuration.

    ## Why it blocks a migration
    These APIs exist only at Azure; the job fails at the first call, or silently loses its metrics.

    ## Example
    ```python
    from azure.keyvault.secrets import SecretClient
    key = SecretClient(vault_url, cred).get_secret("wandb").value
    ```
    Use instead: an open or target equivalent behind an interface: secrets from the environment or
    Kubernetes secrets, metrics to Prometheus/OpenTelemetry, models served by the target.

    ## Fix safety
    No automatic fix: a managed service is replaced by a design decision.
    """

    code, name = "CLD103", "azure-managed-service-client"
    severity = BLOCKER
    message = "`{name}` uses an Azure managed service with no equivalent on the target; replace it behind an interface"
    names = ("azure.keyvault", "azure.monitor", "azure.mgmt", "azure.cosmos", "azure.servicebus", "azure.eventhub",
             "azure.eventgrid", "azure.batch", "azure.search", "azure.ai", "azure.cognitiveservices",
             "azure.applicationinsights", "azure.data.tables", "azure.containerregistry", "azure.appconfiguration",
             "azure.functions", "azure.synapse", "azure.kusto", "azure.loganalytics", "azure.communication",
             "opencensus.ext.azure", "applicationinsights", "openai.AzureOpenAI", "openai.AsyncAzureOpenAI",
             "openai.lib.azure", "langchain_openai.AzureChatOpenAI", "langchain_openai.AzureOpenAIEmbeddings",
             "langchain_openai.AzureOpenAI")
    VALID = [Example("from openai import OpenAI\nc = OpenAI(base_url=url)"),
             Example("from azure.storage.blob import BlobClient")]
    INVALID = [Example("from azure.keyvault.secrets import SecretClient\nc = SecretClient(url, cred)"),
               Example("from azure.monitor.opentelemetry import configure_azure_monitor\nconfigure_azure_monitor()"),
               Example("from openai import AzureOpenAI\nc = AzureOpenAI(azure_endpoint=e)")]


class AzureStorageUri(CloudRule):
    """
    ## What it does
    Finds Azure storage URIs: `abfs://`, `abfss://` (Data Lake Gen2), `wasb://`, `wasbs://`
    (Hadoop Blob), `adl://` (Data Lake Gen1) and fsspec's `az://`, in code and configuration.

    ## Why it blocks a migration
    They name Azure storage accounts; the data has to be copied to the target and read with an S3
    client there.

    ## Example
    ```python
    df = pd.read_parquet("abfss://data@acct.dfs.core.windows.net/train/")
    ```
    Use instead: `s3://` or `REMOTE:bucket/prefix` on the target (copy with `homeport data copy`).

    ## Fix safety
    Unsafe: the bucket layout on the target is the user's choice.
    """

    code, name = "CLD104", "azure-storage-uri"
    destination = "location"
    message = "`{name}` is an Azure storage URI; copy the data to the target and use its S3 endpoint"
    strings = r"\b(?:abfss?|wasbs?|adl|az)://"
    text = r"\b(?:abfss?|wasbs?|adl|az)://[^\s\"'`,;)\]}]*"
    text_kinds = SETTINGS
    VALID = [Example("uri = 's3://bucket/key'"), Example("x = 'baz://thing'"),
             Example("path: /data/az/train\n", path="job.yaml")]
    INVALID = [Example("df = pd.read_parquet('abfss://data@acct.dfs.core.windows.net/train/')"),
               Example("path = f'az://{container}/{blob}'"),
               Example("inputs:\n  data: wasbs://c@acct.blob.core.windows.net/x\n", path="job.yaml")]


AZURE_ENDPOINT = (
    rf"{HOST_START}(?!azuremlschemas\.|dev\.azure\.com)(?:{LABEL}+\.)+(?:core\.windows\.net|vault\.azure\.net|azure-api\.net"
    r"|azurewebsites\.net|servicebus\.windows\.net|database\.windows\.net|azureml\.(?:ms|net)|azureedge\.net"
    r"|azurefd\.net|azure\.com|azure\.net|windows\.net)(?![\w-])"
    r"|\blogin\.microsoftonline\.com(?![\w-])"
    r"|\bmcr\.microsoft\.com/(?:azureml|aznhc|azure-[\w-]+|aks|oss/azure)\b[\w./:@-]*"
    r"|\b169\.254\.169\.254/metadata/(?:instance|identity|scheduledevents|attested)\b[\w/?=&.-]*")


class AzureEndpoint(CloudRule):
    """
    ## What it does
    Finds Azure hosts: storage accounts (`*.blob.core.windows.net`, `*.dfs.core.windows.net`,
    `*.file.core.windows.net`), Key Vault (`*.vault.azure.net`), `*.azure.com` services (management,
    Azure OpenAI, Cognitive Services, Cosmos DB, DevOps feeds), `*.azureml.ms`, `*.azureedge.net`,
    `login.microsoftonline.com`, Azure images on the Microsoft registry (`mcr.microsoft.com/azureml/...`,
    `mcr.microsoft.com/aznhc/...`, `mcr.microsoft.com/aks/...`), and Azure's instance metadata
    service (`169.254.169.254/metadata/instance`, `/metadata/identity`). The
    container registry (CLD106) and Azure ML job schemas (CLD113) have their own rules; Azure
    DevOps project pages (`dev.azure.com/<org>`) are not reported, its package feeds are.

    ## Why it blocks a migration
    A hard-coded Azure host sends data or requests to Azure whatever else is configured; Microsoft
    is subject to the CLOUD Act wherever the region is (research/assessment-residency.md section 4).

    ## Example
    ```python
    url = f"https://{account}.blob.core.windows.net/{container}"
    ```
    Use instead: the target's endpoint from settings; let `homeport fence` block the Azure hosts.

    ## Fix safety
    Unsafe: the replacement host depends on the target.
    """

    code, name = "CLD105", "azure-endpoint"
    message = "`{name}` is an Azure host; use the target's endpoint from settings"
    strings = AZURE_ENDPOINT
    text = AZURE_ENDPOINT
    text_kinds = SETTINGS
    VALID = [Example("url = 'https://learn.microsoft.com/azure/storage'"),
             Example('{"pattern": "^https://dev.azure.com/acme/ml/_apis/build/status"}\n', path="links.json"),
             Example("url = 'https://azure.microsoft.com/pricing'"),
             Example("FROM mcr.microsoft.com/devcontainers/python:3.11\n", path="Dockerfile"),
             Example("image: myregistry.azurecr.io/train:1\n", path="job.yaml")]
    INVALID = [Example("url = f'https://{account}.blob.core.windows.net/{container}'"),
               Example("AZURE_OPENAI_ENDPOINT=https://acme.openai.azure.com/\n", path=".env"),
               Example("--extra-index-url https://pkgs.dev.azure.com/acme/_packaging/ml/pypi/simple\n",
                       path="setup.sh"),
               Example("FROM mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04\n", path="Dockerfile"),
               Example("url = 'http://169.254.169.254/metadata/instance/compute/vmSize?api-version=2021-01-01'"),
               Example("image: mcr.microsoft.com/aznhc/aznhc-nv\n", path="health_job.yaml")]


ACR_IMAGE = r"(?<![\w.-])[a-z0-9${}-]+\.azurecr\.(?:io|cn|us)(?![\w-])(?:/[\w./:@${}-]*)?"


class AzureContainerRegistry(CloudRule):
    """
    ## What it does
    Finds images in Azure Container Registry (`<name>.azurecr.io/...`) in code, images, manifests
    and scripts.

    ## Why it blocks a migration
    Pulls need Azure AD credentials or the registry's admin keys, which the target's nodes do not
    have; the pod or job never starts.

    ## Example
    ```yaml
    image: acmeml.azurecr.io/llm-train:latest
    ```
    Use instead: push the image to the target's registry and reference it from a setting.

    ## Fix safety
    Unsafe: the registry on the target is the user's choice.
    """

    code, name = "CLD106", "azure-container-registry"
    severity = BLOCKER
    message = ("`{name}` is in Azure Container Registry, which needs Azure credentials to pull; "
               "push the image to the target's registry")
    strings = ACR_IMAGE
    text = ACR_IMAGE
    text_kinds = SETTINGS
    VALID = [Example("image = 'registry.example.eu/train:1'"), Example("FROM python:3.11\n", path="Dockerfile")]
    INVALID = [Example("image: acmeml.azurecr.io/llm-train:latest\n", path="job.yaml"),
               Example("docker login acmeml.azurecr.io\n", path="push.sh"),
               Example("IMAGE = f'{registry}.azurecr.io/train:{tag}'")]


class AzureMlEnvironmentVariable(CloudRule):
    """
    ## What it does
    Finds the environment of an Azure ML job: `AZUREML_*` variables (`AZUREML_MODEL_DIR`,
    `AZUREML_RUN_ID`, `AZUREML_DATAREFERENCE_*`), `AZ_*` variables (Azure Batch's `AZ_BATCH_*`/
    `AZ_BATCHAI_*` set on Azure ML compute, Azure Node Health Checks' `AZ_NHC_*`), the job's mount
    paths under `/mnt/azureml`, and Azure Node Health Checks' `/azure-nhc`.

    ## Why it blocks a migration
    Only Azure ML sets them; elsewhere the code crashes or writes to the wrong place.

    ## Example
    ```python
    model_dir = os.environ["AZUREML_MODEL_DIR"]
    ```
    Use instead: the job's own settings, passed by the launcher.

    ## Fix safety
    Unsafe: the replacement value depends on the target's storage layout.
    """

    code, name = "CLD107", "azureml-environment-variable"
    message = "`{name}` is set only inside Azure ML jobs; pass the value as a job setting instead"
    _names = r"AZUREML_[A-Z][A-Z0-9_]*|AZ_[A-Z][A-Z0-9_]*"
    strings = rf"^(?:{_names})$|(?<![\w.])/(?:mnt/azureml|azure-nhc)\b"
    text = rf"\b(?:{_names})\b|(?<![\w.])/(?:mnt/azureml|azure-nhc)\b[\w./${{}}-]*"
    text_kinds = SETTINGS
    VALID = [Example("import os\nd = os.environ.get('MODEL_DIR')"), Example("p = '/mnt/data/azureml_copy'")]
    INVALID = [Example("import os\nmodel_dir = os.environ['AZUREML_MODEL_DIR']"),
               Example("echo $AZ_BATCHAI_JOB_MASTER_NODE_IP\n", path="run.sh"),
               Example("out = '/mnt/azureml/cr/j/outputs'"),
               Example("environment_variables:\n  AZ_NHC_ROOT: /azure-nhc/\n", path="health_job.yaml"),
               Example("subprocess.run(['sudo', 'bash', '/azure-nhc/aznhc-entrypoint.sh'])")]


_AZURE_ENV = (r"AZURE_[A-Z][A-Z0-9_]*|ARM_(?:CLIENT_ID|CLIENT_SECRET|TENANT_ID|SUBSCRIPTION_ID|USE_MSI|USE_OIDC"
              r"|ACCESS_KEY|ENVIRONMENT|CLIENT_CERTIFICATE_PATH|OIDC_TOKEN|STORAGE_USE_AZUREAD)")


class AzureEnvironmentVariable(CloudRule):
    """
    ## What it does
    Finds Azure SDK and Terraform credentials and settings in the environment: `AZURE_*`
    (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_STORAGE_CONNECTION_STRING`,
    `AZURE_OPENAI_API_KEY`, ...) and the azurerm provider's `ARM_CLIENT_ID`, `ARM_SUBSCRIPTION_ID`, ...

    ## Why it blocks a migration
    They select Azure identities, subscriptions and storage accounts; none exists on the target.

    ## Example
    ```shell
    export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=acct;..."
    ```
    Use instead: the target's credentials from a secret.

    ## Fix safety
    Unsafe: credentials are a security decision.
    """

    code, name = "CLD108", "azure-environment-variable"
    message = "`{name}` configures Azure credentials or services; give the target's credentials instead"
    strings = whole(_AZURE_ENV)
    text = rf"\b(?:{_AZURE_ENV})\b"
    text_kinds = SETTINGS
    VALID = [Example("import os\nk = os.environ['WANDB_API_KEY']"), Example("ARM_NEON=1\n", path=".env"),
             Example('[[ -n "$subscription_id" ]] || fatal "AZURE_SUBSCRIPTION_ID required"\n', path="submit.sh"),
             Example('echo "Set AZURE_CLIENT_ID before running"\n', path="submit.sh")]
    INVALID = [Example("import os\nconn = os.environ['AZURE_STORAGE_CONNECTION_STRING']"),
               Example("env:\n  - name: AZURE_CLIENT_ID\n", path="job.yaml"),
               Example('SUB="${AZURE_SUBSCRIPTION_ID:?set it}"\n', path="submit.sh"),
               Example("export ARM_SUBSCRIPTION_ID=abc\n", path="tf.sh")]


_AZURE_REGIONS = spaced(r.region for r in regions_of("azure"))
# A place key or flag on the line (`location = ...`, `region: ...`, `default = ...`, `--location`, `-l`):
# without one a bare `eastus` is not reported, in prose or in a list of names (a known miss).
_AZURE_PLACE = r"(?:location|region|default|value)[\w-]*[\"']?\s*[:=]|(?:--location|--region|(?<![\w-])-l)[ =]"


class AzureRegion(CloudRule):
    """
    ## What it does
    Finds Azure region names from the catalog (catalog/data/regions.csv: `westeurope`,
    `germanywestcentral`, `eastus`, also written `West Europe`): string literals that are exactly a
    region, and in configuration, Terraform (also `location = var.x` resolved through defaults and
    .tfvars), scripts and manifests only where a key or flag says it is a place (`location`,
    `region`, `default`, `value`, `--location`, `-l`). A bare name in a list is not reported: in
    configuration it is too often a word (`east`, `central`), so such lists are a known miss.

    ## Why it blocks a migration
    The region decides where data lives; with Microsoft as operator the CLOUD Act applies wherever
    it is. The target's region is a residency decision.

    ## Example
    ```hcl
    location = "West Europe"
    ```
    Use instead: the target's region from settings, checked by `homeport fence` against the policy.

    ## Fix safety
    Unsafe: the target region is a residency decision.
    """

    code, name = "CLD109", "azure-region"
    destination = "region:azure"
    message = "`{name}` is an Azure region; take the region from settings and check it against the residency policy"
    strings = rf"(?i)^(?:{_AZURE_REGIONS})$"
    text = rf"(?i)(?<![\w-])(?:{_AZURE_REGIONS})(?![\w-])"
    text_unless = rf"(?i)^(?!.*(?:{_AZURE_PLACE}))"
    prefilter = ("location", "region", "default", "value", "-l")  # a line must name the place (_AZURE_PLACE)
    text_kinds = SETTINGS - {K.CONDA}
    VALID = [Example("region = 'eu-west-1'"), Example("s = 'westeurope is close'"),
             Example("description: runs in westeurope today\n", path="job.yaml"),
             Example("name: eastus-cluster\n", path="job.yaml")]
    INVALID = [Example("ws = Workspace.create(name='ws', location='westeurope')"),
               Example('resource "azurerm_resource_group" "rg" {\n  location = "West Europe"\n}\n', path="main.tf"),
               Example("az group create -n rg -l germanywestcentral\n", path="infra.sh"),
               Example("AZURE_REGION=swedencentral\n", path=".env"),
               Example('{"location": "eastus2"}\n', path="params.json")]


_AZURE_VM = (r"(?i)(?<![\w-])standard_(?:a|b|d|dc|ds|e|ec|f|fx|g|gs|h|hb|hc|hx|l|m|ms|nc|ncc|nd|ng|np|nv)\d+[a-z]*"
             r"(?:-\d+[a-z]*)?(?:_[a-z0-9]+)*(?![\w-])")


class AzureVmSize(CloudRule):
    """
    ## What it does
    Finds Azure VM sizes (`Standard_ND96asr_v4`, `Standard_NC24ads_A100_v4`, `Standard_ND96isr_H100_v5`,
    `STANDARD_NC6`, ...) as whole strings in code and as tokens in configuration. Storage SKUs
    (`Standard_LRS`) are not sizes and are not reported. The message names the accelerators when the
    catalog knows the size (catalog/data/instance_types.csv).

    ## Why it blocks a migration
    VM sizes are Azure's SKUs; the target has its own flavours, counts and interconnect.

    ## Example
    ```python
    AmlCompute.provisioning_configuration(vm_size="Standard_ND96asr_v4", max_nodes=2)
    ```
    Use instead: a target offer with the same accelerators (the catalog and `homeport cost` compare them).

    ## Fix safety
    Unsafe: the equivalent offer is a cost and capacity decision.
    """

    code, name = "CLD110", "azure-vm-size"
    message = "`{name}` is an Azure VM size{instead}; choose the target offer with matching accelerators"
    replacements = instance_notes("azure")
    strings = rf"(?i)^{_AZURE_VM[4:]}$"
    text = _AZURE_VM
    text_kinds = SETTINGS - {K.CONDA}
    VALID = [Example("sku = 'Standard_LRS'"), Example("tier = 'Standard_v2'"),
             Example('account_replication_type = "Standard_GRS"\n', path="main.tf")]
    INVALID = [Example("cfg = AmlCompute.provisioning_configuration(vm_size='Standard_ND96asr_v4')"),
               Example("compute:\n  size: Standard_NC24ads_A100_v4\n", path="job.yaml"),
               Example('size = "Standard_D4s_v3"\n', path="main.tf")]


_TF_AZ_MANAGED = (r"machine_learning|key_vault|container_registry|application_insights|log_analytics|monitor"
                  r"|cosmosdb|servicebus|eventhub|batch|cognitive|synapse|databricks|data_factory|search_service"
                  r"|ai_services|ai_foundry")


class TerraformAzurerm(CloudRule):
    """
    ## What it does
    Finds Azure infrastructure in Terraform: `provider "azurerm"` / `"azapi"` / `"azuread"`, their
    `hashicorp/azurerm` and `azure/azapi` sources and `required_providers` entries, `resource` and
    `data` blocks of those providers, references to them (`azurerm_storage_account.data.name`),
    Azure Verified Modules (`Azure/avm-*`) and the `azurerm` state backend. Managed-service
    resources have their own rule (CLD112).

    ## Why it blocks a migration
    The definition is written against Azure's API; the target needs its own provider and resources.

    ## Example
    ```hcl
    resource "azurerm_storage_account" "data" { name = "acmedata" }
    ```
    Use instead: the target's Terraform provider and resources.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD111", "terraform-azurerm"
    message = "`{name}` defines Azure infrastructure; rewrite it with the target's Terraform provider"
    text = (rf'^\s*(?:provider|resource|data|ephemeral)\s+"(?:azurerm|azapi|azuread)(?:_(?!(?:{_TF_AZ_MANAGED})_)'
            r'[a-z0-9_]+)?"'
            r'|\bsource\s*=\s*"(?:registry\.terraform\.io/)?(?:hashicorp/(?:azurerm|azuread)|[Aa]zure/azapi'
            r'|Azure/(?:avm|caf)-[^"]*)"'
            r'|^\s*(?:azurerm|azapi|azuread)\s*=\s*\{|^\s*backend\s+"azurerm"'
            r"|(?<![\w.])(?:data\.)?(?:azurerm|azapi|azuread)_[a-z0-9_]+\.[A-Za-z_][\w-]*(?![\w-]|\s*=)"
            r"|\bprovider\s*=\s*(?:azurerm|azapi)\b")
    text_kinds = TERRAFORM
    VALID = [Example('provider "openstack" {}\n', path="main.tf"), Example("x = var.azurerm_location\n", path="main.tf")]
    INVALID = [Example('provider "azurerm" {\n  features {}\n}\n', path="main.tf"),
               Example('resource "azurerm_storage_account" "d" {\n  name = "x"\n}\n', path="main.tf"),
               Example('resource "x" "y" {\n  account = azurerm_storage_account.d.name\n}\n', path="main.tf"),
               Example('terraform {\n  backend "azurerm" {}\n}\n', path="main.tf"),
               Example('resource "x" "y" {\n  depends_on = [\n    azurerm_role_assignment.aks_dns,\n  ]\n}\n',
                       path="aks.tf"),
               Example('required_providers {\n  azapi = {\n    source = "Azure/azapi"\n  }\n}\n', path="versions.tf")]


class TerraformAzurermManagedService(CloudRule):
    """
    ## What it does
    Finds Terraform resources of Azure managed services with no equivalent on a sovereign cloud:
    `azurerm_machine_learning_*`, `azurerm_key_vault*`, `azurerm_container_registry*`,
    `azurerm_application_insights*`, `azurerm_log_analytics_*`, `azurerm_monitor_*`,
    `azurerm_cosmosdb_*`, `azurerm_databricks_*`, `azurerm_cognitive_*`, ...

    ## Why it blocks a migration
    The pipeline depends on a service the target does not offer; its role has to be taken by
    something else before the move.

    ## Example
    ```hcl
    resource "azurerm_machine_learning_workspace" "ws" { name = "ml" }
    ```
    Use instead: the target's or an open equivalent (Kubernetes jobs, Vault, Prometheus, the
    target's registry).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD112", "terraform-azurerm-managed-service"
    severity = BLOCKER
    message = "`{name}` defines an Azure managed service with no equivalent on the target; replace it first"
    text = rf'^\s*(?:resource|data|ephemeral)\s+"azurerm_(?:{_TF_AZ_MANAGED})(?:_[a-z0-9_]*)?"'
    text_kinds = TERRAFORM
    VALID = [Example('resource "azurerm_storage_account" "d" {\n  name = "x"\n}\n', path="main.tf")]
    INVALID = [Example('resource "azurerm_machine_learning_workspace" "ws" {\n  name = "x"\n}\n', path="main.tf"),
               Example('resource "azurerm_key_vault" "kv" {\n  name = "x"\n}\n', path="main.tf")]


class AzureMlJobSpec(CloudRule):
    """
    ## What it does
    Finds Azure ML job and asset specifications: the `$schema: https://azuremlschemas.azureedge.net/...`
    line, `azureml:` references (`compute: azureml:gpu-cluster`,
    `environment: azureml:AzureML-ACPT-pytorch:1`) and `azureml://` datastore URIs, in YAML and JSON
    (also written from a shell heredoc or passed as `az ml --set`) and in Python strings.

    ## Why it blocks a migration
    The file is read only by Azure ML (`az ml job create -f job.yml`); the compute, environment and
    datastores it names exist only in one Azure ML workspace.

    ## Example
    ```yaml
    $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
    compute: azureml:gpu-cluster
    ```
    Use instead: the target's job definition (Kubernetes PyTorchJob, Slurm script) with an image
    from its registry.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD113", "azureml-job-spec"
    severity = BLOCKER
    message = "`{name}` belongs to an Azure ML job definition; define the job for the target's scheduler"
    strings = r"^azureml:|(?<![\w-])azureml://|azuremlschemas\.azureedge\.net"
    text = r"\bazuremlschemas\.azureedge\.net/[\w./-]*|(?<![\w-])azureml:(?://)?[\w./@:${}-]+"
    text_kinds = frozenset({K.YAML, K.JSON, K.SHELL})
    VALID = [Example("azureml: true\ncompute: local\n", path="job.yaml"), Example("name = 'azureml-examples'")]
    INVALID = [Example("$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\n", path="job.yml"),
               Example("compute: azureml:gpu-cluster\nenvironment: azureml:AzureML-ACPT-pytorch:1\n", path="job.yml"),
               Example("job = command(compute='gpu', environment='azureml:AzureML-ACPT-pytorch-2.2-cuda12.1@latest')"),
               Example("path = 'azureml://datastores/workspaceblobstore/paths/data/'"),
               Example('az ml job create -f job.yml --set "environment=azureml:${env_name}:${env_version}"\n',
                       path="submit.sh")]


class AzureMlCli(CloudRule):
    """
    ## What it does
    Finds Azure ML CLI calls (`az ml job create`, `az ml compute ...`, `az ml model ...`) in scripts,
    images and manifests.

    ## Why it blocks a migration
    They submit to or manage an Azure ML workspace, which the target does not have.

    ## Example
    ```shell
    az ml job create -f job.yml --web
    ```
    Use instead: the target's job submission (`kubectl apply`, `sbatch`, torchrun).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD114", "azure-ml-cli"
    severity = BLOCKER
    message = "`{name}` calls Azure Machine Learning; submit the job to the target's scheduler instead"
    text = r"(?<![\w/.$-])az\s+ml\s+[a-z][\w-]*"
    text_kinds = COMMANDS
    VALID = [Example("kubectl apply -f job.yaml\n", path="submit.sh"), Example("echo baz ml job\n", path="x.sh")]
    INVALID = [Example("az ml job create -f job.yml --web\n", path="submit.sh"),
               Example("run: az ml compute create -n gpu --size Standard_NC24ads_A100_v4\n", path="ci.yml")]


_AZ_GROUPS = (r"login|logout|account|storage|acr|aks|group|vm|vmss|keyvault|identity|role|ad|network|deployment"
              r"|batch|monitor|cosmosdb|functionapp|webapp|extension|cognitiveservices|containerapp|sql|resource"
              r"|provider|configure|config|bicep|container|disk|snapshot|image|sig|eventhubs|servicebus|appconfig")


class AzureCli(CloudRule):
    """
    ## What it does
    Finds Azure CLI calls other than Azure ML (`az login`, `az storage blob upload`,
    `az acr login`, `az aks get-credentials`, `az keyvault secret show`, ...) and `azcopy` in
    scripts, images and manifests.

    ## Why it blocks a migration
    They log in to Azure and move data or images through Azure services; on the target they need
    its own CLI or an S3 tool.

    ## Example
    ```shell
    azcopy copy "https://acct.blob.core.windows.net/data/*" /data --recursive
    ```
    Use instead: `rclone` or `homeport data copy` with a remote for the target; its own CLI for the rest.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD115", "azure-cli"
    message = "`{name}` uses the Azure CLI; use the target's tools (rclone, its CLI) instead"
    text = rf"(?<![\w/.$-])az\s+(?:{_AZ_GROUPS})\b|(?<![\w/.$-])azcopy(?:\s+[a-z]+\b|\s*$)"
    text_kinds = COMMANDS
    VALID = [Example("for az in a b c; do echo $az; done\n", path="loop.sh"),
             Example("rclone copy remote:data /data\n", path="stage.sh")]
    INVALID = [Example("az login --identity\n", path="setup.sh"),
               Example('azcopy copy "https://acct.blob.core.windows.net/data/*" /data --recursive\n', path="stage.sh"),
               Example("RUN az acr login --name acmeml\n", path="Dockerfile")]


class AksWorkloadIdentity(CloudRule):
    """
    ## What it does
    Finds Azure workload identity and AAD pod identity on AKS: `azure.workload.identity/*` labels and
    annotations (`client-id`, `use`) and `aadpodidbinding` labels.

    ## Why it blocks a migration
    The pod gets Azure credentials through AKS's OIDC federation; the target has no such issuer, so
    every Azure call in the pod fails with an auth error.

    ## Example
    ```yaml
    metadata:
      annotations:
        azure.workload.identity/client-id: 00000000-0000-0000-0000-000000000000
    ```
    Use instead: a Kubernetes secret with the target's credentials, or its own workload identity.

    ## Fix safety
    Unsafe: credentials and their scope are a security decision.
    """

    code, name = "CLD116", "aks-workload-identity"
    severity = BLOCKER
    message = "`{name}` gives the pod Azure credentials through AKS; mount the target's credentials instead"
    text = r"\bazure\.workload\.identity/[\w.-]+|\baadpodidbinding\b"
    text_kinds = MANIFESTS
    VALID = [Example("metadata:\n  labels:\n    app: train\n", path="sa.yaml")]
    INVALID = [Example("metadata:\n  annotations:\n    azure.workload.identity/client-id: abc\n", path="sa.yaml"),
               Example("labels:\n  aadpodidbinding: train-identity\n", path="pod.yaml")]


class AksKubernetesLabel(CloudRule):
    """
    ## What it does
    Finds Kubernetes labels, annotations and drivers that exist only on AKS: `kubernetes.azure.com/*`
    (agent pools, spot priority, accelerator), `service.beta.kubernetes.io/azure-*`, and the Azure
    Disk, Azure File and Blob CSI drivers (`disk.csi.azure.com`, `file.csi.azure.com`,
    `blob.csi.azure.com`), and custom resources of Azure's cluster extensions
    (`apiVersion: amlarc.azureml.com/v1alpha1`, the Azure ML extension's instance types).

    ## Why it blocks a migration
    On another cluster no node carries these labels and no driver serves these volumes: pods stay
    pending.

    ## Example
    ```yaml
    nodeSelector:
      kubernetes.azure.com/agentpool: gpupool
    ```
    Use instead: the target cluster's labels and storage classes, from the target profile.

    ## Fix safety
    Unsafe: the labels depend on the target cluster.
    """

    code, name = "CLD117", "aks-kubernetes-label"
    message = "`{name}` exists only on AKS; use the target cluster's labels and storage classes"
    text = (r"\bkubernetes\.azure\.com/[\w.-]+|\bservice\.beta\.kubernetes\.io/azure-[\w.-]+"
            r"|\b(?:disk|file|blob)\.csi\.azure\.com\b"
            r"|\bapiVersion:\s*[\"']?(?:[\w-]+\.)*(?:azureml\.com|azure\.com)/[\w.-]+")
    text_kinds = MANIFESTS
    VALID = [Example("nodeSelector:\n  kubernetes.io/os: linux\n", path="job.yaml")]
    INVALID = [Example("nodeSelector:\n  kubernetes.azure.com/agentpool: gpupool\n", path="job.yaml"),
               Example("provisioner: disk.csi.azure.com\n", path="sc.yaml"),
               Example("apiVersion: amlarc.azureml.com/v1alpha1\nkind: InstanceType\n", path="types.yaml")]


class AzureCiAction(CloudRule):
    """
    ## What it does
    Finds GitHub Actions from the `azure/` organisation in workflows (`azure/login`,
    `azure/docker-login`, `azure/aks-set-context`, `azure/cli`, ...).

    ## Why it blocks a migration
    The build and deploy steps log in to Azure and push to Azure services.

    ## Example
    ```yaml
    - uses: azure/login@v2
    ```
    Use instead: the target's login step with a CI secret.

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD118", "azure-ci-action"
    message = "`{name}` is an Azure GitHub Action; log in to the target and push to its registry instead"
    text = r"(?i)\buses:\s*[\"']?azure/[\w.@-]+"
    text_kinds = frozenset({K.YAML})
    VALID = [Example("steps:\n  - uses: actions/setup-python@v5\n", path="ci.yml")]
    INVALID = [Example("steps:\n  - uses: azure/login@v2\n", path="ci.yml"),
               Example("steps:\n  - uses: Azure/docker-login@v1\n", path="ci.yml")]



ARM_TEMPLATE = (r"\bMicrosoft\.[A-Z][A-Za-z]+/[A-Za-z]+(?:/[A-Za-z]+)*"
                r"|\[(?:resourceGroup|subscription|resourceId|subscriptionResourceId|reference|listKeys"
                r"|uniqueString)\(")


class AzureArmTemplate(CloudRule):
    """
    ## What it does
    Finds Azure Resource Manager templates and API paths: resource types
    (`"type": "Microsoft.MachineLearningServices/workspaces"`, `providers/Microsoft.Storage/...` in
    REST calls) and ARM template functions (`[resourceGroup().location]`, `[resourceId(...)]`,
    `[listKeys(...)]`), in JSON, YAML, scripts and Terraform (`azapi_resource` types), and in Python
    strings.

    ## Why it blocks a migration
    Only Azure Resource Manager deploys them; the target needs its own infrastructure definition.

    ## Example
    ```json
    {"type": "Microsoft.Storage/storageAccounts", "location": "[resourceGroup().location]"}
    ```
    Use instead: the target's infrastructure definition (Terraform with its provider, its API).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD119", "azure-arm-template"
    message = "`{name}` belongs to Azure Resource Manager; define the infrastructure for the target"
    strings = ARM_TEMPLATE
    text = ARM_TEMPLATE
    text_kinds = frozenset({K.JSON, K.YAML, K.SHELL, K.TERRAFORM})
    VALID = [Example('{"name": "Microsoft Teams notes", "path": "docs/x"}\n', path="meta.json"),
             Example("x = '[resources(1)]'")]
    INVALID = [Example('{"type": "Microsoft.Storage/storageAccounts"}\n', path="azuredeploy.json"),
               Example('{"location": "[resourceGroup().location]"}\n', path="azuredeploy.json"),
               Example('curl -X PUT "$BASE/providers/Microsoft.MachineLearningServices/workspaces/$WS"\n',
                       path="deploy.sh"),
               Example('resource "azapi_resource" "ws" {\n'
                       '  type = "Microsoft.MachineLearningServices/workspaces@2024-04-01"\n}\n', path="azureml.tf")]


_BLOB_METHODS = frozenset({"get_blob_client", "get_container_client", "upload_blob", "download_blob", "delete_blob",
                           "list_blob_names", "get_blob_properties", "generate_blob_sas", "generate_container_sas",
                           "start_copy_from_url", "get_file_system_client", "get_file_client",
                           "get_directory_client", "upload_data"})


class AzureStorageApiCall(CloudRule):
    """
    ## What it does
    Finds Azure Storage calls on the clients the SDK returns: `.get_blob_client()`,
    `.get_container_client()`, `.upload_blob()`, `.download_blob()`, `.list_blob_names()`,
    `.generate_blob_sas()`, Data Lake's `.get_file_system_client()`, ..., and `.create_container()` /
    `.list_blobs()` on objects named like a container or blob client.

    ## Why it blocks a migration
    These are the lines that move data to and from Azure; they change when the storage client
    becomes an S3 client.

    ## Example
    ```python
    container.get_blob_client(name).upload_blob(data, overwrite=True)
    ```
    Use instead: an S3 client with the target's endpoint (`s3.put_object(Bucket=..., Key=..., Body=data)`).

    ## Fix safety
    No automatic fix.
    """

    code, name = "CLD120", "azure-storage-api-call"
    message = "`{name}` is an Azure Storage call; rewrite it for an S3 client with the target's endpoint"
    methods = (*sorted(_BLOB_METHODS - {"upload_data"}), "create_container", "list_blobs")

    @classmethod
    def refine_call(cls, qualname, call):
        if qualname in _BLOB_METHODS:
            return cls.message
        # docker-py and Cloud Storage use the same names: only on a container or blob client.
        receiver = call.func.value if call is not None else None
        text = (receiver.id if type(receiver) is ast.Name else
                receiver.attr if type(receiver) is ast.Attribute else "").lower()
        return cls.message if "container_client" in text or "blob" in text else None

    VALID = [Example("c = docker_client.create_container(image='python:3.11')"),
             Example("blobs = gcs_client.list_blobs(bucket_name)")]
    INVALID = [Example("blob = self.blob_client.get_blob_client(container=c, blob=name)"),
               Example("blob.upload_blob(data_stream, overwrite=True)"),
               Example("container_client.create_container()"),
               Example("f.write(client.download_blob(blob.name).readall())")]
