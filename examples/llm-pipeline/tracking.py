"""Experiment tracking: Weights & Biases first, CloudWatch custom metrics as a second sink.

Only rank 0 reports. W&B is skipped when no API key is configured (e.g. in a VPC without
egress); CloudWatch is always on inside AWS so the on-call dashboard keeps working.
"""
from __future__ import annotations

import logging
import os
from typing import Any

import boto3

log = logging.getLogger(__name__)

try:
    import wandb
except ImportError:  # tracking must never stop a training run
    wandb = None

# CloudWatch accepts at most 1000 metrics per PutMetricData call
_CW_BATCH = 1000


class Tracker:
    def __init__(self, cfg: dict[str, Any], run_name: str, enabled: bool = True):
        tcfg = cfg.get("tracking", {})
        self.enabled = enabled
        self.run_name = os.environ.get("TRAINING_JOB_NAME", run_name)  # set by SageMaker
        self.namespace = tcfg.get("cloudwatch_namespace", "LLMTraining")
        self.wandb_run = None
        self.cloudwatch = None
        if not enabled:
            return

        if wandb is not None and os.environ.get("WANDB_API_KEY"):
            try:
                self.wandb_run = wandb.init(
                    project=tcfg.get("wandb_project", "llm-pretrain"),
                    entity=tcfg.get("wandb_entity"),
                    name=self.run_name,
                    id=self.run_name,
                    resume="allow",
                    config=cfg,
                    dir=os.environ.get("SM_OUTPUT_DATA_DIR", "outputs"),
                    tags=["sagemaker" if "SM_TRAINING_ENV" in os.environ else "eks"],
                )
            except Exception as exc:  # network, auth, quota
                log.warning("wandb disabled: %s", exc)

        if tcfg.get("cloudwatch", True):
            self.cloudwatch = boto3.client(
                "cloudwatch", region_name=tcfg.get("region", os.environ.get("AWS_REGION", "eu-west-1"))
            )

    def log(self, metrics: dict[str, float], step: int) -> None:
        if not self.enabled:
            return
        if self.wandb_run is not None:
            self.wandb_run.log(metrics, step=step)
        if self.cloudwatch is not None:
            self._put_cloudwatch(metrics, step)

    def _put_cloudwatch(self, metrics: dict[str, float], step: int) -> None:
        data = [
            {
                "MetricName": name.replace("/", "."),
                "Dimensions": [{"Name": "RunName", "Value": self.run_name}],
                "Value": float(value),
                "Unit": "Milliseconds" if name.endswith("_ms") else "None",
            }
            for name, value in metrics.items()
        ]
        try:
            for i in range(0, len(data), _CW_BATCH):
                self.cloudwatch.put_metric_data(Namespace=self.namespace, MetricData=data[i : i + _CW_BATCH])
        except Exception as exc:
            log.warning("cloudwatch put_metric_data failed at step %d: %s", step, exc)

    def summary(self, **values: Any) -> None:
        if self.wandb_run is not None:
            self.wandb_run.summary.update(values)

    def finish(self) -> None:
        if self.wandb_run is not None:
            self.wandb_run.finish()

