# Sourced by the fuzz build scripts (with CC set): the BLAS flags, chosen
# as meson.build chooses them, so the harnesses run the OpenBLAS the
# library runs. Debian's OpenMP build when it is installed (its directory
# is not on the loader's path, where libopenblas.so.0 usually names the
# pthread build, hence the run path), else pkg-config's openblas, else
# cblas. Sets blas_cflags and blas_libs.
#
# clang's -fopenmp links LLVM's libomp, and the OpenMP OpenBLAS needs GCC's
# libgomp, so both are loaded; libomp comes first in the lookup order and
# exports the GOMP_* and omp_* symbols under libgomp's versions, so
# OpenBLAS's parallel regions bind to libomp too and one thread pool serves
# both (LD_DEBUG=bindings shows it).
# shellcheck shell=sh disable=SC2034
ma=
for blas_cc in "$CC" gcc cc; do
    # clang prints an empty line where gcc prints the Debian triplet
    # shellcheck disable=SC2086
    ma=$($blas_cc -print-multiarch 2>/dev/null) || ma=
    [ -n "$ma" ] && break
done
omp_blas_dir=/usr/lib/$ma/openblas-openmp
omp_blas_inc=/usr/include/$ma/openblas-openmp
if [ -n "$ma" ] && [ -e "$omp_blas_dir/libopenblas.so" ] &&
   [ -f "$omp_blas_inc/cblas.h" ]; then
    blas_cflags="-I$omp_blas_inc"
    blas_libs="-L$omp_blas_dir -Wl,-rpath,$omp_blas_dir -lopenblas"
elif pkg-config --exists openblas; then
    blas_cflags=$(pkg-config --cflags openblas)
    blas_libs=$(pkg-config --libs openblas)
else
    blas_cflags=$(pkg-config --cflags cblas)
    blas_libs=$(pkg-config --libs cblas)
fi
