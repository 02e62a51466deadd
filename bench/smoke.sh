#!/bin/sh
# Runs every benchmark program given on the command line at its tiny size
# and checks that each printed at least one result line with a positive
# "seconds" figure. No timing is asserted.
status=0
for exe in "$@"; do
  out=$("$exe" --tiny --reps 1 --warmup 0 --threads 2) || {
    echo "FAIL $exe exited with status $?"; status=1; continue; }
  printf '%s\n' "$out"
  lines=$(printf '%s\n' "$out" | grep -c '"seconds": [0-9]')
  if [ "$lines" -eq 0 ]; then
    echo "FAIL $exe printed no result line"; status=1
  elif printf '%s\n' "$out" | grep -q -e '"seconds": -' -e 'nan' -e 'inf'; then
    echo "FAIL $exe printed a negative or non-finite figure"; status=1
  fi
done
exit $status
