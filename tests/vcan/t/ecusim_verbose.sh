# ecusim_verbose.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canrig ecu-sim -v says what its ECUs do, in lines of fixed form: where
#     each listens, every request and answer with a time stamp (at most 24
#     bytes, then the length), and the S3 timeout that its own timer
#     finds with no frame on the bus; SIGTERM ends it with status 0 and
#     nothing prefixed as an error.
t_ecusim_verbose() {
	cat >sim.yaml <<EOF
ecus:
  - name: solo
    rx: 0x7E0
    tx: 0x7E8
    functional: 0x7DF
    s3_ms: 300
    sessions:
      - {id: default, services: [0x10, 0x22, 0x3E]}
      - {id: extended, services: [0x10, 0x22, 0x3E]}
    dids:
      - {id: 0xF190, ascii: "WVWZZZ1JZXW000001"}
      - {id: 0xF18C, ascii: "SN-0000042"}
EOF
	start_sim vcan0 sim.yaml 7e0
	has sim.log 'solo: on vcan0, requests 7E0, answers 7E8, functional 7DF'
	xrc 0 rd diag -i vcan0 -e 7E0 raw 22F190F18C
	T='^\([0-9]+\.[0-9]{6}\) solo'
	wait_for sim.log "$T <- 22 F1 90 F1 8C\$"
	wait_for sim.log "$T -> 62 F1 90 57 56 57 5A 5A 5A 31 4A 5A 58 57 30 30 30 30 30 31 F1 8C 53 4E \\.\\.\\. \\(32 bytes\\)\$"
	xrc 0 fn diag -i vcan0 -e 7E0 raw 3E00 --functional
	wait_for sim.log "$T <= func 3E 00\$"
	# a session, then silence: the simulator's timer ends it (S3)
	xrc 0 ses diag -i vcan0 -e 7E0 session extended
	wait_for sim.log '^solo: S3 timeout, back in the default session$'
	kill -TERM $SIM
	wait $SIM
	absent 'canrig ecu-sim' sim.log
}
