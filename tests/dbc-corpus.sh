#!/bin/bash
# dbc-corpus.sh [DIR] - load every DBC file under DIR (default: the shared
# corpus beside the checkout, if there is one) with 'canrig dbc check' and
# report how many load cleanly, how many with warnings (and which kinds),
# and any that fail to load or crash.  Exit 1 on a load failure or crash.
# Tests never depend on the corpus: without it this prints a note, exits 0.
set -u
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
DIR=${1:-${CANRIG_DBC_CORPUS:-../shared/dbc-corpus}}
if [ ! -d "$DIR" ]; then
	echo "dbc corpus: $DIR not present; skipped (optional, not part of a clone)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
clean=0 warned=0 failed=0 crashed=0 msgs=0 files=0
while IFS= read -r -d '' f; do
	files=$((files + 1))
	# warnings carry a column (file:line:col:); lint findings do not
	"$CANRIG" dbc check "$f" >"$out/findings" 2>"$out/err"
	rc=$?
	if [ "$rc" -ge 128 ] || grep -q 'Sanitizer\|runtime error' "$out/err"; then
		crashed=$((crashed + 1))
		echo "CRASH $f (status $rc)"
		head -5 "$out/err"
		continue
	fi
	# a file that loads ends in the summary line; status 1 is also findings
	if ! grep -qE ': [0-9]+ messages, [0-9]+ findings?$' "$out/err"; then
		failed=$((failed + 1))
		echo "FAIL $f: $(head -1 "$out/err")"
		continue
	fi
	n=$(sed -n 's/.*: \([0-9]*\) messages, .*/\1/p' "$out/err")
	msgs=$((msgs + ${n:-0}))
	if grep -qE '^[^ ]+:[0-9]+:[0-9]+: ' "$out/findings"; then
		warned=$((warned + 1))
		grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "$out/findings" |
			sed -E 's/^[^ ]+:[0-9]+:[0-9]+: //; s/(message|signal) [^ ]+:/\1 X:/; s/ in [^ ]+$/ in X/; s/0x[0-9A-Fa-f]+/N/g; s/[0-9]+/N/g; s/'"'"'[^'"'"']*'"'"'/X/g' |
			cut -c1-60 >>"$out/kinds"
	else
		clean=$((clean + 1))
	fi
done < <(find "$DIR" -type f -iname '*.dbc' -print0 | sort -z)
echo "dbc corpus: $files files, $msgs messages: $clean load without warnings," \
	"$warned with warnings, $failed fail to load, $crashed crash"
if [ -s "$out/kinds" ]; then
	echo "dbc corpus: warnings by kind (count, text with numbers as N):"
	sort "$out/kinds" | uniq -c | sort -rn | head -15 | sed 's/^/  /'
fi
[ "$failed" -eq 0 ] && [ "$crashed" -eq 0 ]
