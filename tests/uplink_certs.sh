# uplink_certs.sh - a test PKI for canrig uplink's TLS tests, made with
# Debian's openssl CLI in the current directory; sourced by
# tests/cli_uplink_tls.sh and tests/vcan/t/uplink_tls.sh.  EC P-256 keys:
# quick to make even in the emulated guest.

# upl_ca NAME: a self-signed CA, NAME.pem and NAME.key
upl_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=canrig test CA $1" -keyout "$1.key" -out "$1.pem" 2>/dev/null
}

# upl_cert NAME CA SAN: NAME.pem and NAME.key, signed by CA, with the
# subjectAltName SAN (e.g. "IP:127.0.0.1,DNS:localhost")
upl_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
		-keyout "$1.key" -out "$1.csr" 2>/dev/null
	printf 'subjectAltName=%s\n' "$3" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
		-extfile "$1.ext" -out "$1.pem" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}

# upl_certs: the set the tests use.  ca signs the broker (server: the
# loopback address and localhost; wrongname: another host), the car and
# the subscriber; other, a CA nobody trusts, signs a broker (rogue) and a
# car certificate (forged).
upl_certs() {
	upl_ca ca
	upl_ca other
	upl_cert server ca "IP:127.0.0.1,DNS:localhost"
	upl_cert wrongname ca "DNS:broker.example"
	upl_cert car ca "DNS:car"
	upl_cert sub ca "DNS:sub"
	upl_cert rogue other "IP:127.0.0.1,DNS:localhost"
	upl_cert forged other "DNS:car"
	chmod 600 ./*.key
}
