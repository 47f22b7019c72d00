#!/bin/bash
# homeport bench on N nodes of G accelerators: one torchrun per node (srun), rendezvous on the first node.
# Measures the all-reduce bus bandwidth across every device and the reference workload data-parallel.
#   sbatch --nodes=2 deploy/bench/slurm-bench.sh            # then: homeport bench compare source.json bench-2n.json
#SBATCH --job-name=homeport-bench
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=8
#SBATCH --exclusive
#SBATCH --output=homeport-bench-%j.log
set -euo pipefail

HEAD=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
GPUS=${GPUS:-8}
OUT=${OUT:-bench-${SLURM_NNODES}n.json}

srun torchrun --nnodes "$SLURM_NNODES" --nproc-per-node "$GPUS" \
  --rdzv-backend c10d --rdzv-endpoint "$HEAD:29500" --rdzv-id "$SLURM_JOB_ID" \
  -m homeport bench --probes matmul,memory,host,allreduce \
  --size 1.3b --seq-len 2048 --batch 8 --compile model --steps 30 --warmup 10 --out "$OUT"
