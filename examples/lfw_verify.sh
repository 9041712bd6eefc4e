#!/usr/bin/env bash
# LFW verification with grid-attn: normal maps from the photos (the CAP network), DGPA-Net
# embeddings (with the mirrored face), cosine scores on LFW's pairs, and the 10-fold
# accuracy, EER and TAR@FAR with the ROC curve.
#
# Usage: examples/lfw_verify.sh [--dry-run] [--help]
#
# Paths and settings (environment variables):
#   LFW        the LFW image root: <Name>/<Name>_0001.jpg (default /data/lfw)
#   PAIRS      LFW's pairs.txt (10 folds of 300 + 300 pairs) (default $LFW/pairs.txt)
#   OUT        where results go (default runs/lfw)
#   MODEL      a 'grid-attn train' model (default: the shipped one, trained on synthetic faces)
#   WORKERS    local processes for the normal maps (default 2)
#
# The shipped models were trained on synthetic data only: train on your own normal maps
# ('facecli grid-attn train normals.h5 -o dgpa.pt') before trusting the numbers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
example_args "$@"

LFW=${LFW:-/data/lfw}
PAIRS=${PAIRS:-$LFW/pairs.txt}
OUT=${OUT:-runs/lfw}
MODEL=${MODEL:-}
WORKERS=${WORKERS:-2}
need LFW; need PAIRS

run mkdir -p "$OUT"
run "$FACECLI" --seed 0 normals "$LFW" --pattern '*.jpg' --scales 96 -o "$OUT/lfw_normals.h5" \
  --workers "$WORKERS" --resume --on-error skip
run "$FACECLI" grid-attn embed "$OUT/lfw_normals.h5" -o "$OUT/embeddings.h5" --flip ${MODEL:+--model "$MODEL"}
run "$FACECLI" grid-attn verify "$OUT/embeddings.h5" --pairs "$PAIRS" -o "$OUT/scores.h5"
run_to "$OUT/metrics.json" "$FACECLI" evaluate verify "$OUT/scores.h5" --roc "$OUT/roc.png" --json
