#!/usr/bin/python3
"""uplink_expect.py - what canrig uplink --from-log must print, computed
from `canrig dbc decode --json` of the same log (tests/cli_uplink.sh).

  uplink_expect.py yaml DECODE.json OUT.yaml DBC [every_ms|on_change|select]
      writes a config collecting every message the decode names, from every
      bus it names, in that mode
  uplink_expect.py expect DECODE.json OUT.yaml
      prints the samples that config must give, one JSON object per line:
      the decoder's objects with only the selected signals, the latest per
      every_ms interval (on the log's clock), or those whose selected
      signals changed
  uplink_expect.py same WANT GOT
      exits 1 unless both hold the same objects (in any order for
      every_ms, whose samples are made at the interval's end)
"""
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def mode_conf(argv):
    dec, out, dbc, mode = argv[2], argv[3], argv[4], argv[5]
    objs = [o for o in load(dec) if o["msg"]]
    buses = sorted({o["bus"] for o in objs})
    msgs = []
    sigs = {}
    for o in objs:
        if o["msg"] not in msgs:
            msgs.append(o["msg"])
        sigs.setdefault(o["msg"], [])
        for s in o["sig"]:
            if s not in sigs[o["msg"]]:
                sigs[o["msg"]].append(s)
    lines = ["vehicle: V", "broker: {host: h}", "topic: t", "dbc: " + dbc,
             "interfaces: [%s]" % ", ".join(buses), "collect:"]
    for m in msgs:
        if mode in ("on_change", "select") and not sigs[m]:
            continue  # no signal of it was ever decoded: nothing to select
        extra = ""
        if mode == "every_ms":
            extra = ", every_ms: 120"
        elif mode == "on_change":
            # the last signal only, so unchanged frames exist
            extra = ", on_change: true, signals: [%s]" % sigs[m][-1]
        elif mode == "select":
            extra = ", signals: [%s]" % ", ".join(sigs[m][::2])
        lines.append("  - {message: %s%s}" % (m, extra))
    lines.append("spool: {dir: /nonexistent}")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


def read_conf(path):
    """mode and selection per message from the config mode_conf wrote"""
    conf = {}
    with open(path) as f:
        for l in f:
            l = l.strip()
            if not l.startswith("- {message: "):
                continue
            body = l[len("- {message: "):-1]
            name = body.split(",")[0]
            c = {"every_ms": None, "on_change": False, "signals": None}
            if "every_ms: " in body:
                c["every_ms"] = int(body.split("every_ms: ")[1].split(",")[0])
            if "on_change: true" in body:
                c["on_change"] = True
            if "signals: [" in body:
                c["signals"] = [s.strip() for s in
                                body.split("signals: [")[1].split("]")[0].split(",")]
            conf[name] = c
    return conf


def select(o, sel):
    if sel is None:
        return o
    o = dict(o)
    o["sig"] = {k: v for k, v in o["sig"].items() if k in sel}
    o["label"] = {k: v for k, v in o["label"].items() if k in sel}
    return o


def mode_expect(argv):
    objs = [o for o in load(argv[2]) if o["msg"]]
    conf = read_conf(argv[3])
    out = []
    held = {}
    last = {}
    for o in objs:
        if o["msg"] not in conf:
            continue
        c = conf[o["msg"]]
        key = (o["msg"], o["bus"])
        s = select(o, c["signals"])
        if c["every_ms"]:
            p = c["every_ms"] * 1000
            # the log's clock in microseconds: the decoder prints 6 digits
            iv = int(round(o["t"] * 1e6)) // p
            if key in held and held[key][0] != iv:
                out.append(held[key][1])
            held[key] = (iv, s)
        elif c["on_change"]:
            if last.get(key) != s["sig"]:
                out.append(s)
            last[key] = s["sig"]
        else:
            out.append(s)
    out.extend(v[1] for v in held.values())
    for o in out:
        print(json.dumps(o, separators=(",", ":")))
    return 0


def mode_same(argv):
    want = sorted(json.dumps(o, sort_keys=True) for o in load(argv[2]))
    got = sorted(json.dumps(o, sort_keys=True) for o in load(argv[3]))
    if want != got:
        print("want %d samples, got %d" % (len(want), len(got)), file=sys.stderr)
        for w in sorted(set(want) ^ set(got))[:5]:
            print(("missing: " if w in want else "extra: ") + w, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit({"yaml": mode_conf, "expect": mode_expect, "same": mode_same}[sys.argv[1]](sys.argv))
