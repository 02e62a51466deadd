#!/bin/sh
# The programs tapegrad builds start OpenMP with the passive wait policy
# unless the environment chose one (src/cli/omp_defaults.c): libgomp's
# verbose display shows the spin count it settled on (0 passive, 300000
# its default, 30000000000 active). The re-execution that adds the
# variable keeps the arguments, the output and the exit status.
# usage: omp_defaults.sh TAPEGRAD_EXE
exe=$1
status=0
fail() { echo "FAIL $*"; status=1; }
spin() { # the GOMP_SPINCOUNT libgomp reports for: env ARGS... tapegrad --help
    env "$@" OMP_DISPLAY_ENV=verbose "$exe" --help 2>&1 >/dev/null |
        sed -n "s/^ *GOMP_SPINCOUNT = '\([0-9]*\)'.*/\1/p" | tr '\n' ' '
}
s=$(spin -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT)
[ "$s" = "0 " ] || fail "no variable set: spin count '$s', want '0 ' (passive, one display)"
s=$(spin -u GOMP_SPINCOUNT OMP_WAIT_POLICY=active)
[ "$s" = "30000000000 " ] || fail "OMP_WAIT_POLICY=active: spin count '$s'"
s=$(spin -u OMP_WAIT_POLICY GOMP_SPINCOUNT=5000)
[ "$s" = "5000 " ] || fail "GOMP_SPINCOUNT=5000: spin count '$s'"
a=$(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$exe" grad "a @ b + 1" \
    a=3x4 b=4x2 --seed 7 --json)
b=$(env OMP_WAIT_POLICY=passive "$exe" grad "a @ b + 1" a=3x4 b=4x2 \
    --seed 7 --json)
[ -n "$a" ] && [ "$a" = "$b" ] || fail "grad output differs after re-execution"
case $a in *'"expr": "a @ b + 1"'*) ;; *) fail "grad printed: $a" ;; esac
env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$exe" check >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || fail "bad usage exits $rc, want 2"
[ $status -eq 0 ] && echo "ok: passive by default, the user's choice kept"
exit $status
