#!/bin/sh
# End-to-end checks of the `tapegrad` binary (argument 1): exit statuses,
# JSON validity through python3's json module, and that Graphviz renders
# the DOT output. Parts whose tool is missing are skipped, not failed.
set -u
TG="$1"
fails=0
passes=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_rc() { # WANT DESCRIPTION CMD...
    want=$1; what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq "$want" ]; then passes=$((passes + 1))
    else
        fails=$((fails + 1))
        echo "FAIL: $what: exit $rc, want $want"; cat "$tmp/err"
    fi
}

expect_rc 0 "check passes" "$TG" check 'tanh(x) * y' x=3x4 y=4
expect_rc 1 "check fails at a kink" "$TG" check 'relu(x)' x=3:0.5,0,-0.5
expect_rc 2 "parse error" "$TG" check 'tanh(x' x=3
expect_rc 2 "unknown input" "$TG" check 'x + z' x=3
expect_rc 2 "missing shape" "$TG" check 'x * 2' x
expect_rc 2 "shape mismatch" "$TG" check 'a + b' a=3 b=4
expect_rc 2 "unknown command" "$TG" frobnicate
expect_rc 0 "demo list still dispatched" "$TG" demo --list

# one line on stderr for usage errors
"$TG" check 'a + b' a=3 b=4 2>"$tmp/err"
if [ "$(wc -l <"$tmp/err")" -eq 1 ]; then passes=$((passes + 1))
else fails=$((fails + 1)); echo "FAIL: shape mismatch is not one line"; cat "$tmp/err"; fi

if command -v python3 >/dev/null 2>&1; then
    # All JSON documents first, then one python3 run (it starts slowly).
    n=0
    for args in "grad|x @ w + b|x=2x3|w=3x2|b=2" \
                "grad|log(x) * y|x=3:0,1,2|y=3" \
                "check|softmax(x, axis=-1) * y|x=2x3|y=2x3" \
                "check|relu(x)|x=2:0,1" \
                "check|--all-ops" \
                "grad|x * x|x=3:0.1,-2.5,3"; do
        old_ifs=$IFS; IFS='|'; set -- $args; IFS=$old_ifs
        n=$((n + 1))
        "$TG" "$@" --json >"$tmp/j$n.json"
        rc=$?
        if [ "$1" = check ] && [ "$2" = --all-ops ]; then
            if [ "$rc" -eq 0 ]; then passes=$((passes + 1))
            else fails=$((fails + 1)); echo "FAIL: check --all-ops exit $rc"; fi
        fi
    done
    if python3 - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
docs = [json.load(open("%s/j%d.json" % (d, i))) for i in range(1, 7)]
assert docs[4]["pass"] and docs[4]["ops"], "--all-ops --json"
x = docs[5]["inputs"]["x"]          # d sum(x*x) = 2x, exact round trip
assert x["data"] == [0.1, -2.5, 3.0], x
assert x["grad"] == [0.2, -5.0, 6.0], x
assert docs[5]["output"]["shape"] == [3]
v = docs[1]["output"]["data"][0]              # log(0) * y: infinite
assert v in ("Infinity", "-Infinity") and float(v) == float("-inf") * docs[1]["inputs"]["y"]["data"][0], v
assert all(j["schema_version"] == 1 for j in docs)
assert [j["command"] for j in docs] == ["grad", "grad", "check", "check", "check", "grad"]
PY
    then passes=$((passes + 1))
    else fails=$((fails + 1)); echo "FAIL: JSON checks"; fi
else
    echo "python3 not found: JSON checks skipped"
fi

"$TG" dot 'tanh(x @ w + b) * 2' x=2x3 w=3x2 b=2 -o "$tmp/g.dot"
if [ -s "$tmp/g.dot" ]; then passes=$((passes + 1))
else fails=$((fails + 1)); echo "FAIL: dot -o wrote nothing"; fi
if command -v dot >/dev/null 2>&1; then
    if dot -Tsvg "$tmp/g.dot" -o "$tmp/g.svg" && grep -q '<svg' "$tmp/g.svg"; then
        passes=$((passes + 1))
    else fails=$((fails + 1)); echo "FAIL: dot -Tsvg could not render"; fi
else
    echo "graphviz not found: rendering check skipped"
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
