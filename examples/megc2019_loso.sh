#!/usr/bin/env bash
# The MEGC 2019 composite: spot the apex of the SMIC clips (SMIC codes only onset and offset),
# cache the onset->apex optical flow and apex crop of every coded clip of CASME II, SAMM and
# SMIC, run leave-one-subject-out over all 68 subjects with 3 classes (negative, positive,
# surprise), and report the pooled UF1 and UAR, per dataset too.
#
# Usage: examples/megc2019_loso.sh [--dry-run] [--help]
#
# Paths and settings (environment variables):
#   CASME2, CASME2_SHEET  CASME II cropped frames (subXX/EPxx_xx/imgN.jpg) and CASME2-coding-20140508.xlsx
#   SAMM, SAMM_SHEET      SAMM frames (006/006_1_2/006_05588.jpg) and its coding .xlsx (sheet MICRO_ONLY)
#   SMIC, SMIC_SHEET      SMIC-HS frames (sNN/<clip>/imageNNNNNN.jpg) and a sheet with Subject, Filename,
#                         OnsetFrame, OffsetFrame, Emotion (.xlsx or .csv)
#   OUT                   where results go (default runs/megc2019)
#   EPOCHS                training epochs per fold, a fixed budget (default 60)
#   FOLDS                 run only folds K..L (e.g. 1..34 here, 35..68 on another machine); empty: all
#
# The folds are written one file each: run the script again after an interruption and finished
# folds are kept; slices from several machines merge with 'facecli mer-train report'.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
example_args "$@"

CASME2=${CASME2:-/data/CASME2/Cropped}
CASME2_SHEET=${CASME2_SHEET:-/data/CASME2/CASME2-coding-20140508.xlsx}
SAMM=${SAMM:-/data/SAMM/SAMM}
SAMM_SHEET=${SAMM_SHEET:-/data/SAMM/SAMM_Micro_FACS_Codes_v2.xlsx}
SMIC=${SMIC:-/data/SMIC/HS}
SMIC_SHEET=${SMIC_SHEET:-/data/SMIC/smic_hs_coding.csv}
OUT=${OUT:-runs/megc2019}
EPOCHS=${EPOCHS:-60}
FOLDS=${FOLDS:-}
for v in CASME2 CASME2_SHEET SAMM SAMM_SHEET SMIC SMIC_SHEET; do need $v; done

run mkdir -p "$OUT"
run "$FACECLI" apex-detect "$SMIC" --coding "$SMIC_SHEET" -o "$OUT/smic_apex.h5" --plot "$OUT/smic_apex_curves" \
  --resume --on-error skip
run "$FACECLI" mer-train prepare "$CASME2" "$SAMM" "$SMIC" --coding "$CASME2_SHEET" --coding "$SAMM_SHEET" \
  --coding "$SMIC_SHEET" --apex "$OUT/smic_apex.h5" -o "$OUT/flow.h5" --resume --on-error skip
run "$FACECLI" --seed 0 mer-train loso "$OUT/flow.h5" -o "$OUT/loso" --protocol megc2019 --epochs "$EPOCHS" \
  --resume ${FOLDS:+--folds "$FOLDS"}
[ -z "$FOLDS" ] && run_to "$OUT/metrics.json" "$FACECLI" evaluate mer "$OUT/loso/result_log.csv" \
  --plot "$OUT/confusion.png" --json
exit 0
