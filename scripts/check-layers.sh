#!/bin/sh
# check-layers.sh - `make layers`: every #include "..." of init/ and
# modules/ crosses only an edge that modules/layers.mk allows.
#
#   - a header name exists once in the tree (includes are by bare name);
#   - modules/<L>/ includes only from <L> and from LAYER_<L>;
#   - nothing in modules/ includes a header of init/;
#   - nothing in modules/spawn/child/ includes log.h (the child reports
#     back to PID 1, it never logs).
# Prints one line per violation, "FILE:LINE: includes H (folder F): ...",
# and exits 1 if there was any.
set -eu
cd "$(dirname "$0")/.."
layers=modules/layers.mk

# LAYER_<name> := a b c  ->  the list of <name>
allowed() {
	sed -n "s|^LAYER_$1[[:space:]]*:=[[:space:]]*||p" "$layers"
}
all_layers=$(sed -n 's|^LAYERS[[:space:]]*:=[[:space:]]*||p' "$layers")

# the folder of a header, by name: init, or a layer
folder_of() {
	hits=$(find init modules -name "$1" -type f)
	case $(printf '%s\n' "$hits" | grep -c .) in
	0) echo "?" ;;
	1) d=$(dirname "$hits"); d=${d#modules/}; echo "$d" ;;
	*) echo "dup" ;;
	esac
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bad=0
report() {
	echo "$1" >&2
	bad=1
}

# every layer named in LAYERS has a folder, and the other way round
for l in $all_layers; do
	[ -d "modules/$l" ] || report "$layers: layer $l has no folder modules/$l"
done
for d in $(find modules -mindepth 1 -type d | sed 's|^modules/||'); do
	case " $all_layers " in
	*" $d "*) ;;
	*) report "modules/$d: a folder that $layers does not list in LAYERS" ;;
	esac
done

for f in $(find init modules -name '*.[ch]' | LC_ALL=C sort); do
	case $f in
	init/*) me=init ;;
	*) me=$(dirname "$f"); me=${me#modules/} ;;
	esac
	ok="$me $(allowed "$me")"
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
	sed 's|^\([0-9]*\):.*"\([^"]*\)".*|\1 \2|' > "$tmp" || true
	while read -r line h; do
		where=$(folder_of "$(basename "$h")")
		case $where in
		"?") report "$f:$line: includes $h: no such header in init/ or modules/"; continue ;;
		dup) report "$f:$line: includes $h: more than one header of that name"; continue ;;
		esac
		if [ "$me" = spawn/child ] && [ "$(basename "$h")" = log.h ]; then
			report "$f:$line: includes log.h: code of a container's child reports back, never logs"
			continue
		fi
		[ "$me" = init ] && continue
		if [ "$where" = init ]; then
			report "$f:$line: includes $h (init/): nothing in modules/ uses the PID-1 core"
			continue
		fi
		case " $ok " in
		*" $where "*) ;;
		*) report "$f:$line: includes $h (modules/$where): $me may use only: $ok" ;;
		esac
	done < "$tmp"
done
[ $bad = 0 ] && echo "layers: every include follows $layers"
exit $bad
