#!/usr/bin/env bash
# End-to-end runs under valgrind memcheck: the `tapegrad` command (check,
# grad, dot, bad usage, --all-ops, three demos) and the test programs for
# threads and file I/O (readers, save/load, their out-of-memory paths). Any memcheck error, or any definitely or indirectly
# lost block, fails the run. tests/valgrind.supp lists the only accepted
# noise (OpenMP and OpenBLAS runtime internals; see docs/reliability.md).
# Usage: tests/valgrind_e2e.sh BUILDDIR
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
tg=$build/src/cli/tapegrad
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=passive
vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --track-origins=yes --num-callers=30
    --suppressions="$root/tests/valgrind.supp" --gen-suppressions=all
    --log-file="$out/vg.%p.log")
pass=0 fail=0
# run NAME EXPECTED_EXIT CMD...: the command must exit with EXPECTED_EXIT
# (the tool's own code) and valgrind must report nothing (exit 99 if it did)
run() {
    local name=$1 want=$2
    shift 2
    local t0=$SECONDS
    "${vg[@]}" "$@" >"$out/stdout" 2>"$out/stderr"
    local rc=$?
    if [ $rc -eq "$want" ]; then
        pass=$((pass + 1))
        printf 'ok    %-28s (%ds)\n' "$name" $((SECONDS - t0))
    else
        fail=$((fail + 1))
        printf 'FAIL  %-28s exit %d, want %d\n' "$name" "$rc" "$want"
        tail -n 5 "$out/stderr"
        cat "$out"/vg.*.log | grep -v '^==[0-9]*== *$' | head -n 80
    fi
    rm -f "$out"/vg.*.log
}
run check-pass 0 "$tg" check "tanh(x @ W + b)" x=4x3 W=3x2 b=2
run check-json 0 "$tg" check "softmax(x, axis=-1) * y" x=3x4 y=3x4 --json
run check-gradgrad 0 "$tg" check "sigmoid(x) * x" x=5 --gradgrad
run grad-json 0 "$tg" grad "sum(x * x, axis=1) + log1p(y * y)" x=2x3 y=2 --json
run dot 0 "$tg" dot "relu(a @ b)" a=2x3 b=3x2 -o "$out/g.dot"
run parse-error 2 "$tg" check "tanh(x" x=2
run shape-error 2 "$tg" grad "x @ y" x=2x3 y=2x3 --json
run unknown-op 2 "$tg" check "tahn(x)" x=2
run bad-shape 2 "$tg" check "x" x=2x-3
run all-ops 0 "$tg" check --all-ops --seed 1
run demo-xor 0 "$tg" demo xor --fast --out "$out/d"
run demo-trace 0 "$tg" demo trace --out "$out/d"
run demo-activations 0 "$tg" demo activations --fast --out "$out/d"
run test-threads 0 "$build/tests/test_threads" parallel
run test-io 0 "$build/tests/test_io"
echo "valgrind: $pass passed, $fail failed"
[ $fail -eq 0 ]
