#!/usr/bin/env bash
# The data-parallel tests: tests/test_dist.c on two processes, then a rank
# that stops answering and a rank that dies, each of which must end the
# job with a non-zero status and a message within the timeout.
# usage: run_dist_tests.sh MPIRUN TEST_DIST
set -u
mpirun=$1 exe=$(realpath "$2")
# loopback TCP only, no shared-memory or InfiniBand transports to probe;
# root allowed (CI containers), two ranks on however few cores
# run SECONDS TIMEOUT ARGS...: the job, killed after SECONDS, ranks giving
# up on each other after TIMEOUT
run() {
  local secs=$1; export TG_DIST_TIMEOUT=$2; shift 2
  timeout "$secs" "$mpirun" -x TG_DIST_TIMEOUT --allow-run-as-root --oversubscribe --bind-to none \
    --mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include lo \
    --mca oob_tcp_if_include lo -np 2 "$@"
}
fail=0
ok() { echo "ok    $1"; }
bad() { echo "FAIL  $1"; fail=1; }

out=$(run 120 20 "$exe" 2>&1); rc=$?
echo "$out"
npass=$(grep -c '^0 failed\|passed, 0 failed' <<<"$out")
if [ $rc -eq 0 ] && [ "$npass" -eq 2 ]; then ok "two ranks: every case on both"
else bad "two ranks: status $rc, $npass of 2 ranks without failures"; fi

# rank 1 sleeps from step 5 on: rank 0 must give up after 2 s and say why
t0=$(date +%s%N)
out=$(run 60 2 "$exe" hang 5 2>&1); rc=$?
t=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$out" | grep -v '^ *$' | head -20
if [ $rc -ne 0 ] && [ $rc -ne 124 ] &&
   grep -q 'tg_ddp_backward: rank 0 of 2: no answer from the other ranks within 2 s while averaging the gradients of step' <<<"$out" &&
   [ "$t" -lt 30000 ]; then
  ok "a hung rank: the other stops with TG_ERR_COMM after ${t} ms (status $rc)"
else bad "a hung rank: status $rc after ${t} ms"; fi

# rank 1 is killed at step 5: the job must end, non-zero, with a message
t0=$(date +%s%N)
out=$(run 60 2 "$exe" die 5 2>&1); rc=$?
t=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$out" | grep -v '^ *$' | head -20
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'rank 1: die at step 5' <<<"$out" &&
   grep -Eqi 'no answer from the other ranks|signal 9|killed|exited on signal' <<<"$out" &&
   [ "$t" -lt 30000 ]; then
  ok "a dead rank: the job ends after ${t} ms (status $rc)"
else bad "a dead rank: status $rc after ${t} ms"; fi
exit $fail
