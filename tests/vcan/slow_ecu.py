# slow_ecu.py IF RX TX STMIN_MS GO_DIR - a slow ECU for the gw_doip_* vcan
# tests: ISO-TP receiving on a raw socket, its flow control asking for
# STMIN_MS between consecutive frames, so that a long request takes
# seconds on the bus.  No receive timeout of its own (the kernel's ISO-TP
# gives up after 1 s, and an emulated guest under load can pause longer).
# Each request is logged (SID and length) to GO_DIR/ecu.log and answered
# once the file GO_DIR/go.N exists (N = 1, 2, ... per request), so the
# test decides when: by order, never by time.  Answers, single frames:
# 22 xx yy -> 62 xx yy 41, 2E xx yy ... -> 6E xx yy, any other SID ->
# SID+0x40.
import os
import socket
import struct
import sys
import time

ifname, rx, tx, stmin, d = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3], 16), \
    int(sys.argv[4]), sys.argv[5]
FMT = "=IB3x8s"
s = socket.socket(socket.AF_CAN, socket.SOCK_RAW, socket.CAN_RAW)
# an exact 11-bit filter (EFF and RTR in the mask): the kernel lists it in
# /proc/net/can/rcvlist_sff, where wait_rx looks for a listener
s.setsockopt(socket.SOL_CAN_RAW, socket.CAN_RAW_FILTER, struct.pack("=II", rx, 0xC00007FF))
s.bind((ifname,))


def send(data):
    data = data + b"\xcc" * (8 - len(data))
    s.send(struct.pack(FMT, tx, 8, data))


n = 0
req, total = b"", 0
while True:
    _, dlc, data = struct.unpack(FMT, s.recv(16))
    data = data[:dlc]
    pci = data[0] >> 4
    if pci == 0:
        req, total = data[1:1 + (data[0] & 0xF)], data[0] & 0xF
    elif pci == 1:
        req, total = data[2:8], (data[0] & 0xF) << 8 | data[1]
        send(bytes([0x30, 0, stmin]))
        continue
    elif pci == 2 and total:
        req += data[1:8]
        if len(req) < total:
            continue
        req = req[:total]
    else:
        continue
    n += 1
    total = 0
    with open(os.path.join(d, "ecu.log"), "a") as f:
        f.write("request %d: SID %02X, %d bytes\n" % (n, req[0], len(req)))
    go = os.path.join(d, "go.%d" % n)
    while not os.path.exists(go):
        time.sleep(0.05)
    if req[0] == 0x22:
        ans = b"\x62" + req[1:3] + b"\x41"
    elif req[0] == 0x2E:
        ans = b"\x6e" + req[1:3]
    else:
        ans = bytes([req[0] + 0x40])
    send(bytes([len(ans)]) + ans)
