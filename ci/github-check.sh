#!/usr/bin/env bash
# The script of the GitHub action (action.yml): run `slasim check --format github` over the files
# named by $SLASIM_FILES (patterns, space separated; ** matches folders), with a JUnit report if
# $SLASIM_JUNIT is set and --strict if $SLASIM_STRICT is "true". Annotations go to stdout, the
# summary table to $GITHUB_STEP_SUMMARY. Exit code: slasim's (0 pass, 1 a case failed, 2 invalid).
set -uo pipefail
shopt -s globstar nullglob

args=(check --format github)
if [ -n "${SLASIM_JUNIT:-}" ]; then
  args+=(--junit-xml "$SLASIM_JUNIT")
fi
if [ "${SLASIM_STRICT:-false}" = "true" ]; then
  args+=(--strict)
fi

read -ra patterns <<< "${SLASIM_FILES:?set the action input files}"  # split, not globbed yet
files=()
for pattern in "${patterns[@]}"; do
  matched=($pattern)
  if [ ${#matched[@]} -eq 0 ]; then
    echo "::error title=slasim check::no check file matches $pattern"
    exit 2
  fi
  files+=("${matched[@]}")
done

exec slasim "${args[@]}" "${files[@]}"
