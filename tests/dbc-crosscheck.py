#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Cross-check 'canrig dbc decode --json --raw' against cantools.

Usage: dbc-crosscheck.py CANRIG FILE.dbc... (cantools must be importable,
e.g. PYTHONPATH=/path/to/cantools/src).  For every message cantools loads,
random frames (some truncated) are decoded by both; any difference in a
present signal's raw or physical value, label or truncation flag is
printed.  Exit 0 when all agree, 1 on a difference.  Not part of 'make
test': cantools is not a dependency.
"""
import json
import math
import random
import subprocess
import sys
import tempfile

import cantools


FD_LENS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64)


def frames_for(db, rng, per_msg):
    out = []
    for m in db.messages:
        if m.frame_id > (0x1FFFFFFF if m.is_extended_frame else 0x7FF):
            continue
        for k in range(per_msg):
            n = m.length
            if n > 8 and n not in FD_LENS:
                n = min(l for l in FD_LENS if l >= n)
            if k % 7 == 6 and n > 0:
                n = rng.randrange(0, n)  # truncated
                if n > 8:
                    n = max(l for l in FD_LENS if l <= n)
            data = bytes(rng.getrandbits(8) for _ in range(n))
            fd = n > 8 or m.is_fd
            out.append((m, data, fd))
    return out


def ascii_only(s):
    return None if s is None else "".join(c for c in s if ord(c) < 128)


def close(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def check(canrig, path, rng):
    try:
        db = cantools.database.load_file(path, strict=False)
    except Exception as e:  # cantools cannot load it: nothing to compare
        return 0, 0, "cantools: %s" % str(e).splitlines()[0][:60]
    frames = frames_for(db, rng, 20)
    if not frames:
        return 0, 0, "no frames"
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        for i, (m, data, fd) in enumerate(frames):
            ident = ("%08X" if m.is_extended_frame else "%03X") % m.frame_id
            sep = "##0" if fd else "#"
            f.write("(1700000000.%06d) can0 %s%s%s\n" % (i, ident, sep, data.hex().upper()))
        log = f.name
    res = subprocess.run([canrig, "dbc", "decode", "--json", "--raw", path, log],
                         capture_output=True, text=True)
    lines = res.stdout.splitlines()
    if len(lines) != len(frames):
        return len(frames), len(frames), "line count %d != %d: %s" % (
            len(lines), len(frames), res.stderr[:200])
    bad = 0
    nsig = 0
    for (m, data, fd), line in zip(frames, lines):
        ours = json.loads(line)
        if ours["msg"] is None:
            # a duplicate id resolves to another message: skip, reported by check
            continue
        if ours["msg"] != m.name:
            continue
        trunc = len(data) < m.length
        try:
            phys = m.decode(data, decode_choices=False, scaling=True,
                            allow_truncated=True, allow_excess=True)
            raw = m.decode(data, decode_choices=False, scaling=False,
                           allow_truncated=True, allow_excess=True)
            lab = m.decode(data, decode_choices=True, scaling=True,
                           allow_truncated=True, allow_excess=True)
        except Exception as e:
            # cantools refuses (e.g. a bad mux value): we must not crash
            continue
        diffs = []
        if ours["truncated"] != trunc:
            diffs.append("truncated %s vs %s" % (ours["truncated"], trunc))
        for k, v in phys.items():
            nsig += 1
            if k not in ours["sig"]:
                diffs.append("%s missing" % k)
                continue
            o = ours["sig"][k]
            if o is None:
                o = float("nan")
            if not close(float(o), float(v)):
                diffs.append("%s phys %r vs %r" % (k, o, v))
            if not close(float(ours["raw"][k]), float(raw[k])):
                diffs.append("%s raw %r vs %r" % (k, ours["raw"][k], raw[k]))
            lv = lab[k]
            if not isinstance(lv, (int, float)):
                # cantools reads every file as cp1252; canrig keeps bytes
                # (UTF-8 passes through): compare the ASCII parts
                if ascii_only(ours["label"].get(k)) != ascii_only(str(lv)):
                    diffs.append("%s label %r vs %r" % (k, ours["label"].get(k), str(lv)))
            elif k in ours["label"]:
                diffs.append("%s label %r not in cantools" % (k, ours["label"][k]))
        for k in ours["sig"]:
            if k not in phys:
                diffs.append("%s extra" % k)
        if diffs:
            bad += 1
            if bad <= 3:
                print("  %s %s %s: %s" % (path, m.name, data.hex(), "; ".join(diffs[:4])))
    return len(frames), bad, "%d signals" % nsig


def main():
    canrig = sys.argv[1]
    rng = random.Random(1)
    total = bad_total = 0
    files = 0
    for path in sys.argv[2:]:
        n, bad, note = check(canrig, path, rng)
        if n:
            files += 1
        total += n
        bad_total += bad
        print("%-70s frames %5d  differing %4d  %s" % (path[-70:], n, bad, note))
    print("crosscheck: %d files, %d frames, %d differing" % (files, total, bad_total))
    return 1 if bad_total else 0


if __name__ == "__main__":
    sys.exit(main())
