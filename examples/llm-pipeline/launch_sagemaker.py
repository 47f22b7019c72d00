"""Submit the pre-training run as a SageMaker training job (2x ml.p4d.24xlarge, torchrun).

    python launch_sagemaker.py --config configs/train.yaml --wait
"""
from __future__ import annotations

import argparse
import json
import time

import boto3
import yaml
from sagemaker import Session
from sagemaker.inputs import TrainingInput
from sagemaker.pytorch import PyTorch

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/llm-train-sagemaker"
IMAGE_URI = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/llm-train:latest"
WANDB_SECRET_ID = "llm-train/wandb-api-key"


def wandb_api_key(session: boto3.Session) -> str:
    """The W&B key lives in Secrets Manager as {"WANDB_API_KEY": "..."} or as a plain string."""
    secret = session.client("secretsmanager").get_secret_value(SecretId=WANDB_SECRET_ID)["SecretString"]
    try:
        return json.loads(secret)["WANDB_API_KEY"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return secret


def hyperparameters(cfg: dict, config_path: str) -> dict:
    # train.py re-reads the full YAML from source_dir; these are the knobs we sweep
    return {
        "config": config_path,
        "run-name": cfg["run_name"],
        "max-steps": cfg["train"]["max_steps"],
        "micro-batch-size": cfg["train"]["micro_batch_size"],
        "learning-rate": cfg["optim"]["lr"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", default="configs/train.yaml")
    p.add_argument("--spot", action="store_true", help="use managed spot training")
    p.add_argument("--wait", action="store_true")
    args = p.parse_args()

    with open(args.config) as f:
        cfg = yaml.safe_load(f)

    boto_session = boto3.Session(region_name=REGION)
    sm_session = Session(boto_session=boto_session, default_bucket="acme-llm-euw1")
    job_name = f"{cfg['run_name']}-{time.strftime('%Y%m%d-%H%M%S')}"

    estimator = PyTorch(
        entry_point="train.py",
        source_dir=".",
        image_uri=IMAGE_URI,
        role=ROLE_ARN,
        instance_type="ml.p4d.24xlarge",
        instance_count=2,
        distribution={"torch_distributed": {"enabled": True}},
        hyperparameters=hyperparameters(cfg, args.config),
        checkpoint_s3_uri=cfg["checkpoint"]["s3_uri"],
        checkpoint_local_path="/opt/ml/checkpoints",
        output_path="s3://acme-llm-euw1/sagemaker-output/",
        volume_size=500,
        max_run=5 * 24 * 3600,
        use_spot_instances=args.spot,
        max_wait=7 * 24 * 3600 if args.spot else None,
        environment={
            "WANDB_API_KEY": wandb_api_key(boto_session),
            "NCCL_DEBUG": "INFO",
            "NCCL_SOCKET_IFNAME": "eth0",
            "FI_PROVIDER": "efa",
            "FI_EFA_USE_DEVICE_RDMA": "1",
        },
        subnets=["subnet-0a1b2c3d4e5f60718"],
        security_group_ids=["sg-0123456789abcdef0"],
        disable_profiler=True,
        tags=[{"Key": "team", "Value": "ml-platform"}, {"Key": "project", "Value": "llm-pretrain"}],
        sagemaker_session=sm_session,
    )

    inputs = {
        "train": TrainingInput(cfg["data"]["train_uri"], input_mode="FastFile"),
        "validation": TrainingInput(cfg["data"]["val_uri"], input_mode="FastFile"),
    }
    estimator.fit(inputs=inputs, job_name=job_name, wait=args.wait)
    print(f"submitted {job_name}: https://{REGION}.console.aws.amazon.com/sagemaker/home"
          f"?region={REGION}#/jobs/{job_name}")


if __name__ == "__main__":
    main()
