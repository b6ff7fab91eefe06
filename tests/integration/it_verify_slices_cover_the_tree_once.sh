#!/bin/bash
# Proves: btsoot-verify --slice K/N for K = 1..N together find a difference
# planted in each of several subtrees exactly once (a slice is a set of
# whole top-level subtrees); --repair within a slice repairs only its own;
# `btsoot status` (and --json) says the whole tree was covered only after
# the last slice ran; bad --slice values get one line and exit 2.
. "$(dirname "$0")/lib.sh"
setup
N=4
for d in $(seq 1 10); do
	mkdir -p "$SRC/d$d/sub"; echo "file $d" > "$SRC/d$d/sub/f"; echo top > "$SRC/t$d"
done
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
# Same size and times, other content: only the hashing verify sees them.
for d in 1 3 5 7 9 10; do
	f="$REM/d$d/sub/f"; touch -r "$f" "$W/ref"; echo "FILE $d" > "$f"; touch -r "$W/ref" "$f"
done
: > "$W/all.out"
for k in $(seq 1 $N); do
	[ "$k" -eq $N ] && "$BTSOOT" status --json t > "$W/before.json"
	"$VERIFY" --slice $k/$N t >> "$W/all.out" 2>"$W/v$k.err"; rc=$?
	[ $rc -le 1 ] || fail "slice $k/$N exit $rc: $(cat "$W/v$k.err")"
done
for d in 1 3 5 7 9 10; do
	assert_eq 1 "$(grep -c "^content d$d/sub/f" "$W/all.out")" "d$d's difference found by exactly one slice"
done
assert_eq 6 "$(wc -l < "$W/all.out")" "the slices found nothing else"
"$BTSOOT" status --json t > "$W/after.json"
python3 - "$W/before.json" "$W/after.json" <<'PY' && pass "status covers the whole tree only after the last slice" || fail "status coverage: $(cat "$W/before.json" "$W/after.json")"
import json, sys
b = json.load(open(sys.argv[1])); a = json.load(open(sys.argv[2]))
b = b["blocks"][0] if "blocks" in b else b
a = a["blocks"][0] if "blocks" in a else a
assert b["whole_tree_verified"]["time"] is None, b["whole_tree_verified"]
assert a["whole_tree_verified"]["time"] is not None and a["whole_tree_verified"]["slices"] == 4, a
PY
"$BTSOOT" status t | grep -q "whole tree verified.*(by 4 slices)" && pass "status says it for a person" ||
	fail "status lines: $("$BTSOOT" status t)"
# A repair of one slice fixes that slice's differences only.
k=$(for k in $(seq 1 $N); do "$VERIFY" --slice $k/$N t >/dev/null 2>&1 || { echo $k; break; }; done)
"$VERIFY" --repair --slice $k/$N t > "$W/rep.out" 2>&1
assert_eq 0 $? "verify --repair --slice $k/$N repairs its slice"
"$VERIFY" --slice $k/$N t >/dev/null 2>&1; assert_eq 0 $? "slice $k is equal afterwards"
"$VERIFY" t > "$W/rest.out" 2>&1; assert_eq 1 $? "the other slices' differences are left"
assert_eq $((6 - $(grep -c '^content' "$W/rep.out"))) "$(grep -c '^content' "$W/rest.out")" \
	"exactly the repaired ones are gone"
for bad in 0/3 4/3 abc 1/0 1/3x /3 -1/3; do
	"$VERIFY" --slice "$bad" t > "$W/bad.out" 2>&1; rc=$?
	assert_eq 2 $rc "--slice $bad exits 2"
	assert_eq 1 "$(wc -l < "$W/bad.out")" "--slice $bad says one line"
done
"$VERIFY" --quick --slice 1/2 t > /dev/null 2>&1; assert_eq 2 $? "--quick --slice is refused"
finish
