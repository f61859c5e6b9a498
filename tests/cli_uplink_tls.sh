#!/bin/bash
# cli_uplink_tls.sh - canrig uplink's TLS and credentials settings without
# a bus or a broker (tests/vcan/t/uplink_tls.sh runs them against one):
# -n checks the keys (FILE:LINE:COL) and what the files hold, exit 2 for
# a wrong setting.  Prints one PASS/FAIL line per check and
# "cli_uplink_tls: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
# shellcheck source=SCRIPTDIR/uplink_certs.sh
. "$PWD/tests/uplink_certs.sh"
SRC=$PWD

(cd "$WORK" && upl_certs && printf 'car:s3cret\n' >cred && chmod 600 cred) || exit 1

# conf BROKER_KEYS: u.yaml with those keys in its broker: line (line 2;
# the keys start at column 38)
conf() {
	cat >u.yaml <<YAML
vehicle: V1
broker: {host: 127.0.0.1, port: 8883, $1}
topic: fleet/{vehicle}
dbc: $SRC/tests/data/demo.dbc
interfaces: [vcan0]
collect: [{message: EngineData}]
spool: {dir: spool}
YAML
}

# refused WANT_LINE: canrig uplink -n refuses u.yaml with exit 2 and one
# line, WANT_LINE (fixed text; OpenSSL's reasons only where they are
# stable: the PEM reader's own)
refused() {
	local rc=0
	"$CANRIG" uplink -n -c u.yaml </dev/null >out 2>err || rc=$?
	cat err
	[ "$rc" -eq 2 ]
	[ "$(wc -l <err)" -eq 1 ]
	[ ! -s out ]
	grep -qxF "canrig uplink: $1" err
}

tls_ok() {
	conf "cafile: ca.pem, certfile: car.pem, keyfile: car.key, credentials: cred"
	"$CANRIG" uplink -n -c u.yaml >out
	grep -qx 'u.yaml: ok: 1 message, 4 signals from 1 interface to 127.0.0.1:8883 topic fleet/V1 (TLS)' out
	# TLS with the broker's CA alone (no client certificate) is fine too
	conf "cafile: ca.pem, credentials: cred"
	"$CANRIG" uplink -n -c u.yaml >out
}

keys_refused() {
	conf "cafile: ca.pem, keyfile: car.key"
	refused "u.yaml:2:9: broker: certfile and keyfile go together"
	conf "certfile: car.pem, keyfile: car.key"
	refused "u.yaml:2:9: broker: a client certificate needs cafile (TLS)"
	conf "cafile: nothere.pem"
	refused "u.yaml:2:47: nothere.pem: No such file or directory"
	conf "cafile: ca.pem, certfile: car.pem, keyfile: nothere.key"
	refused "u.yaml:2:83: nothere.key: No such file or directory"
}

# the password file is the service's alone: group or others may not read it
credentials_mode() {
	local m
	for m in 644 640 604 660; do
		printf 'car:s3cret\n' >c$m
		chmod $m c$m
		conf "credentials: c$m"
		refused "u.yaml:2:52: c$m: readable by others (mode 0$m): the credentials file must be the service's alone (chmod 600)"
	done
	chmod 400 c644
	conf "credentials: c644"
	"$CANRIG" uplink -n -c u.yaml >out
}

credentials_format() {
	printf 'no colon here\n' >bad
	chmod 600 bad
	conf "credentials: bad"
	refused "u.yaml: broker: bad: expected one line USER:PASSWORD"
	printf ':nouser\n' >bad
	refused "u.yaml: broker: bad: expected one line USER:PASSWORD"
}

# what the TLS files hold is checked at start, not at every connection
pem_contents() {
	conf "cafile: car.key"
	refused "u.yaml: broker: cafile car.key: no CA certificate loads from it (no certificate or crl found)"
	conf "cafile: ca.pem, certfile: car.key, keyfile: car.key"
	refused "u.yaml: broker: certfile car.key: no certificate loads from it (no start line)"
	conf "cafile: ca.pem, certfile: car.pem, keyfile: sub.key"
	refused "u.yaml: broker: keyfile sub.key: not the key of certfile car.pem"
	conf "cafile: ca.pem, certfile: car.pem, keyfile: car.pem"
	"$CANRIG" uplink -n -c u.yaml </dev/null 2>err && false
	grep -q "^canrig uplink: u.yaml: broker: keyfile car.pem: no private key loads from it (" err
	# a key with a passphrase: refused, never a prompt on the terminal
	openssl pkey -in car.key -aes256 -passout pass:pw -out enc.key
	conf "cafile: ca.pem, certfile: car.pem, keyfile: enc.key"
	"$CANRIG" uplink -n -c u.yaml </dev/null 2>err && false
	grep -q "^canrig uplink: u.yaml: broker: keyfile enc.key: no private key loads from it" err
}

check tls_ok tls_ok
check keys_refused keys_refused
check credentials_mode credentials_mode
check credentials_format credentials_format
check pem_contents pem_contents
summary
