#!/bin/bash
# A grid search split over four Slurm array tasks, one shard per task
# (`zombiesim search --shard I/N` takes I from 0 to N-1: hence --array=0-3).
#
# Before, once, from this repository's root on the shared filesystem:
#   dotnet publish Simulator.Cli -c Release -o publish
# Run from the repository's root (tasks start in the submission directory):
#   jobid=$(sbatch --parsable docs/examples/search-slurm-array.sh)
#   sbatch --dependency=afterok:$jobid --wrap "dotnet publish/zombiesim.dll merge results/shard-{0,1,2,3} --out results/merged"
# Each task writes results/shard-I; the merge writes results/merged, byte for byte what the search
# unsharded writes. A task run again (requeued) resumes its shard.
#SBATCH --job-name=zombiesim-search
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
mkdir -p results
out=results/shard-$SLURM_ARRAY_TASK_ID
resume=()
[[ -f $out/points.jsonl ]] && resume=(--resume)
dotnet publish/zombiesim.dll search scenarios/search-client-max-idle.yaml \
  --shard "$SLURM_ARRAY_TASK_ID/4" --out "$out" --workers "${SLURM_CPUS_PER_TASK:-2}" "${resume[@]}"
