#!/usr/bin/env bash
# Scale a batch out with --shard K/N: N independent jobs each take a deterministic 1/N of the
# inputs (together exactly all of them), write their own part file, and the parts are joined
# with 'facecli info --merge'. Shown for registering FaceScape scans to a template; any batch
# command (normals, landmarks3d predict, align predict, apex-detect, mer-train prepare) shards
# the same way.
#
# Usage: examples/scale_out.sh [--dry-run] [--help]
#
# Settings (environment variables):
#   MODE       parallel: GNU parallel on this machine; slurm: a Slurm job array + a merge job (default parallel)
#   SHARDS     number of parts N (default 8)
#   JOBS       parts run at once with GNU parallel (default 2)
#   SCANS      the scans to process (default /data/facescape/facescape_trainset)
#   TEMPLATE   the mesh they are registered to (default $SCANS/1/models_reg/1_neutral.obj)
#   OUT        where the parts and the merged file go (default runs/scale_out)
#
# A part that is interrupted continues where it stopped when run again (--resume); a bad scan
# is listed in the part's failures instead of stopping it (--on-error skip).
# Slurm: the array job runs 'facecli' from PATH on the compute nodes (activate the .venv in
# OUT/register_array.sbatch's environment, or set FACECLI to its full path).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
MODE=${MODE:-parallel}
example_args "$@"

SHARDS=${SHARDS:-8}
JOBS=${JOBS:-2}
SCANS=${SCANS:-/data/facescape/facescape_trainset}
TEMPLATE=${TEMPLATE:-$SCANS/1/models_reg/1_neutral.obj}
OUT=${OUT:-runs/scale_out}
need SCANS; need TEMPLATE
[ "$MODE" = slurm ] && [ "$DRY_RUN" = 0 ] && ! command -v sbatch >/dev/null \
  && { echo "scale_out.sh: sbatch not found (MODE=slurm runs on a Slurm login node)" >&2; exit 1; }
one_part=("$FACECLI" --seed 0 register --template "$TEMPLATE" "$SCANS" --pattern '*.obj' --resume --on-error skip)

run mkdir -p "$OUT"
case $MODE in
  parallel)
    [ "$DRY_RUN" = 1 ] || command -v parallel >/dev/null \
      || { echo "scale_out.sh: GNU parallel not found (Debian: apt install parallel), or use MODE=slurm" >&2; exit 1; }
    run parallel --quote --jobs "$JOBS" --halt now,fail=1 "${one_part[@]}" -o "$OUT/part_{}.h5" --shard "{}/$SHARDS" \
      ::: $(seq 1 "$SHARDS")
    parts=()
    for k in $(seq 1 "$SHARDS"); do parts+=("$OUT/part_$k.h5"); done
    run "$FACECLI" info --merge "$OUT/register.h5" "${parts[@]}"
    ;;
  slurm)
    script="$OUT/register_array.sbatch"
    body=$(cat <<SBATCH
#!/usr/bin/env bash
#SBATCH --job-name=facecli-register
#SBATCH --array=1-$SHARDS
#SBATCH --cpus-per-task=2
#SBATCH --output=$OUT/part_%a.log
$(printf '%q ' "${one_part[@]}") -o "$OUT/part_\${SLURM_ARRAY_TASK_ID}.h5" --shard "\${SLURM_ARRAY_TASK_ID}/$SHARDS"
SBATCH
)
    if [ "$DRY_RUN" = 1 ]; then
      echo "# $script would hold:"; echo "$body" | sed -n '/^[^#]/p'
      echo "sbatch --parsable $script"
      echo "sbatch --dependency=afterok:JOB --wrap 'facecli info --merge $OUT/register.h5 $OUT/part_*.h5'"
    else
      printf '%s\n' "$body" > "$script"
      job=$(sbatch --parsable "$script")
      merge=$(sbatch --parsable --dependency="afterok:$job" --output="$OUT/merge.log" \
        --wrap "$(printf '%q ' "$FACECLI" info --merge "$OUT/register.h5") $OUT/part_*.h5")
      echo "submitted array job $job ($SHARDS parts) and merge job $merge; the result will be $OUT/register.h5" >&2
    fi
    ;;
  *) echo "scale_out.sh: MODE must be parallel or slurm, got $MODE" >&2; exit 2 ;;
esac
