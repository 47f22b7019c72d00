#!/usr/bin/env bash
# Multi-node pre-training on p4d.24xlarge (8x A100, 4x EFA). Run on every node:
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.12.34 scripts/launch.sh [extra train.py args]
set -euo pipefail

# SageMaker runs the image as `docker run <image> train`: hand over to the SageMaker training toolkit
if [[ "${1:-}" == "train" ]]; then
  exec train
fi

cd "$(dirname "$0")/.."

export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"
export CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-0,1,2,3,4,5,6,7}"
export NCCL_DEBUG="${NCCL_DEBUG:-INFO}"
export NCCL_DEBUG_SUBSYS="${NCCL_DEBUG_SUBSYS:-INIT,NET}"
export NCCL_SOCKET_IFNAME="${NCCL_SOCKET_IFNAME:-eth0}"
export NCCL_BUFFSIZE=8388608
export NCCL_P2P_NET_CHUNKSIZE=524288
export TORCH_NCCL_ASYNC_ERROR_HANDLING=1
export FI_PROVIDER=efa
export FI_EFA_USE_DEVICE_RDMA=1
export FI_EFA_FORK_SAFE=1
export OMP_NUM_THREADS=8

NNODES="${NNODES:-2}"
NODE_RANK="${NODE_RANK:-0}"
MASTER_ADDR="${MASTER_ADDR:?set MASTER_ADDR to the private IP of node 0}"
MASTER_PORT="${MASTER_PORT:-29500}"
CONFIG="${CONFIG:-configs/train.yaml}"
S3_DATA="${S3_DATA:-s3://acme-llm-euw1/datasets/fineweb-edu-gpt2}"
DATA_ROOT="${DATA_ROOT:-/opt/dlami/nvme/fineweb-edu-gpt2}"

# Stage the shards on the local NVMe instance store (8x 1 TB on p4d); much faster than streaming
mkdir -p "$DATA_ROOT"
aws s3 sync --only-show-errors --exclude "*" --include "*.bin" "$S3_DATA/train/" "$DATA_ROOT/train/"
aws s3 sync --only-show-errors --exclude "*" --include "*.bin" "$S3_DATA/val/" "$DATA_ROOT/val/"

nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader
fi_info -p efa -t FI_EP_RDM > /dev/null || echo "warning: no EFA device found, NCCL falls back to TCP" >&2

exec torchrun \
  --nnodes="$NNODES" \
  --nproc_per_node=8 \
  --node_rank="$NODE_RANK" \
  --master_addr="$MASTER_ADDR" \
  --master_port="$MASTER_PORT" \
  train.py --config "$CONFIG" --train-uri "$DATA_ROOT/train" --val-uri "$DATA_ROOT/val" "$@"
