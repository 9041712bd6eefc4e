#!/usr/bin/env bash
# The main job on built-in synthetic data: every command, chained as shell pipelines, each
# stage scored by its evaluator, ending with one summary table of every stage's metrics and
# time. `make demo` runs it (after installing); see --help.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: examples/demo.sh [--json] [OUTPUT_DIR]

Runs the whole toolkit on synthetic data (nothing is downloaded), as shell pipelines:
  synth -> register scans -> normals -> landmarks3d -> normals of photos -> grid-attn
  embed + verify -> apex-detect -> align -> a short mer-train LOSO -> evaluate each stage.
Progress goes to stderr. The summary table (metrics and seconds per stage) is printed to
stderr and kept in OUTPUT_DIR/summary.md and OUTPUT_DIR/summary.json.

  OUTPUT_DIR   where everything is written (default: demo_out)
  --json       also print the summary as one JSON object on stdout
  -h, --help   this text

Environment: FACECLI (the facecli executable; default: on PATH, else .venv/bin/facecli).
About 3 minutes on 2 CPU cores.
EOF
}

JSON=0
OUT=demo_out
for arg in "$@"; do
  case $arg in
    -h|--help) usage; exit 0 ;;
    --json) JSON=1 ;;
    -*) echo "demo.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) OUT=$arg ;;
  esac
done

HERE="$(cd "$(dirname "$0")" && pwd)"
FACECLI=${FACECLI:-facecli}
command -v "$FACECLI" >/dev/null 2>&1 || FACECLI="$HERE/../.venv/bin/facecli"
[ -x "$FACECLI" ] || command -v "$FACECLI" >/dev/null 2>&1 \
  || { echo "demo.sh: facecli not found (run 'make demo', or set FACECLI)" >&2; exit 1; }
PYTHON=python3
[ -x "$HERE/../.venv/bin/python" ] && PYTHON="$HERE/../.venv/bin/python"

mkdir -p "$OUT/metrics"
M="$OUT/metrics"
: > "$M/stages.jsonl"
: > "$M/synth.jsonl"
N_STAGES=10
n=0
t0=

begin() {  # begin KEY TITLE: announce a stage and start its clock
  key=$1; n=$((n + 1))
  echo "[$n/$N_STAGES] $2" >&2
  title=$2
  t0=$EPOCHREALTIME
}
end() {  # end: record the stage's wall time
  local secs
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  printf '{"key": "%s", "title": "%s", "seconds": %s}\n' "$key" "$title" "$secs" >> "$M/stages.jsonl"
  echo "      $secs s" >&2
}
synth() {  # synth ARGS...: one synth command, its JSON summary kept
  "$FACECLI" --seed "${SEED:-0}" synth "$@" --json >> "$M/synth.jsonl"
}

begin synth "synthetic data in the real layouts: FaceScape meshes, scan pairs, WFLW, 300W, LFW, CASME II, SMIC"
synth faces3d    -o "$OUT/faces3d" --subjects 4 --expressions 3 --start 1000
synth pairs      -o "$OUT/pairs" --count 6
SEED=3 synth images -o "$OUT/wflw" --scheme wflw98 --count 24   # seed 3: people the shipped MuSiCa never saw
synth images     -o "$OUT/300w" --scheme ibug68 --count 24
synth identities -o "$OUT/lfw" --identities 20 --per-identity 3 --size 128 --normal-size 96 --start 1000 --yaw-sd 30
synth microexpr  -o "$OUT/casme2" --subjects 2 --clips 2 --frames 40,60 --size 160
synth microexpr  -o "$OUT/smic" --layout smic --subjects 4 --clips 1 --frames 16,20 --size 128
end

begin register "register the scan pairs (FPFH -> FGR -> Geman-McClure), scored against the true transforms"
"$FACECLI" --seed 0 register --pairs "$OUT/pairs" -o "$OUT/register.h5" --preview "$OUT/register_preview" \
  | xargs -I{} "$FACECLI" evaluate register {} --gt "$OUT/pairs/gt.h5" --json > "$M/register.json"
end

begin normals_meshes "normal maps of the FaceScape-layout meshes (ray cast at 256/128/64, LBP/GLCM texture)"
"$FACECLI" --seed 0 normals "$OUT/faces3d" -o "$OUT/normals_meshes.h5" --texture --preview "$OUT/normals_preview" \
  --workers 2 --json > "$M/normals_meshes.json"
end

begin landmarks3d "68 landmarks on the same meshes (shipped 2S-SGCN), scored against the true vertices"
"$FACECLI" --seed 0 landmarks3d predict "$OUT/faces3d" -o "$OUT/landmarks3d.h5" --preview "$OUT/landmarks3d_preview" \
  --pts "$OUT/landmarks3d_pts" \
  | xargs -I{} "$FACECLI" evaluate landmarks3d {} --gt "$OUT/faces3d" --plot "$OUT/landmarks3d_errors.png" --json \
  > "$M/landmarks3d.json"
end

begin normals_images "normal maps of the 300W-layout photos (shipped CAP network), scored against the renderer"
"$FACECLI" --seed 0 normals "$OUT/300w" --pattern '*.png' --boxes image -o "$OUT/normals_images.h5" \
  | xargs -I{} "$FACECLI" evaluate normals {} --gt "$OUT/300w/synth_gt.h5" --json > "$M/normals_images.json"
end

begin verify_gt "face verification (shipped DGPA-Net) on true normal maps of unseen people: embed -> verify"
"$FACECLI" --seed 0 grid-attn embed "$OUT/lfw/normals_gt.h5" -o "$OUT/lfw_emb_gt.h5" \
  | xargs -I{} "$FACECLI" grid-attn verify {} --pairs "$OUT/lfw/pairs.txt" -o "$OUT/lfw_scores_gt.h5" \
  | xargs -I{} "$FACECLI" evaluate verify {} --poses "$OUT/lfw/poses.csv" --roc "$OUT/lfw_roc_gt.png" --json \
  > "$M/verify_gt.json"
end

begin verify_photos "face verification from photos: CAP normal maps -> embed -> verify"
"$FACECLI" --seed 0 normals "$OUT/lfw" --pattern '*.jpg' --scales 96 -o "$OUT/lfw_normals_cap.h5" \
  | xargs -I{} "$FACECLI" grid-attn embed {} -o "$OUT/lfw_emb_cap.h5" \
  | xargs -I{} "$FACECLI" grid-attn verify {} --pairs "$OUT/lfw/pairs.txt" -o "$OUT/lfw_scores_cap.h5" \
  | xargs -I{} "$FACECLI" evaluate verify {} --roc "$OUT/lfw_roc_cap.png" --json > "$M/verify_photos.json"
end

begin apex "micro-expression apex of the CASME II-layout clips (head-stabilised residual images, envelope fit), scored against the true apex"
# the face's box in the 160 px synthetic frames (the real datasets' cropped releases are all face: no box)
"$FACECLI" --seed 0 apex-detect "$OUT/casme2" --coding "$OUT/casme2/CASME2-coding-synth.xlsx" -o "$OUT/apex.h5" \
  --face-box 30,10,100,135 --plot "$OUT/apex_curves" | head -1 \
  | xargs -I{} "$FACECLI" evaluate apex {} --coding "$OUT/casme2/CASME2-coding-synth.xlsx" --json > "$M/apex.json"
end

begin align "98 landmarks on the WFLW-layout images (shipped MuSiCa, early exit on)"
"$FACECLI" --seed 0 align predict "$OUT/wflw" --dataset --split all -o "$OUT/align.h5" --exit-threshold 0.018 \
  --preview "$OUT/align_preview" \
  | xargs -I{} "$FACECLI" evaluate align {} --gt "$OUT/wflw" --plot "$OUT/align_ced.png" --json > "$M/align.json"
end

begin mer "micro-expression recognition, MEGC 2019 classes, LOSO over the CASME II + SMIC subjects (short budget)"
rm -rf "$OUT/mer_run"  # a run directory refuses to be overwritten; the demo makes its own afresh each time
"$FACECLI" --seed 0 mer-train prepare "$OUT/casme2" "$OUT/smic" -o "$OUT/mer_flow.h5" --size 32 \
  | xargs -I{} "$FACECLI" --seed 0 mer-train loso {} -o "$OUT/mer_run" --epochs 5 --width 8 | head -1 \
  | xargs -I{} "$FACECLI" evaluate mer {} --plot "$OUT/mer_confusion.png" --json > "$M/mer.json"
end

echo "facecli info on every container written:" >&2
find "$OUT" -name '*.h5' | sort | "$FACECLI" info - >&2

if [ "$JSON" = 1 ]; then
  "$PYTHON" "$HERE/demo_summary.py" "$OUT" --json
else
  "$PYTHON" "$HERE/demo_summary.py" "$OUT" > /dev/null
fi
