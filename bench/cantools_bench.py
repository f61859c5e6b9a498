#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Anchor for bench/dbc.sh: cantools' load time and library decode rate.

Usage: cantools_bench.py load FILE.dbc        -> load_ms=...
       cantools_bench.py decode FILE.dbc LOG  -> signals_per_s=...
cantools must be importable (PYTHONPATH); it is not a canrig dependency.
"""
import sys
import time

import cantools


def load(path):
    best = 1e9
    for _ in range(3):
        t = time.perf_counter()
        db = cantools.database.load_file(path, strict=False)
        best = min(best, time.perf_counter() - t)
    print("load_ms=%.1f msgs=%d" % (best * 1e3, len(db.messages)))


def decode(path, log, limit=100000):
    db = cantools.database.load_file(path, strict=False)
    frames = []
    with open(log) as f:
        for line in f:
            if len(frames) >= limit:
                break
            ident, data = line.split()[2].replace("##", "#").split("#")
            if len(data) % 2:
                data = data[1:]  # FD flags nibble
            frames.append((int(ident, 16), bytes.fromhex(data)))
    msgs = [db.get_message_by_frame_id(i) for i, _ in frames]
    best = 0
    for _ in range(3):
        sigs = 0
        t = time.perf_counter()
        for m, (_, d) in zip(msgs, frames):
            sigs += len(m.decode(d, decode_choices=False))
        t = time.perf_counter() - t
        best = max(best, sigs / t)
    print("signals_per_s=%.0f frames=%d" % (best, len(frames)))


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2])
    else:
        decode(sys.argv[2], sys.argv[3])
