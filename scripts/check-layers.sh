#!/bin/bash
# check-layers.sh - the include rule of docs/architecture.md: a folder
# includes only from itself and the folders below it.  Prints each
# violation as FILE:LINE: and exits 1 if there is one.
#
#   lib      frame view, socket I/O, log formats
#   conf     the YAML reader
#   dbc uds  engines (and their loaders and adapters); neither uses the other
#   doip     DoIP engine and its adapters (the tester runs uds' client,
#            the entity uds' simulator)
#   gateway  the gateway engine (uses uds' ISO-TP classifier, doip) and canrigd
#            (dbc: the DoIP power mode's signal, later the MQTT uplink's)
#   mon      canrig monitor's table model (uses dbc to decode)
#   uplink   canrig uplink: collection, spool, its loader (uses dbc), MQTT adapter
#   tools    the canrig CLI: may use everything
set -u
cd "$(dirname "$0")/.." || exit 1
declare -A may=(
	[lib]="lib"
	[conf]="lib conf"
	[dbc]="lib conf dbc"
	[uds]="lib conf uds"
	[doip]="lib conf uds doip"
	[gateway]="lib conf dbc uds doip gateway"
	[mon]="lib conf dbc mon"
	[uplink]="lib conf dbc uplink"
	[tools]="lib conf dbc uds doip gateway mon uplink tools"
)
bad=0
for dir in "${!may[@]}"; do
	for f in "$dir"/*.[ch]; do
		[ -e "$f" ] || continue
		while IFS=: read -r line inc; do
			h=$(sed -n 's/^#include "\(.*\)".*/\1/p' <<<"$inc")
			[ -n "$h" ] || continue
			home=""
			for d in lib conf dbc uds doip gateway mon uplink tools; do
				[ -e "$d/$h" ] && home=$d
			done
			if [ -z "$home" ]; then
				echo "$f:$line: \"$h\" is in no source folder"
				bad=1
			elif [[ " ${may[$dir]} " != *" $home "* ]]; then
				echo "$f:$line: $dir/ includes $home/$h: a lower layer from a higher one"
				bad=1
			fi
		done < <(grep -n '^#include "' "$f")
	done
done
[ "$bad" -eq 0 ] && echo "layers: every include goes down or sideways within its folder"
exit "$bad"
