#!/usr/bin/env bash
# WFLW: train the MuSiCa aligner on WFLW's training list, predict the test list with early
# exit, and report NME / FR@0.1 / AUC@0.1 per WFLW subset (pose, expression, illumination,
# make-up, occlusion, blur) with the CED plot.
#
# Usage: examples/wflw_align.sh [--dry-run] [--help]
#
# Paths and settings (environment variables):
#   WFLW       the WFLW root: WFLW_images/ and WFLW_annotations/list_98pt_rect_attr_train_test/ (default /data/WFLW)
#   OUT        where results go (default runs/wflw)
#   EPOCHS     training budget; the last epoch's model is kept (default 60)
#   NPROC      training processes; more than 1 runs under torchrun (DDP) (default 1)
#   EXTRA_FINE iterations at full resolution after the 3-level sweep, as in the shipped model (default 3)
#   EXIT       early-exit threshold on the predicted NME; 0 runs the full cascade (default 0.018, the
#              shipped model's on synthetic faces: tune it on held-out faces of your own data)
#
# Training checkpoints every epoch: run the script again after an interruption and it resumes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
example_args "$@"

WFLW=${WFLW:-/data/WFLW}
OUT=${OUT:-runs/wflw}
EPOCHS=${EPOCHS:-60}
NPROC=${NPROC:-1}
EXTRA_FINE=${EXTRA_FINE:-3}
EXIT=${EXIT:-0.018}
need WFLW

MODEL="$OUT/musica_wflw.pt"
launch=()
[ "$NPROC" -gt 1 ] && launch=(torchrun --nproc_per_node "$NPROC" --no-python)
run mkdir -p "$OUT"
run "${launch[@]}" "$FACECLI" --seed 0 align train "$WFLW" --format wflw --split train -o "$MODEL" \
  --epochs "$EPOCHS" --extra-fine "$EXTRA_FINE" --half --resume
run "$FACECLI" align predict "$WFLW" --dataset --format wflw --split test --model "$MODEL" -o "$OUT/test.h5" \
  --exit-threshold "$EXIT" --pts-dir "$OUT/pts"
run_to "$OUT/metrics.json" "$FACECLI" evaluate align "$OUT/test.h5" --gt "$WFLW" --plot "$OUT/ced.png" --json
