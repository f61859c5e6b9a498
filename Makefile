# canrig - one non-recursive Makefile for the library, tools and tests.
# Targets: all deps test headers check-unit check-vcan demo bench asan fuzz install
#          uninstall clean format format-check
.SUFFIXES:

VERSION   = 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR    = $(PREFIX)/bin
LIBDIR    = $(PREFIX)/lib
INCDIR    = $(PREFIX)/include/canrig
MANDIR    = $(PREFIX)/share/man
PKGDIR    = $(LIBDIR)/pkgconfig
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SHAREDIR  = $(PREFIX)/share/canrig

CC       ?= cc
AR       ?= ar
PKG_CONFIG ?= pkg-config
B        ?= build
SHELL     = /bin/bash

CFLAGS   ?= -O2 -g

# libyaml (configuration files) is found through pkg-config
YAML_CFLAGS = $(shell $(PKG_CONFIG) --cflags yaml-0.1 2>/dev/null)
YAML_LIBS   = $(shell $(PKG_CONFIG) --libs yaml-0.1 2>/dev/null || echo -lyaml)

WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wcast-qual -Wsign-compare
ifeq ($(CI),true)
WARN     += -Werror
endif
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -Ilib -Iconf -Idbc -Iuds -Idoip -Igateway -Imon -Iuplink $(YAML_CFLAGS) \
             -DCANRIG_VERSION='"$(VERSION)"'
ALL_LDFLAGS = $(LDFLAGS)

# libev ships no .pc file: plain -lev (its header is <ev.h>); zlib: BLF containers,
# deflated by a worker thread (-pthread)
LIBS     = $(YAML_LIBS) -lev -lz -lm -pthread

# the monitor's screen: ncurses (wide), for canrig only
CURSES_CFLAGS = $(shell $(PKG_CONFIG) --cflags ncursesw 2>/dev/null)
CURSES_LIBS   = $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || echo -lncursesw)

# CUnit is found through pkg-config; a missing .pc file is a deps problem.
CUNIT_CFLAGS = $(shell $(PKG_CONFIG) --cflags cunit 2>/dev/null)
CUNIT_LIBS   = $(shell $(PKG_CONFIG) --libs cunit 2>/dev/null || echo -lcunit)

# the configuration loaders (conf/, and each engine's beside it) are in the
# library too: a program links one archive, whatever it loads
LIB_SRC  = lib/cf.c lib/cio.c lib/cio_ev.c lib/clog.c lib/clog_asc.c lib/clog_pcap.c lib/clog_blf.c conf/yml.c \
           dbc/dbc_mem.c dbc/dbc_lex.c dbc/dbc_parse.c dbc/dbc_link.c dbc/dbc.c uds/isotp.c uds/isotp_io.c uds/uds.c \
           uds/uds_client.c uds/uds_io.c uds/uds_sim.c uds/uds_sim_conf.c uds/uds_sim_io.c gateway/gw_csum.c gateway/gw.c \
           gateway/gw_cgw_plan.c gateway/gw_cgw_msg.c gateway/gw_conf.c gateway/gw_conf_doip.c
PUB_HDR  = lib/cf.h lib/cio.h lib/cio_ev.h lib/clog.h conf/yml.h dbc/dbc.h uds/isotp.h uds/isotp_io.h \
           uds/uds.h uds/uds_client.h uds/uds_io.h uds/uds_sim.h uds/uds_sim_conf.h uds/uds_sim_io.h gateway/gw_csum.h gateway/gw.h \
           gateway/gw_conf.h
# gw_cgw.h is not installed: its netlink part (gw_cgw.c) is canrigd's
LIB_HDR  = $(PUB_HDR) dbc/dbc_priv.h dbc/dbc_parser.h gateway/gw_cgw.h gateway/gw_cgw_priv.h gateway/gw_conf_priv.h
# DoIP (ISO 13400-2): the codec and the socket engine, no I/O (docs/doip.md)
LIB_SRC += doip/doip_msg.c doip/doip_conn.c doip/doip_sim_io.c doip/doip_io.c doip/doip_srv_io.c
# the doip: section of the ecu-sim YAML, apart from the ECU reader
LIB_SRC += uds/uds_sim_conf_doip.c
# PEAK TRC logs, a format of the log layer (lib/clog.h)
LIB_SRC += lib/clog_trc.c
# recording into numbered files (canrig dump -l --rotate): when, and the
# names; canrig's own, so its header is not installed
LIB_SRC += lib/clog_rot.c
LIB_HDR += lib/clog_rot.h
PUB_HDR += doip/doip.h doip/doip_sim_io.h doip/doip_io.h doip/doip_srv_io.h
# canrig monitor's table model (docs/monitor.md), an engine like dbc/
LIB_SRC += mon/mon.c
LIB_HDR += mon/mon.h
# canrig uplink (docs/uplink.md): spool, loader and collection engine, no
# sockets; canrig's own, so their headers are not installed
LIB_SRC += uplink/upl_spool.c uplink/upl_conf.c uplink/upl_coll.c
LIB_HDR += uplink/upl_spool.h uplink/upl_conf.h uplink/upl_coll.h
# its --status: the lines (no I/O) and the control socket (a unix socket
# on libev), here so the unit tests reach them
LIB_SRC += uplink/upl_status.c uplink/upl_ctl.c
LIB_HDR += uplink/upl_status.h uplink/upl_ctl.h
# decoded frames as JSON: canrig dbc decode --json and the uplink's samples (not
# installed: canrig's own)
LIB_SRC += dbc/dbc_json.c
LIB_HDR += dbc/dbc_json.h
LIB_OBJ  = $(LIB_SRC:%.c=$(B)/%.o)
TOOL_SRC = tools/canrig.c tools/cmd_dump.c tools/cmd_send.c tools/cmd_replay.c \
           tools/cmd_log.c tools/cmd_dbc.c tools/dbcout.c tools/cmd_isotp.c \
           tools/ucli.c tools/cmd_diag.c tools/cmd_obd.c tools/diddict.c tools/keycmd.c tools/cmd_gw.c \
           tools/cmd_ecusim.c tools/cmd_uplink.c
# canrig monitor: the command here, its screen (tools/monui.c) when present;
# sort drops a second mention of it
TOOL_SRC += tools/cmd_monitor.c $(wildcard tools/monui.c)
# canrig uplink's MQTT adapter: libmosquitto is canrig's alone, not the library's
# (OpenSSL too: it reads the TLS handshake's state and checks the TLS files)
TOOL_SRC += uplink/upl_mqtt.c
MQTT_LIBS = -lmosquitto -lssl -lcrypto
TOOL_OBJ = $(sort $(TOOL_SRC:%.c=$(B)/%.o))
# the unit tests of the screen's key map and cell formats link it too
$(B)/test_unit: LIBS += $(CURSES_LIBS)
# one file per suite, each registering itself (UNIT_SUITE in tests/unit.h)
TEST_SRC = tests/unit.c $(sort $(wildcard tests/test_*.c))
TEST_OBJ = $(TEST_SRC:%.c=$(B)/%.o)
# the parts of canrigd the unit tests link (the netlink socket of can-gw)
TEST_DAEMON_OBJ = $(B)/gateway/gw_cgw.o
# and the monitor's screen, whose cell formats tests/test_monui.c checks
TEST_DAEMON_OBJ += $(B)/tools/monui.o
FUZZERS  = fuzz_cf_parse fuzz_clog_read fuzz_dbc_parse fuzz_dbc_decode fuzz_isotp_rx \
           fuzz_uds_sim fuzz_ecusim_cfg fuzz_uds_rsp fuzz_gw_csum fuzz_gw_conf fuzz_cio_link \
           fuzz_gw_cgw fuzz_gw_fw fuzz_doip fuzz_clog_blf

all: $(B)/libcanrig.a $(B)/canrig $(B)/canrigd $(B)/canrig.pc

# the configuration layer's key tables (conf/yml_read.c) and the DID
# dictionary loader (uds/uds_did.c), library objects like the other loaders
LIB_SRC += conf/yml_read.c uds/uds_did.c
PUB_HDR += conf/yml_read.h uds/uds_did.h
FUZZERS += fuzz_uds_did
# the uplink spool's segment reader and its loader
FUZZERS += fuzz_upl_spool fuzz_upl_conf
# the TRC reader (make fuzz never ran it while it sat above FUZZERS =)
FUZZERS += fuzz_clog_trc
# pcapng / pcap readers (lib/clog_pcap.c)
FUZZERS += fuzz_clog_pcap

# the gateway daemon: the engine and its loader are in the library
CANRIGD_OBJ = $(B)/gateway/canrigd.o $(B)/gateway/gwd_reload.o $(B)/gateway/gwd_offload.o \
              $(B)/gateway/gwd_ctl.o $(B)/gateway/gwd_priv.o $(B)/gateway/gw_cgw.o \
              $(B)/gateway/gwd_doip.o
$(B)/canrigd: $(CANRIGD_OBJ) $(B)/libcanrig.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CANRIGD_OBJ) $(B)/libcanrig.a \
	    $(LIBS) -pthread

# -MMD -MP: each object depends on the headers it really includes; an
# object without its .d (built before) is rebuilt once to make one
$(B)/%.o: %.c $(B)/%.d
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP $(if $(filter tests/%,$<),$(CUNIT_CFLAGS) -Itools) \
	    $(if $(filter tools/%,$<),-Itools $(CURSES_CFLAGS)) -c $< -o $@
DEPS = $(patsubst %.c,$(B)/%.d,$(wildcard lib/*.c conf/*.c dbc/*.c uds/*.c doip/*.c gateway/*.c mon/*.c uplink/*.c \
       tools/*.c tests/*.c))
$(DEPS): ;
-include $(wildcard $(DEPS))

$(B)/libcanrig.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

$(B)/canrig: $(TOOL_OBJ) $(B)/libcanrig.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(TOOL_OBJ) $(B)/libcanrig.a $(LIBS) $(CURSES_LIBS) $(MQTT_LIBS) -ldl

$(B)/test_unit: $(TEST_OBJ) $(TEST_DAEMON_OBJ) $(B)/libcanrig.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(TEST_OBJ) $(TEST_DAEMON_OBJ) \
	    $(B)/libcanrig.a $(CUNIT_LIBS) $(LIBS)

PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCDIR@|$(PREFIX)/include|g' -e 's|@VERSION@|$(VERSION)|g'

# regenerated on every build: PREFIX may differ from the last one
$(B)/canrig.pc: canrig.pc.in FORCE
	@mkdir -p $(@D)
	@$(PC_SED) canrig.pc.in > $@
FORCE:

# --- dependencies: installs missing Debian packages as root, else says how
deps:
	@scripts/deps.sh

# --- tests
test: deps
	@scripts/check-layers.sh
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory all headers $(B)/test_unit $(B)/seedkey_example.so $(B)/doip_encode \
	    $(B)/gwd_doip_host
	@B=$(B) tests/run-all.sh

# the tree as the repository's .clang-format writes it; `make format` fixes
FMT_SRC = $(sort $(wildcard lib/*.[ch] conf/*.[ch] dbc/*.[ch] uds/*.[ch] doip/*.[ch] gateway/*.[ch] \
	    mon/*.[ch] uplink/*.[ch] tools/*.[ch] tests/*.[ch] tests/fuzz/*.c tests/plugin/*.c bench/*.c))
format-check:
	@if clang-format --dry-run --Werror $(FMT_SRC) 2>$(B).fmt.log; then \
	    echo "format: $(words $(FMT_SRC)) files as .clang-format writes them"; rm -f $(B).fmt.log; \
	else grep -o '^[^:]*\.[ch]:[0-9]*:[0-9]*' $(B).fmt.log | head -20; rm -f $(B).fmt.log; \
	    echo "format: the places above differ from .clang-format (make format fixes them)"; exit 1; fi
format:
	clang-format -i $(FMT_SRC)

# every header compiles on its own, as the first include of a file
ALL_HDR = $(sort $(wildcard lib/*.h conf/*.h dbc/*.h uds/*.h doip/*.h gateway/*.h mon/*.h uplink/*.h tools/*.h))
headers: $(ALL_HDR:%.h=$(B)/hdr/%.ok)
$(B)/hdr/%.ok: %.h
	@mkdir -p $(@D)
	@echo '#include "$<"' | $(CC) $(ALL_CFLAGS) -Itools -fsyntax-only -x c - \
	    && touch $@

# SUITE="gw cf" runs only those suites (test_unit --list names them)
check-unit: $(B)/test_unit
	$(B)/test_unit $(SUITE)

# Native when this host can make vcan interfaces, else inside a qemu guest;
# T="NAME..." runs only those tests (tests/vcan/t/NAME.sh).
check-vcan: all $(B)/seedkey_example.so
	@CANRIG=$(CURDIR)/$(B)/canrig tests/vcan/check.sh $(T)

# the DoIP codec on the command line, for tests/cli_doip.sh's cross-check
$(B)/doip_encode: tests/doip_encode.c $(B)/libcanrig.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libcanrig.a $(LIBS)

# canrigd's DoIP entity alone, for tests/cli_gw_doip.sh (the host has no CAN)
$(B)/gwd_doip_host: tests/gwd_doip_host.c $(B)/gateway/gwd_doip.o $(B)/libcanrig.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/gateway/gwd_doip.o $(B)/libcanrig.a $(LIBS)

# the example seed/key plug-in of canrig diag --key-lib
$(B)/seedkey_example.so: tests/plugin/seedkey_example.c uds/uds.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -shared $(ALL_LDFLAGS) -o $@ $<

demo: deps
	@$(MAKE) --no-print-directory all
	@CANRIG=$(CURDIR)/$(B)/canrig tests/vcan/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all $(B)/dbc_bench $(B)/gw_lat $(B)/gw_reload $(B)/doip_lat
	@CANRIG=$(CURDIR)/$(B)/canrig bench/run.sh
	@CANRIG=$(CURDIR)/$(B)/canrig DBCB=$(CURDIR)/$(B)/dbc_bench bench/dbc.sh
	@CANRIG=$(CURDIR)/$(B)/canrig bench/pcapng.sh
	@CANRIG=$(CURDIR)/$(B)/canrig bench/blf.sh

$(B)/dbc_bench: bench/dbc_bench.c $(B)/libcanrig.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libcanrig.a $(LIBS)

# the gateway benchmarks' frame source, sink and latency probe (bench/gw.sh)
$(B)/gw_lat: bench/gw_lat.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

# the DoIP benchmarks' request-to-answer probe (bench/doip.sh)
$(B)/doip_lat: bench/doip_lat.c $(B)/libcanrig.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libcanrig.a $(LIBS)

# a reload's CPU work, timed natively (no CAN needed)
$(B)/gw_reload: bench/gw_reload.c $(B)/libcanrig.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libcanrig.a $(LIBS)

# the monitor model's CPU per frame on bench 18's stream, no bus needed
$(B)/mon_bench: bench/mon_bench.c $(B)/libcanrig.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libcanrig.a $(LIBS)

# --- sanitizers: the whole suite on an ASan+UBSan build
ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined
asan: deps
	@$(MAKE) --no-print-directory B=build-asan CFLAGS="$(ASAN_FLAGS)" \
	    LDFLAGS="$(ASAN_FLAGS)" all build-asan/test_unit \
	    build-asan/seedkey_example.so build-asan/doip_encode build-asan/gwd_doip_host
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 build-asan/test_unit
	CANRIG=$(CURDIR)/build-asan/canrig tests/dbc-corpus.sh
	@rm -f build-asan/san.*
	@set -e; for t in tests/cli_*.sh; do \
	    CANRIG=$(CURDIR)/build-asan/canrig ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/build-asan/san \
	    UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/build-asan/san $$t; done
	@# listeners are stopped with SIGINT and their status is not checked,
	@# so sanitizer reports go to files that must not exist afterwards
	@# ASan in the TCG guest is several times slower: more than the
	@# guest's default 30 min for the whole vcan suite
	@CANRIG=$(CURDIR)/build-asan/canrig CANRIG_VM_TIMEOUT=$${CANRIG_VM_TIMEOUT:-5400} \
	    ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/build-asan/san \
	    UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/build-asan/san \
	    tests/vcan/check.sh
	@if ls build-asan/san.* >/dev/null 2>&1; then cat build-asan/san.*; \
	    echo "asan: sanitizer reports above"; exit 1; fi
	@echo "asan: no sanitizer reports"

# --- fuzzing: each target for FUZZ_SECONDS, corpus seeded from tests/data
FUZZ_SECONDS ?= 60
FUZZ_CC = clang
FUZZ_FLAGS = -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
             -Ilib -Iconf -Idbc -Iuds -Idoip -Igateway -Imon -Iuplink $(YAML_CFLAGS)
fuzz: $(FUZZERS:%=$(B)/fuzz/%)
	@set -o pipefail; for f in $(FUZZERS); do \
	    mkdir -p $(B)/fuzz/corpus-$$f; \
	    cp tests/fuzz/seeds/$$f/* $(B)/fuzz/corpus-$$f/ 2>/dev/null; \
	    echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
	    $(B)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	        -print_final_stats=1 $(B)/fuzz/corpus-$$f \
	        2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' \
	        || { echo "fuzz: $$f FAILED (crash input saved in the current directory)"; exit 1; }; \
	done

$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(LIBS)

# --- install
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(PKGDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 755 $(B)/canrig $(DESTDIR)$(BINDIR)/canrig
	install -m 755 $(B)/canrigd $(DESTDIR)$(BINDIR)/canrigd
	install -m 644 man/canrigd.8 $(DESTDIR)$(MANDIR)/man8/canrigd.8
	sed 's|@BINDIR@|$(BINDIR)|g' dist/canrigd.service.in >$(DESTDIR)$(UNITDIR)/canrigd.service
	install -m 644 dist/canrigd-offload.conf $(DESTDIR)$(SHAREDIR)/canrigd-offload.conf
	install -m 644 dist/canrigd.sysusers $(DESTDIR)$(SYSUSERSDIR)/canrigd.conf
	sed 's|@BINDIR@|$(BINDIR)|g' dist/canrig-uplink.service.in \
	    >$(DESTDIR)$(UNITDIR)/canrig-uplink.service
	install -m 644 dist/canrig-uplink.sysusers $(DESTDIR)$(SYSUSERSDIR)/canrig-uplink.conf
	install -m 644 $(B)/libcanrig.a $(DESTDIR)$(LIBDIR)/libcanrig.a
	install -m 644 $(PUB_HDR) $(DESTDIR)$(INCDIR)/
	install -m 644 man/canrig.1 $(DESTDIR)$(MANDIR)/man1/canrig.1
	install -m 644 $(B)/canrig.pc $(DESTDIR)$(PKGDIR)/canrig.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/canrigd $(DESTDIR)$(MANDIR)/man8/canrigd.8 \
	    $(DESTDIR)$(UNITDIR)/canrigd.service $(DESTDIR)$(SHAREDIR)/canrigd-offload.conf \
	    $(DESTDIR)$(SYSUSERSDIR)/canrigd.conf
	rm -f $(DESTDIR)$(UNITDIR)/canrig-uplink.service \
	    $(DESTDIR)$(SYSUSERSDIR)/canrig-uplink.conf
	-rmdir $(DESTDIR)$(SHAREDIR) 2>/dev/null
	rm -f $(DESTDIR)$(BINDIR)/canrig $(DESTDIR)$(LIBDIR)/libcanrig.a \
	    $(DESTDIR)$(MANDIR)/man1/canrig.1 $(DESTDIR)$(PKGDIR)/canrig.pc
	rm -f $(addprefix $(DESTDIR)$(INCDIR)/,$(notdir $(PUB_HDR)))
	-rmdir $(DESTDIR)$(INCDIR) 2>/dev/null

clean:
	rm -rf build build-asan

.PHONY: FORCE all deps test check-unit check-vcan demo bench asan fuzz install format format-check \
	uninstall clean
