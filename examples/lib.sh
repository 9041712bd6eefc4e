# Shared by the example workflows (sourced, not run): option parsing and the `run` helper.
#
# Every example takes:  --help (its usage: the header comment of the script),
#                       -n/--dry-run (print the commands, one per line, shell-quoted; run nothing).
# Its paths are variables with defaults, overridden from the environment, e.g.
#   WFLW=/data/WFLW OUT=runs/wflw examples/wflw_align.sh

DRY_RUN=0
FACECLI=${FACECLI:-facecli}

example_usage() {  # the script's header: its comment lines after the shebang, without '# '
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
}

example_args() {
  for arg in "$@"; do
    case $arg in
      -h|--help) example_usage; exit 0 ;;
      -n|--dry-run) DRY_RUN=1 ;;
      *) echo "$(basename "$0"): unknown argument $arg (see --help; paths are set by environment variables)" >&2; exit 2 ;;
    esac
  done
  if [ "$DRY_RUN" = 0 ] && ! command -v "$FACECLI" >/dev/null 2>&1; then
    echo "$(basename "$0"): $FACECLI not found on PATH (activate the .venv, or set FACECLI)" >&2; exit 1
  fi
}

run() {  # run CMD ARGS...: print it (dry run) or announce it on stderr and run it
  if [ "$DRY_RUN" = 1 ]; then
    printf '%q ' "$@" | sed 's/ $//'; echo
  else
    printf '+ %s\n' "$*" >&2
    "$@"
  fi
}

run_to() {  # run_to FILE CMD ARGS...: as run, with stdout (the command's data) saved in FILE
  local dest=$1; shift
  if [ "$DRY_RUN" = 1 ]; then
    printf '%q ' "$@"; printf '> %q\n' "$dest"
  else
    printf '+ %s > %s\n' "$*" "$dest" >&2
    "$@" > "$dest"
  fi
}

need() {  # need VAR: the path in $VAR must exist (skipped in a dry run)
  local name=$1 value=${!1}
  if [ "$DRY_RUN" = 0 ] && [ ! -e "$value" ]; then
    echo "$(basename "$0"): $name=$value does not exist (set $name to your copy; see --help)" >&2; exit 1
  fi
}
