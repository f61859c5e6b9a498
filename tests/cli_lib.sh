#!/bin/bash
# cli_lib.sh - "the library from outside" (issue 19): the built tree is
# installed into a temporary root with 'make install DESTDIR=', and a C and
# a C++ program are built against it with nothing but
# 'pkg-config --cflags --libs canrig' (and --static), then run.  The
# program calls a function of every installed header, so a header without
# its extern "C" guard fails the C++ link.  Prints one PASS/FAIL line per
# check and "cli_lib: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
ROOT=$PWD
# the build directory the tested canrig came from: installed as it is,
# nothing is rebuilt (an asan tree stays an asan tree)
B=$(cd "$(dirname "$CANRIG")" && pwd)

DEST=$WORK/root
# a sanitized tree (make asan) needs its runtime in every program it links
SAN=
if nm "$B/libcanrig.a" 2>/dev/null | grep -q ' U __asan_\| U __ubsan_'; then
	SAN=-fsanitize=address,undefined
fi
export PKG_CONFIG_SYSROOT_DIR=$DEST
# only the installed tree: a canrig.pc elsewhere on the system must not count
export PKG_CONFIG_LIBDIR=$DEST/usr/lib/pkgconfig
unset PKG_CONFIG_PATH

# one function of every public header; the same source is C and C++
cat >"$WORK/prog.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cf.h"
#include "cio.h"
#include "cio_ev.h"
#include "clog.h"
#include "dbc.h"
#include "isotp.h"
#include "isotp_io.h"
#include "uds.h"
#include "uds_client.h"
#include "uds_io.h"
#include "uds_sim.h"
#include "gw_csum.h"
#include "gw.h"
#include "yml_read.h"
#include "uds_did.h"
#include "yml.h"
#include "uds_sim_conf.h"
#include "uds_sim_io.h"
#include "gw_conf.h"
#include "doip.h"
#include "doip_io.h"
#include "doip_sim_io.h"
#include "doip_srv_io.h"

static const char text[] =
	"VERSION \"\"\n"
	"BO_ 100 M: 8 X\n"
	" SG_ volts : 0|16@1+ (0.1,0) [0|0] \"V\" X\n";

int main(void)
{
	struct dbc_db *db = NULL;
	const struct dbc_message *m;
	struct dbc_value v;
	struct cf_frame f;
	struct cio_ring ring;
	struct isotp_cfg icfg;
	struct uds_client_cfg ucfg;
	struct uds_io_cfg iocfg;
	struct uds_sim_cfg *scfg;
	char err[DBC_ERRMSG_MAX], out[CF_COMPACT_MAX], num[64];
	uint8_t buf[CF_MAX_LEN];
	uint64_t raw = 0;

	if (dbc_load_mem("t.dbc", text, sizeof(text) - 1, NULL, &db, err,
			 sizeof(err))) {
		printf("load: %s\n", err);
		return 1;
	}
	m = dbc_find_id(db, 100, 0);
	/* rounds the raw value: needs libm */
	if (!m || dbc_to_raw(&m->sigs[0], 12.3, &raw))
		return 1;
	memset(buf, 0, sizeof(buf));
	dbc_insert(&m->sigs[0], buf, raw);
	memset(&f, 0, sizeof(f));
	f.id = 100;
	f.len = 8;
	f.data = buf;
	out[cf_format_compact(&f, out)] = 0;
	dbc_decode(m, &f, 0, &v, NULL);
	num[dbc_fmt_phys(&m->sigs[0], &v, num)] = 0;
	printf("%s %s=%s %s\n", out, m->sigs[0].name, num, m->sigs[0].unit);
	dbc_free(db);

	printf("dlc 9 = %u bytes\n", cf_dlc2len(9));
	if (cio_ring_init(&ring, 4))
		return 1;
	cio_ring_fini(&ring);
	printf("asc: %s\n", clog_format_find("asc") ? "yes" : "no");
	isotp_cfg_init(&icfg);
	/* the ev-loop part: needs libev */
	printf("clock: %s\n", isotp_io_now() && cio_now_ns() ? "yes" : "no");
	printf("nrc 0x31: %s\n", uds_nrc_name(0x31));
	uds_client_cfg_init(&ucfg);
	uds_io_cfg_11bit(&iocfg, 0x7E0, 0x7E8);
	printf("request id of 0x7E8: 0x%X\n", (unsigned int)uds_io_request_id(&iocfg, 0x7E8));
	scfg = (struct uds_sim_cfg *)calloc(1, sizeof(*scfg));
	if (!scfg)
		return 1;
	uds_sim_cfg_init(scfg);
	free(scfg);
	printf("crc8 j1850: 0x%02X\n",
	       gw_crc8_sae_j1850((const uint8_t *)"123456789", 9, 0, 1));
	printf("drop: %s\n", gw_drop_name(GW_DROP_RATE));
	{
		/* the DoIP codec: an alive check request is its bare header */
		uint8_t d[16];
		size_t dl = 0;
		struct doip_msg dm;
		int rc;

		memset(&dm, 0, sizeof(dm));
		dm.type = DOIP_T_ALIVE_REQ;
		rc = doip_build(&dm, d, sizeof(d), &dl);
		printf("doip: %d %u %s\n", rc, (unsigned int)dl, doip_close_name(DOIP_CL_INITIAL));
	}
	{
		/* the DoIP adapters: the tester's defaults, closing a
		 * simulator entity and a socket table never opened */
		struct doip_io_cfg dc;
		static struct doip_sim ds;
		static struct doip_srv dsrv;

		doip_io_cfg_init(&dc, 0x10);
		doip_sim_close(&ds);
		doip_srv_close(&dsrv);
		printf("doip_io: %04X %s\n", (unsigned int)dc.sa, doip_io_ra_name(DOIP_RA_OK));
	}
	{
		/* the configuration loaders: need libyaml */
		static const char gwy[] = "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\n"
					  "routes:\n  - {name: r, from: vcan0, to: [vcan1]}\n";
		struct yml y;
		struct ecusim_cfg ec;
		struct gw_conf gc;
		char e2[256];

		memset(&y, 0, sizeof(y));
		printf("yml: %d\n", yml_load_mem(&y, "t.yaml", "a: 1\n", 5));
		yml_fini(&y);
		memset(&ec, 0, sizeof(ec));
		printf("ecusim: %d\n", ecusim_cfg_load(&ec, "e.yaml", "x: 1\n", 5, e2, sizeof(e2)) < 0);
		ecusim_cfg_fini(&ec);
		{
			/* the simulator's adapter: closing one never opened */
			struct uds_sim_io_run sr;

			memset(&sr, 0, sizeof(sr));
			uds_sim_io_close(&sr);
		}
		memset(&gc, 0, sizeof(gc));
		printf("gw_conf: %d\n", gw_conf_load_mem(&gc, "g.yaml", gwy, sizeof(gwy) - 1, e2,
							  sizeof(e2)));
		gw_conf_fini(&gc);
		{
			struct uds_did_dict dd;
			void *arena = NULL;

			uds_did_init(&dd);
			printf("did: %d\n", uds_did_lookup_name(&dd, "VIN"));
			uds_did_fini(&dd);
			yml_arena_free(&arena);
		}
	}
	return 0;
}
EOF
cat >"$WORK/want" <<'EOF'
064#7B00000000000000 volts=12.3 V
dlc 9 = 12 bytes
asc: yes
clock: yes
nrc 0x31: requestOutOfRange
request id of 0x7E8: 0x7E0
crc8 j1850: 0x4B
drop: rate-limited
doip: 0 8 initial-inactivity
doip_io: 0E80 routing activated
yml: 0
ecusim: 1
gw_conf: 0
did: 61840
EOF

installs() {
	[ -f "$B/libcanrig.a" ] || { echo "no $B/libcanrig.a: build first"; return 1; }
	# -o: install what is built, never remake it from here
	MAKEFLAGS='' make -C "$ROOT" --no-print-directory B="$B" PREFIX=/usr \
		DESTDIR="$DEST" -o "$B/libcanrig.a" -o "$B/canrig" -o "$B/canrigd" \
		install >install.log
	[ -f "$DEST/usr/lib/libcanrig.a" ]
	[ -f "$DEST/usr/lib/pkgconfig/canrig.pc" ]
	pkg-config --exists canrig
	[ "$(pkg-config --modversion canrig)" = \
		"$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")" ]
	# the program covers every installed header
	local h
	for h in "$DEST"/usr/include/canrig/*.h; do
		grep -qx "#include \"${h##*/}\"" prog.c ||
			{ echo "prog.c does not use ${h##*/}: add a call"; return 1; }
	done
}

# plain --libs: a static-only library must name what it needs there
c_links() {
	# shellcheck disable=SC2046
	cc -std=c99 -Wall -Werror $SAN -o prog-c prog.c $(pkg-config --cflags --libs canrig)
	./prog-c >got
	diff want got
}

cxx_links() {
	command -v g++ >/dev/null || { echo "g++ missing: scripts/deps.sh installs it"; return 1; }
	# shellcheck disable=SC2046
	g++ -x c++ -std=c++11 -Wall -Wextra -Werror $SAN -o prog-cxx prog.c -x none \
		$(pkg-config --cflags --libs canrig)
	./prog-cxx >got
	diff want got
}

static_links() {
	local libs
	libs=$(pkg-config --static --libs canrig)
	echo "$libs" | grep -qw -- -lev
	echo "$libs" | grep -qw -- -lm
	# shellcheck disable=SC2046,SC2086
	cc $SAN -o prog-s prog.c $(pkg-config --cflags canrig) $libs
	./prog-s >got
	diff want got
}

check installs installs
check c_links c_links
check cxx_links cxx_links
check static_links static_links
summary
