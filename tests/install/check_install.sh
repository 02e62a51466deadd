#!/bin/sh
# The installed library, command and tapegrad.pc: `meson install` of the
# build directory (argument 1) into a scratch DESTDIR, then
#  - the installed libtapegrad.so and bin/tapegrad carry the OpenMP
#    OpenBLAS directory (argument 3, empty when the build does not use it)
#    as their run path, and ldd resolves libopenblas.so.0 there, not to
#    the system alternative (usually the pthread build);
#  - prog.c builds against tapegrad.pc, once linked to libtapegrad.so and
#    once to libtapegrad.a with `pkg-config --static`, and both run and
#    print "ok" with the OpenMP OpenBLAS serving them.
# Argument 2 is the C compiler; further arguments are compile flags (the
# build's sanitizers). Nothing is rebuilt: the copy takes about a second.
set -u
BUILD="$1"; CC="$2"; OMPDIR="$3"; shift 3
CFLAGS="$*"
SRC=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0
ok() { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

if ! meson install -C "$BUILD" --no-rebuild --destdir "$tmp/root" \
        --quiet >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"; echo "FAIL: meson install"; exit 1
fi
pc=$(find "$tmp/root" -name tapegrad.pc | head -n 1)
lib=$(find "$tmp/root" -name libtapegrad.so | head -n 1)
exe=$(find "$tmp/root" -path '*/bin/tapegrad' | head -n 1)
if [ -z "$pc" ] || [ -z "$lib" ] || [ -z "$exe" ]; then
    echo "FAIL: installed files missing (pc '$pc', lib '$lib', exe '$exe')"
    exit 1
fi
libdir=$(dirname "$lib")
prefix=$(sed -n 's/^prefix=//p' "$pc")

# run path and the OpenBLAS the loader picks
if [ -n "$OMPDIR" ]; then
    for f in "$lib" "$exe"; do
        if readelf -d "$f" | grep -E 'R(UN)?PATH' | grep -qF "[$OMPDIR"; then
            ok
        else
            fail "$f: run path lacks $OMPDIR"; readelf -d "$f" | grep PATH
        fi
        if ldd "$f" | grep 'libopenblas\.so' | grep -qF "=> $OMPDIR/"; then
            ok
        else
            fail "$f: libopenblas not from $OMPDIR"; ldd "$f" | grep blas
        fi
    done
fi

# a program against the installed tapegrad.pc (its prefix moved to DESTDIR)
PC="pkg-config --define-variable=prefix=$tmp/root$prefix"
export PKG_CONFIG_PATH="$(dirname "$pc")"
cflags=$($PC --cflags tapegrad)
shared=$($PC --libs tapegrad)
static=$($PC --static --libs tapegrad | sed 's/-ltapegrad\b/-l:libtapegrad.a/')
check_prog() { # NAME LINK-FLAGS... (after the source, as a linker wants)
    name=$1; shift
    if ! $CC $cflags $CFLAGS -o "$tmp/$name" "$SRC/prog.c" "$@" \
            >"$tmp/cc.log" 2>&1
    then
        fail "$name: does not build: $CC ... $*"; cat "$tmp/cc.log"; return
    fi
    ok
    if env -u LD_LIBRARY_PATH "$tmp/$name" >"$tmp/out" 2>&1 &&
       grep -qx ok "$tmp/out"; then ok
    else fail "$name: does not run"; cat "$tmp/out"; return
    fi
    if [ -n "$OMPDIR" ]; then
        if grep -q USE_OPENMP "$tmp/out" &&
           ldd "$tmp/$name" | grep 'libopenblas\.so' | grep -qF "=> $OMPDIR/"
        then ok
        else fail "$name: not served by the OpenMP OpenBLAS"; cat "$tmp/out"
        fi
    fi
}
# as the tutorial has a user do it: no -rpath and no LD_LIBRARY_PATH of
# our own; tapegrad.pc's run path must find the installed library
check_prog shared $shared
if env -u LD_LIBRARY_PATH ldd "$tmp/shared" 2>/dev/null |
        grep 'libtapegrad\.so' | grep -qF "=> $libdir/"; then
    ok
else
    fail "shared: libtapegrad.so is not found in $libdir without help"
    env -u LD_LIBRARY_PATH ldd "$tmp/shared" | grep tapegrad
fi
check_prog static $static
if readelf -d "$tmp/static" 2>/dev/null | grep -q 'libtapegrad\.so'; then
    fail "static: still needs libtapegrad.so"
else ok
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
