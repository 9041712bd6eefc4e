#!/usr/bin/env bash
# The main job on built-in synthetic data: every command, chained as shell
# pipelines, each stage scored by its evaluator. Usage: examples/demo.sh [OUTPUT_DIR]
set -euo pipefail
OUT=${1:-demo_out}
FACECLI=${FACECLI:-facecli}
command -v "$FACECLI" >/dev/null 2>&1 || FACECLI="$(dirname "$0")/../.venv/bin/facecli"
mkdir -p "$OUT"
summary="$OUT/summary.jsonl"
: > "$summary"

stage() {  # stage NAME -- facecli args...
  local name=$1; shift
  echo "== $name" >&2
  "$FACECLI" --seed 0 "$@" --json | tee -a "$summary" | python3 -c \
    'import json,sys; o=json.load(sys.stdin); print("   {} {} in {:.1f} s ({:.2f}/s)".format(o["count"], o["unit"], o["seconds"], o["per_second"]))' >&2
}

stage "synth faces3d (FaceScape layout)"   synth faces3d    -o "$OUT/faces3d" --subjects 4 --expressions 3 --start 1000
stage "synth pairs (registration scans)"   synth pairs      -o "$OUT/pairs" --count 6
stage "synth images (WFLW layout)"         --seed 3 synth images -o "$OUT/wflw" --scheme wflw98 --count 24  # seed 3: not the shipped MuSiCa's training people
stage "synth images (300W layout)"         synth images     -o "$OUT/300w" --scheme ibug68 --count 24
stage "synth identities (LFW layout)"      synth identities -o "$OUT/lfw" --identities 20 --per-identity 3 --size 128 \
                                           --normal-size 96 --start 1000 --yaw-sd 30
stage "synth microexpr (CASME II layout)"  synth microexpr  -o "$OUT/casme2" --subjects 2 --clips 2 --frames 40,60 --size 160
stage "synth microexpr (SMIC layout)"      synth microexpr  -o "$OUT/smic" --layout smic --subjects 4 --clips 1 --frames 16,20 --size 128

echo "== register the synthetic scan pairs (FPFH -> FGR -> Geman-McClure), then score them" >&2
SECONDS=0
"$FACECLI" --seed 0 register --pairs "$OUT/pairs" -o "$OUT/register.h5" --preview "$OUT/register_preview" \
  | xargs -I{} "$FACECLI" evaluate register {} --gt "$OUT/pairs/gt.h5" --csv "$OUT/register_per_pair.csv" >/dev/null
echo "   register + evaluate: ${SECONDS} s; per-pair errors in $OUT/register_per_pair.csv, previews in $OUT/register_preview/" >&2

echo "== normal maps of the FaceScape-layout meshes (ray cast at 256/128/64, LBP/GLCM texture channels)" >&2
SECONDS=0
"$FACECLI" --seed 0 normals "$OUT/faces3d" -o "$OUT/normals_meshes.h5" --texture --preview "$OUT/normals_preview" \
  --workers 2 >/dev/null
echo "   normals (meshes): ${SECONDS} s; previews in $OUT/normals_preview/" >&2
echo "== 68 landmarks on the same meshes (shipped 2S-SGCN, synthetic-trained, people it never saw), scored against the true vertices" >&2
SECONDS=0
"$FACECLI" --seed 0 landmarks3d predict "$OUT/faces3d" -o "$OUT/landmarks3d.h5" --preview "$OUT/landmarks3d_preview" \
  --pts "$OUT/landmarks3d_pts" \
  | xargs -I{} "$FACECLI" evaluate landmarks3d {} --gt "$OUT/faces3d" --plot "$OUT/landmarks3d_errors.png" >/dev/null
echo "   landmarks3d + evaluate: ${SECONDS} s; previews in $OUT/landmarks3d_preview/, per-landmark errors in $OUT/landmarks3d_errors.png" >&2
echo "== normal maps of the 300W-layout images (shipped CAP model, synthetic-trained), scored against the renderer" >&2
SECONDS=0
"$FACECLI" --seed 0 normals "$OUT/300w" --pattern '*.png' -o "$OUT/normals_images.h5" \
  | xargs -I{} "$FACECLI" evaluate normals {} --gt "$OUT/300w/synth_gt.h5" >/dev/null
echo "   normals (images) + evaluate: ${SECONDS} s" >&2

echo "== face verification with the shipped DGPA-Net (synthetic-trained) on people it never saw" >&2
SECONDS=0
"$FACECLI" --seed 0 grid-attn embed "$OUT/lfw/normals_gt.h5" -o "$OUT/lfw_emb_gt.h5" \
  | xargs -I{} "$FACECLI" grid-attn verify {} --pairs "$OUT/lfw/pairs.txt" -o "$OUT/lfw_scores_gt.h5" \
  | xargs -I{} "$FACECLI" evaluate verify {} --poses "$OUT/lfw/poses.csv" --roc "$OUT/lfw_roc_gt.png" >/dev/null
echo "   ground-truth normal maps -> embed -> verify -> evaluate: ${SECONDS} s; ROC in $OUT/lfw_roc_gt.png" >&2
SECONDS=0
"$FACECLI" --seed 0 normals "$OUT/lfw" --pattern '*.jpg' --scales 96 -o "$OUT/lfw_normals_cap.h5" \
  | xargs -I{} "$FACECLI" grid-attn embed {} -o "$OUT/lfw_emb_cap.h5" \
  | xargs -I{} "$FACECLI" grid-attn verify {} --pairs "$OUT/lfw/pairs.txt" -o "$OUT/lfw_scores_cap.h5" \
  | xargs -I{} "$FACECLI" evaluate verify {} --roc "$OUT/lfw_roc_cap.png" >/dev/null
echo "   photos -> CAP normal maps -> embed -> verify -> evaluate: ${SECONDS} s" >&2

echo "== apex of the CASME II-layout micro-expression clips (optical flow), scored against the true apex" >&2
SECONDS=0
"$FACECLI" --seed 0 apex-detect "$OUT/casme2" --coding "$OUT/casme2/CASME2-coding-synth.xlsx" -o "$OUT/apex.h5" \
  --plot "$OUT/apex_curves" | head -1 \
  | xargs -I{} "$FACECLI" evaluate apex {} --coding "$OUT/casme2/CASME2-coding-synth.xlsx" >/dev/null
echo "   apex-detect + evaluate: ${SECONDS} s; score curves in $OUT/apex_curves/" >&2

echo "== 98 landmarks on the WFLW-layout images (shipped MuSiCa, synthetic-trained, people it never saw), early exit on" >&2
SECONDS=0
"$FACECLI" --seed 0 align predict "$OUT/wflw" --dataset --split all -o "$OUT/align.h5" --exit-threshold 0.02 \
  --preview "$OUT/align_preview" \
  | xargs -I{} "$FACECLI" evaluate align {} --gt "$OUT/wflw" --plot "$OUT/align_ced.png" >/dev/null
echo "   align + evaluate: ${SECONDS} s; previews in $OUT/align_preview/, CED in $OUT/align_ced.png" >&2

echo "== micro-expression recognition, MEGC 2019 classes, leave-one-subject-out over the CASME II + SMIC clips (short budget)" >&2
SECONDS=0
"$FACECLI" --seed 0 mer-train prepare "$OUT/casme2" "$OUT/smic" -o "$OUT/mer_flow.h5" --size 32 \
  | xargs -I{} "$FACECLI" --seed 0 mer-train loso {} -o "$OUT/mer_run" --epochs 5 --width 8 | head -1 \
  | xargs -I{} "$FACECLI" evaluate mer {} --plot "$OUT/mer_confusion.png" >/dev/null
echo "   mer-train prepare + loso + evaluate: ${SECONDS} s; MEGC log in $OUT/mer_run/result_log.csv" >&2

echo "== facecli info on every container written (read back from the paths on stdout)" >&2
find "$OUT" -name '*.h5' | sort | "$FACECLI" info -

python3 - "$summary" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("\n| stage | items | seconds | items/s |\n|---|---:|---:|---:|", file=sys.stderr)
for r in rows:
    print(f"| synth {r['unit']} -> {r['outputs'][-1].rsplit('/', 1)[0]} | {r['count']} | {r['seconds']:.1f} | {r['per_second']:.2f} |", file=sys.stderr)
PY
