#!/bin/sh
# examples/custom_op.c built against the installed library: `meson install`
# of the build directory (argument 1) into a scratch DESTDIR, then the
# example compiled with the installed tapegrad.pc (its prefix moved to the
# DESTDIR) by the C compiler (argument 2, further arguments: the build's
# sanitizer flags), run, and its last line must read "ok" (every check of
# the op passed and training lowered the loss).
set -u
BUILD="$1"; CC="$2"; shift 2
CFLAGS="$*"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! meson install -C "$BUILD" --no-rebuild --destdir "$tmp/root" \
        --quiet >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"; echo "FAIL: meson install"; exit 1
fi
pc=$(find "$tmp/root" -name tapegrad.pc | head -n 1)
lib=$(find "$tmp/root" -name libtapegrad.so | head -n 1)
if [ -z "$pc" ] || [ -z "$lib" ]; then
    echo "FAIL: installed files missing (pc '$pc', lib '$lib')"; exit 1
fi
prefix=$(sed -n 's/^prefix=//p' "$pc")
PC="pkg-config --define-variable=prefix=$tmp/root$prefix"
export PKG_CONFIG_PATH="$(dirname "$pc")"
# only the installed headers: no -I into the source tree
if ! $CC $($PC --cflags tapegrad) $CFLAGS -o "$tmp/custom_op" \
        "$SRC/examples/custom_op.c" $($PC --libs tapegrad) -lm \
        "-Wl,-rpath,$(dirname "$lib")" >"$tmp/cc.log" 2>&1; then
    cat "$tmp/cc.log"; echo "FAIL: examples/custom_op.c does not build"
    exit 1
fi
"$tmp/custom_op" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
if [ "$rc" -ne 0 ] || [ "$(tail -n 1 "$tmp/out")" != ok ]; then
    echo "FAIL: custom_op exited $rc"; exit 1
fi
echo "PASS: custom_op built against the installed tapegrad.pc"
