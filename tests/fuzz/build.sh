#!/bin/sh
# Build the libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined)
# against the library sources directly; the default build does not need
# clang. Usage: tests/fuzz/build.sh [OUTDIR]   (default build-fuzz)
# Then e.g.:  build-fuzz/fuzz_expr -max_total_time=600 build-fuzz/corpus-expr \
#                 tests/fuzz/corpus/expr
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-"$root/build-fuzz"}
mkdir -p "$out"
CC=${CC:-clang}
deps="sleef zlib"
. "$root/tests/fuzz/blas.sh"
# shellcheck disable=SC2086
cflags="$(pkg-config --cflags $deps) $blas_cflags -std=c17 -D_GNU_SOURCE -g -O1 -fopenmp \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I$root/include -I$root"
# shellcheck disable=SC2086
libs="$(pkg-config --libs $deps) $blas_libs -lm"
# not src/dist.c: it needs MPI, and no harness uses it
srcs=$(ls "$root"/src/*.c "$root"/src/nn/*.c "$root"/ops/*.c 2>/dev/null | grep -v '/src/dist\.c$')
for h in expr cli; do
    extra=""
    [ "$h" = cli ] && extra="$root/src/cli/cli.c"
    echo "building $out/fuzz_$h"
    # shellcheck disable=SC2086
    $CC $cflags -o "$out/fuzz_$h" "$root/tests/fuzz/fuzz_$h.c" $extra $srcs $libs
    mkdir -p "$out/corpus-$h"
done
echo "run: $out/fuzz_expr -max_total_time=600 $out/corpus-expr $root/tests/fuzz/corpus/expr"
