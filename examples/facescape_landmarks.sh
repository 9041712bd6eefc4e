#!/usr/bin/env bash
# FaceScape preprocessing: rigidly register every scan to a template, then find the 68
# landmarks on the registered meshes and score them against FaceScape's own landmark vertices.
#
# Usage: examples/facescape_landmarks.sh [--dry-run] [--help]
#
# Paths (environment variables):
#   FACESCAPE  the TU-model root: <id>/models_reg/<k>_<expr>.obj (default /data/facescape/facescape_trainset)
#   LANDMARKS  FaceScape's landmark_indices.npz (in its toolkit: toolkit/predef/; default $FACESCAPE/landmark_indices.npz)
#   TEMPLATE   the mesh every scan is registered to (default: subject 1's neutral model)
#   OUT        where results go (default runs/facescape)
#   WORKERS    local processes per step (default 2); MODEL: a 'landmarks3d train' model (default: the shipped one)
#
# Writes OUT/register.h5 (a 4x4 transform per scan), OUT/aligned/ (the moved meshes, still a
# FaceScape root), OUT/landmarks3d.h5 (+ .pts files), OUT/errors.png, OUT/per_mesh.csv and
# OUT/landmarks3d_metrics.json. Every step resumes after an interruption (--resume) and lists
# unreadable scans instead of stopping (--on-error skip).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
example_args "$@"

FACESCAPE=${FACESCAPE:-/data/facescape/facescape_trainset}
LANDMARKS=${LANDMARKS:-$FACESCAPE/landmark_indices.npz}
TEMPLATE=${TEMPLATE:-$FACESCAPE/1/models_reg/1_neutral.obj}
OUT=${OUT:-runs/facescape}
WORKERS=${WORKERS:-2}
MODEL=${MODEL:-}
need FACESCAPE; need LANDMARKS; need TEMPLATE

run mkdir -p "$OUT/aligned"
run "$FACECLI" --seed 0 register --template "$TEMPLATE" "$FACESCAPE" --pattern '*.obj' -o "$OUT/register.h5" \
  --write-aligned "$OUT/aligned" --preview "$OUT/register_preview" --workers "$WORKERS" --resume --on-error skip
run cp "$LANDMARKS" "$OUT/aligned/landmark_indices.npz"
run "$FACECLI" --seed 0 landmarks3d predict "$OUT/aligned" -o "$OUT/landmarks3d.h5" --pts "$OUT/pts" \
  ${MODEL:+--model "$MODEL"} --workers "$WORKERS" --resume --on-error skip
run_to "$OUT/landmarks3d_metrics.json" "$FACECLI" evaluate landmarks3d "$OUT/landmarks3d.h5" --gt "$OUT/aligned" \
  --plot "$OUT/errors.png" --csv "$OUT/per_mesh.csv" --json
