#!/bin/sh
# Build libFuzzer harnesses (clang -fsanitize=fuzzer,address,undefined;
# every UBSan check is fatal, as halt_on_error, through
# -fno-sanitize-recover: signed overflow in shape arithmetic aborts):
# the library sources are compiled once into an instrumented static
# library, then each harness links against it. The meson build does not
# need clang; CI calls this only when clang is available.
# Usage: tests/fuzz/build_hardening.sh OUTDIR HARNESS...   (e.g. ops idx;
#        any tests/fuzz/fuzz_NAME.c, the expression and CLI ones included)
#   then OUTDIR/fuzz_ops -max_total_time=60 DIR tests/fuzz/corpus/ops
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
shift
mkdir -p "$out/obj"
CC=${CC:-clang}
deps="sleef zlib"
. "$root/tests/fuzz/blas.sh"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# shellcheck disable=SC2086
cflags="$(pkg-config --cflags $deps) $blas_cflags -std=c17 -D_GNU_SOURCE -gline-tables-only -O1 -fopenmp \
  -Wno-pass-failed \
  -I$root/include -I$root"
# shellcheck disable=SC2086
libs="$(pkg-config --libs $deps) $blas_libs -lm -fopenmp"
# Library objects: instrumented for coverage without libFuzzer's main.
# Rebuilt only when a source or header is newer than the archive, or the
# compile flags differ from the ones it was built with (another BLAS's
# headers, another compiler).
lib="$out/libtapegrad-fuzz.a"
# the command's implementation too (no main in it), for the CLI harness
# not src/dist.c: it needs MPI, and no harness uses it
srcs=$(ls "$root"/src/*.c "$root"/src/nn/*.c "$root"/ops/*.c "$root"/src/cli/cli.c | grep -v '/src/dist\.c$')
# shellcheck disable=SC2086
newest=$(ls -t $srcs "$root"/src/*.h "$root"/ops/*.h "$root"/include/tapegrad/*.h \
         "$root"/src/nn/*.h "$root"/src/cli/*.h 2>/dev/null | head -n 1)
flags="$CC $cflags $san"
if [ ! -f "$lib" ] || [ "$newest" -nt "$lib" ] ||
   [ "$(cat "$out/flags" 2>/dev/null)" != "$flags" ]; then
    rm -f "$out"/obj/*.o "$lib"
    export CC cflags san out root
    # shellcheck disable=SC2016
    printf '%s\n' $srcs | xargs -P "$(nproc)" -I{} sh -c '
        s={}; o="$out/obj/$(echo "${s#"$root"/}" | tr / _).o"
        $CC $cflags $san -fsanitize=fuzzer-no-link -c "$s" -o "$o"'
    ar rcs "$lib" "$out"/obj/*.o
    printf '%s\n' "$flags" >"$out/flags"
fi
for h in "$@"; do
    # shellcheck disable=SC2086
    $CC $cflags $san -fsanitize=fuzzer -o "$out/fuzz_$h" \
        "$root/tests/fuzz/fuzz_$h.c" "$lib" $libs
    echo "built $out/fuzz_$h"
done
