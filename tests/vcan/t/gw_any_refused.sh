# gw_any_refused.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# name: any is refused at load: to the kernel it is every CAN
#    interface at once, canrigd's own sends included.
t_gw_any_refused() {
	cat >gw.yaml <<EOF
interfaces:
  - {name: any, domain: everything}
  - {name: vcan1, domain: body}
routes:
  - {name: all-to-body, from: any, to: [vcan1]}
EOF
	_rc=0
	"$CANRIGD" -n -c gw.yaml >any.out 2>&1 || _rc=$?
	cat any.out
	[ "$_rc" = 2 ]
	grep -qE '^canrigd: gw\.yaml:2:[0-9]+: .*any' any.out
	[ "$(wc -l <any.out)" = 1 ]
}
