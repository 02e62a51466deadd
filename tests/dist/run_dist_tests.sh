#!/usr/bin/env bash
# The data-parallel tests: tests/test_dist.c on two processes, then a rank
# that stops answering and a rank that dies, each of which must end the
# job with a non-zero status and a message within the timeout.
# Then `tapegrad demo fashion --dist` against the single-process run (when
# Fashion-MNIST is installed): the same loss at every step within 1e-6
# relative (f64), the same final accuracy, identical parameters on both
# processes.
# usage: run_dist_tests.sh MPIRUN TEST_DIST TAPEGRAD
set -u
mpirun=$1 exe=$(realpath "$2") tapegrad=$(realpath "$3")
# loopback TCP only, no shared-memory or InfiniBand transports to probe;
# root allowed (CI containers), two ranks on however few cores
# run SECONDS TIMEOUT ARGS...: the job, killed after SECONDS, ranks giving
# up on each other after TIMEOUT
run() {
  local secs=$1; export TG_DIST_TIMEOUT=$2; shift 2
  timeout "$secs" "$mpirun" -x TG_DIST_TIMEOUT -x ASAN_OPTIONS --allow-run-as-root --oversubscribe --bind-to none \
    --mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include lo \
    --mca oob_tcp_if_include lo -np 2 "$@"
}
# Under AddressSanitizer, leak checking is off for these processes: the MPI
# libraries keep their memory until exit (test_dist counts its own blocks
# instead); memory errors are still caught.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
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
# the demo, data-parallel against one process: 8 global batches of 128 per
# epoch, two epochs, f64
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  out1=$(mktemp -d) out2=$(mktemp -d)
  args=(demo fashion --fast --f64 --rows 1024 --seed 3)
  TAPEGRAD_GNUPLOT=none "$tapegrad" "${args[@]}" --out "$out1" >"$out1/log" 2>&1
  rc1=$?
  export TAPEGRAD_GNUPLOT=none
  run 280 60 -x TAPEGRAD_GNUPLOT "$tapegrad" "${args[@]}" --dist --out "$out2" \
    >"$out2/log" 2>&1
  rc2=$?
  cat "$out2/log"
  # step by step: same count, relative difference of the losses
  worst=$(awk 'FNR == 1 { next } NR == FNR { a[$1] = $2; n1++; next }
               { n2++; d = $2 - a[$1]; if (d < 0) d = -d; r = d / a[$1];
                 if (!($1 in a)) r = 1; if (r > w) w = r }
               END { if (n1 != n2 || n1 == 0) print "count", n1, n2;
                     else printf "%.3g\n", w }' \
          "$out1/fashion_steps.tsv" "$out2/fashion_steps.tsv" 2>&1)
  acc1=$(grep 'final test accuracy' "$out1/log")
  acc2=$(grep 'final test accuracy' "$out2/log" | sed 's/, training time.*//')
  if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [[ $worst =~ ^[0-9.e+-]+$ ]] &&
     awk -v w="$worst" 'BEGIN { exit !(w <= 1e-6) }' &&
     [ -n "$acc2" ] && [[ $acc1 == "$acc2"* ]] &&
     grep -q 'data-parallel on 2 processes' "$out2/log" &&
     grep -q 'parameters identical on every process after every epoch: yes' "$out2/log" &&
     grep -q 'tg_dist_save: rank 0 writes' "$out2/log" &&
     [ "$(grep -c 'final test accuracy' "$out2/log")" -eq 1 ]; then
    ok "demo fashion --dist: losses of $(($(wc -l <"$out1/fashion_steps.tsv") - 1)) steps within $worst relative, ${acc2#*: }"
  else
    bad "demo fashion --dist: status $rc1/$rc2, worst relative loss difference '$worst', '$acc1' vs '$acc2'"
  fi
  rm -rf "$out1" "$out2"
else
  echo "skipped: demo fashion --dist (Fashion-MNIST missing: dataset-fashion-mnist)"
fi
exit $fail
