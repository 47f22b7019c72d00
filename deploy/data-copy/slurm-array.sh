#!/bin/bash
# homeport data copy, scaled out: a Slurm job array whose N tasks each copy the keys of one shard
# (a stable hash of the key picks it), so together they copy every key exactly once.
# Change N in both places together: --array=0-(N-1) and the "/8" of --shard (the test
# tests/data/test_copy.py checks that they agree). Task ids start at 0, as --shard K/N counts.
# Each task keeps its own journal on shared storage: resubmitting the array resumes every shard.
#   sbatch deploy/data-copy/slurm-array.sh
#SBATCH --job-name=homeport-data-copy
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --output=homeport-data-copy-%a.log
set -euo pipefail

SRC=${SRC:-s3://source-bucket/datasets/}  # credentials: the AWS_* variables
DST=${DST:-sov:target-bucket/datasets/}  # HOMEPORT_REMOTE_SOV_ENDPOINT, _ACCESS_KEY_ID, ... or homeport.toml
JOURNALS=${JOURNALS:-$PWD/.homeport/data}
mkdir -p "$JOURNALS"

exec homeport data copy "$SRC" "$DST" \
  --shard "$SLURM_ARRAY_TASK_ID/8" \
  --workers 16 \
  --journal "$JOURNALS/shard-$SLURM_ARRAY_TASK_ID.sqlite" \
  --manifest "$JOURNALS/shard-$SLURM_ARRAY_TASK_ID.manifest.jsonl"
