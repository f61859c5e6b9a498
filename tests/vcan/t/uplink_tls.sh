# uplink_tls.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced;
# the upl_* helpers are uplink_basic.sh's).

# canrig uplink over TLS, with a client certificate and a password, against
# Debian's mosquitto started here with a CA, server and client certificates
# made here (tests/uplink_certs.sh, openssl).  The samples arrive; then each
# refusal is one line naming its reason, while the uplink keeps retrying
# with its back-off and its spool keeps the samples, which arrive once the
# cause is gone: a client certificate of another CA, a wrong password (MQTT
# 3.1.1 and 5), the broker down, a broker certificate of another CA, a
# broker certificate for another host name.
# shellcheck source=SCRIPTDIR/../../uplink_certs.sh
. "$PWD/tests/uplink_certs.sh"

# uplt_broker_start CERT CA: mosquitto with the TLS listener serving
# CERT.pem (signed by CA), client certificates of ca required, passwords
# from pw; its log in broker-CERT.log
uplt_broker_start() {
	cat >broker.conf <<EOF
listener $UPL_PORT 127.0.0.1
cafile $PWD/ca.pem
certfile $PWD/$1.pem
keyfile $PWD/$1.key
require_certificate true
password_file $PWD/pw
allow_anonymous false
persistence true
persistence_location $PWD/
user root
EOF
	UPLT_SRV_CA=$2.pem UPLT_LOG=broker-$1.log
	"$MOSQUITTO" -c broker.conf >>"$UPLT_LOG" 2>&1 &
	# shellcheck disable=SC2034 # upl_broker_stop's (uplink_basic.sh)
	UPL_BROKER=$!
	poll "mosquitto never served TLS on $UPL_PORT" uplt_broker_up
}

# the probe trusts the CA of the broker's certificate, whatever its name
uplt_broker_up() {
	mosquitto_pub -h 127.0.0.1 -p "$UPL_PORT" --cafile "$UPLT_SRV_CA" --insecure \
		--cert sub.pem --key sub.key -u sub -P subpw -t canrig/probe -m x 2>/dev/null
}

uplt_sub_start() {
	mosquitto_sub -h 127.0.0.1 -p "$UPL_PORT" --cafile ca.pem --cert sub.pem --key sub.key \
		-u sub -P subpw -q 1 -c -i canrig-tls-sub \
		-t 'fleet/WVWZZZ1JZXW000001/signals' >>sub.out 2>>sub.err &
	UPLT_SUB=$!
}

# uplt_yaml NAME CERT CRED PROTOCOL: NAME.yaml, TLS with client
# certificate CERT and the credentials file CRED
uplt_yaml() {
	cat >"$1.yaml" <<EOF
vehicle: WVWZZZ1JZXW000001
broker: {host: 127.0.0.1, port: $UPL_PORT, keepalive: 5, protocol: "$4",
         cafile: ca.pem, certfile: $2.pem, keyfile: $2.key, credentials: $3}
topic: fleet/{vehicle}/signals
dbc: vcan.dbc
interfaces: [vcan0]
collect:
  - {message: EngineData}
  - {message: DoorStatus}
  - {message: Sync}
batch: {max_ms: 50}
spool: {dir: spool, max_mb: 1}
EOF
}

# sockets receiving every frame of vcan0 (candump's, the uplink's): the
# uplink listens once its socket is there, before it says anything
uplt_rx_all() { grep -cE '^ +vcan0 ' /proc/net/can/rcvlist_all 2>/dev/null || true; }
uplt_rx_all_ge() { [ "$(uplt_rx_all)" -ge "$1" ]; }

# connection attempts the broker saw, and MQTT sessions of the uplink it
# accepted
uplt_conns() { grep -c 'New connection from' "$UPLT_LOG" || true; }
uplt_conns_ge() { [ "$(uplt_conns)" -ge "$1" ]; }
uplt_sessions() { grep -c 'New client connected .* as canrig-WVW' "$UPLT_LOG" || true; }

# uplt_refused YAML ERR WHY N: the uplink on YAML (stderr in ERR) while
# N (1..9) samples of each message are sent: it says WHY in one line
# however often it retries, retries with its back-off (the broker sees
# it), gets no session, and spools the samples; then it is stopped
uplt_refused() {
	local n0 s0 t0 t1 n1 r0
	n0=$(uplt_conns) s0=$(uplt_sessions) t0=$(date +%s) r0=$(uplt_rx_all)
	"$CANRIG" uplink -c "$1" >/dev/null 2>"$2" &
	UPL=$!
	poll "the uplink never opened vcan0" uplt_rx_all_ge $((r0 + 1))
	upl_frames 3
	upl_end "$4"
	poll "the refused uplink never spooled its samples" upl_spooled $(($4 - 2))
	wait_for "$2" "broker 127.0.0.1:$UPL_PORT: "
	poll "the refused uplink stopped retrying" uplt_conns_ge $((n0 + 5))
	t1=$(date +%s) n1=$(uplt_conns)
	# no busy loop: after its first attempts (0.1 s doubling to 1 s) at
	# most one a second; a slow guest only makes fewer
	if [ $((n1 - n0)) -gt $((t1 - t0 + 6)) ]; then
		echo "$((n1 - n0)) attempts in $((t1 - t0)) s" >&2
		return 1
	fi
	grep "broker 127.0.0.1:$UPL_PORT: " "$2" >said
	cat said
	[ "$(wc -l <said)" -eq 1 ]
	grep -qF "broker 127.0.0.1:$UPL_PORT: $3" said
	[ "$(uplt_sessions)" -eq "$s0" ]
	absent "\"C\":$((48 + $4))\\}" sub.out
	upl_spooled $(($4 - 2))
	stop "$UPL"
	# the counters at the stop end with it, the last error
	tail -n 1 "$2" | grep -qF "pending in the spool, 0 dropped for space, last error: $3"
}

t_uplink_tls() {
	upl_demo_dbc
	upl_certs
	mosquitto_passwd -b -c pw car s3cret
	mosquitto_passwd -b pw sub subpw
	chmod 600 pw
	printf 'car:s3cret\n' >cred
	printf 'car:wrong\n' >badcred
	chmod 600 cred badcred
	UPL_PORT=$(upl_port)
	uplt_yaml good car cred 3.1.1
	uplt_yaml forged forged cred 3.1.1
	uplt_yaml badpw car badcred 3.1.1
	uplt_yaml badpw5 car badcred 5
	"$CANRIG" uplink -n -c good.yaml | grep -q '(TLS)$'

	# 1: TLS with the car's certificate and password: the samples arrive
	uplt_broker_start server ca
	uplt_sub_start
	candump -L -r 8388608 vcan0 >cd.log &
	"$CANRIG" uplink -c good.yaml >upl.out 2>upl.err &
	UPL=$!
	sync_listeners vcan0 cd.log sub.out
	upl_frames 10
	upl_end 1
	wait_for sub.out '"C":49\}'
	upl_all_arrived
	[ "$(uplt_sessions)" -eq 1 ]
	stop "$UPL"

	# 2: a client certificate signed by another CA: the broker refuses
	# the TLS session; with the right one the spooled samples arrive
	uplt_refused forged.yaml upl2.err "TLS: alert from the broker: tlsv1 alert unknown ca" 2
	"$CANRIG" uplink -c good.yaml >>upl.out 2>>upl.err &
	UPL=$!
	wait_for sub.out '"C":50\}'
	upl_all_arrived
	stop "$UPL"

	# 3: a wrong password: CONNACK refuses it, in MQTT 3.1.1 and 5
	uplt_refused badpw.yaml upl3.err "Connection Refused: not authorised." 3
	uplt_refused badpw5.yaml upl5.err "Connection Refused: Not authorized" 4
	"$CANRIG" uplink -c good.yaml >>upl.out 2>>upl.err &
	UPL=$!
	wait_for sub.out '"C":52\}'
	upl_all_arrived

	# 4: the broker down (said, and retried, not spun on), then back
	# with a certificate of another CA, then with one for another host:
	# each refused and said once; the samples wait in the spool
	kill "$UPLT_SUB"
	wait "$UPLT_SUB" 2>/dev/null || true
	upl_broker_stop
	wait_for upl.err "broker 127.0.0.1:$UPL_PORT: Connection refused"
	upl_frames 3
	upl_end 5
	poll "the uplink never spooled the outage's samples" upl_spooled 3
	uplt_broker_start rogue other
	wait_for upl.err "broker 127.0.0.1:$UPL_PORT: TLS: certificate verify failed \(broker certificate: "
	poll "the uplink stopped retrying" uplt_conns_ge 4
	[ "$(uplt_sessions)" -eq 0 ]
	upl_broker_stop
	uplt_broker_start wrongname ca
	wait_for upl.err "broker 127.0.0.1:$UPL_PORT: TLS: host name verification failed"
	poll "the uplink stopped retrying" uplt_conns_ge 4
	[ "$(uplt_sessions)" -eq 0 ]
	upl_broker_stop
	uplt_broker_start server ca
	uplt_sub_start
	wait_for sub.out '"C":53\}'
	upl_all_arrived
	grep "broker 127.0.0.1:$UPL_PORT: " upl.err >said
	cat said
	[ "$(grep -c 'certificate verify failed' said)" -eq 1 ]
	[ "$(grep -c 'host name verification failed' said)" -eq 1 ]
	[ "$(tail -n 1 said)" = "canrig uplink: broker 127.0.0.1:$UPL_PORT: connected" ]

	stop "$UPL" "$UPLT_SUB"
	grep -q 'acknowledged' upl.err
	upl_broker_stop
}
