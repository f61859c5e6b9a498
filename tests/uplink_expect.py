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
  uplink_expect.py when-yaml DECODE.json OUT.yaml DBC
      writes a config with a when: condition per message (on the signals
      whose value crosses its median about every 20th frame), before_ms where the DBC
      gives the message a cycle time, after_ms on every other one
  uplink_expect.py when-expect DECODE.json OUT.yaml DBC
      prints the samples that config must give, in order: this file's own
      reading of the condition language and of the windows (docs/uplink.md)
  uplink_expect.py when-log OUT.log
      writes a candump log for tests/data/demo.dbc whose timing hits the
      windows' bounds: EngineData every 10 ms on vcan0 (some truncated),
      DoorStatus every 30 ms on vcan1, values from a fixed random sequence
  uplink_expect.py same-order WANT GOT
      as same, but the order must match too
  uplink_expect.py inflate RAW OUT
      RAW is --raw output: zlib streams one after the other; writes their
      JSON to OUT, prints how many streams there were
"""
import collections
import json
import random
import re
import sys
import zlib


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


def cycle_times(dbc):
    """message name -> GenMsgCycleTime (ms) from the DBC's text"""
    text = open(dbc, encoding="latin-1").read()
    names = {m.group(1): m.group(2)
             for m in re.finditer(r"^BO_ (\d+) (\w+)\s*:", text, re.M)}
    out = {}
    for m in re.finditer(r'^BA_ "GenMsgCycleTime" BO_ (\d+) (\d+)\s*;', text, re.M):
        if m.group(1) in names and int(m.group(2)) > 0:
            out[names[m.group(1)]] = int(m.group(2))
    return out


def when_conf(argv):
    dec, out, dbc = argv[2], argv[3], argv[4]
    objs = [o for o in load(dec) if o["msg"]]
    buses = sorted({o["bus"] for o in objs})
    cyc = cycle_times(dbc)
    msgs, series = [], {}
    for o in objs:
        if o["msg"] not in msgs:
            msgs.append(o["msg"])
        for k, v in o["sig"].items():
            series.setdefault((o["msg"], k), []).append(v)
    # drivers: the signals whose value crosses its median about every 20th
    # frame: windows that open and close, with history and after_ms
    # making a difference
    drv = []
    for key, vs in sorted(series.items()):
        d = sorted(set(vs))
        if len(d) < 2:
            continue
        med = d[len(d) // 2]
        flips = sum((a >= med) != (b >= med) for a, b in zip(vs, vs[1:]))
        if flips:
            drv.append((abs(flips - len(vs) / 20), key, med, d))
    drv.sort()
    d1 = drv[0]
    # the second from another message if there is one: a cross-message term
    d2 = ([d for d in drv if d[1][0] != d1[1][0]] + [drv[1 % len(drv)]])[0]
    n1 = "%s.%s" % d1[1]
    n2 = "%s.%s" % d2[1]
    lines = ["vehicle: V", "broker: {host: h}", "topic: t", "dbc: " + dbc,
             "interfaces: [%s]" % ", ".join(buses), "collect:"]
    for i, m in enumerate(msgs):
        if i % 2 == 0:
            cond = "%s >= %r" % (n1, d1[2])
        else:
            cond = "!(%s < %r) || (%s <= %r && %s != %r)" % (
                n1, d1[2], n2, d2[2], n2, d2[3][0])
        extra = ', when: "%s"' % cond
        if m in cyc:
            extra += ", before_ms: 100"
        if i % 2 == 0:
            extra += ", after_ms: 50"
        sigs = sorted({k for (mm, k) in series if mm == m})
        if i == 1 and sigs:
            extra += ", on_change: true, signals: [%s]" % sigs[-1]
        lines.append("  - {message: %s%s}" % (m, extra))
    lines.append("spool: {dir: /nonexistent}")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


TOKEN = re.compile(r"\s*(?:(\|\|)|(&&)|(!)(?!=)|(\()|(\))|"
                   r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*(<=|>=|==|!=|<|>)\s*"
                   r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))")


def when_compile(expr, own, sigs):
    """the condition as a Python expression over vals, and the messages
    it names"""
    py, pos, used = [], 0, set()
    expr = expr.rstrip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise SystemExit("when-expect: cannot read %r at %d" % (expr, pos))
        pos = m.end()
        if m.group(6):
            name = m.group(6)
            if "." in name:
                key = tuple(name.split("."))
            elif name in sigs.get(own, ()):
                key = (own, name)
            else:
                key = [(mm, name) for mm in sigs if name in sigs[mm]][0]
            used.add(key[0])
            py.append("c(%r, %r, %s)" % (key, m.group(7), m.group(8)))
        else:
            py.append({1: " or ", 2: " and ", 3: " not ", 4: "(", 5: ")"}[m.lastindex])
    return "".join(py), used


def compare(v, op, num):
    if v is None:
        return False  # absent from its frame, or never seen
    return {"<": v < num, "<=": v <= num, ">": v > num, ">=": v >= num,
            "==": v == num, "!=": v != num}[op]


def read_when_conf(path):
    conf = read_conf(path)
    with open(path) as f:
        for l in f:
            l = l.strip()
            if not l.startswith("- {message: "):
                continue
            name = l[len("- {message: "):].split(",")[0]
            c = conf[name]
            c["when"] = l.split('when: "')[1].split('"')[0]
            c["before"] = int(l.split("before_ms: ")[1].split(",")[0].rstrip("}")) \
                if "before_ms: " in l else 0
            c["after"] = int(l.split("after_ms: ")[1].split(",")[0].rstrip("}")) \
                if "after_ms: " in l else 0
    return conf


def when_expect(argv):
    allobjs = load(argv[2])
    conf = read_when_conf(argv[3])
    cyc = cycle_times(argv[4])
    objs = [o for o in allobjs if o["msg"]]
    buses = sorted({o["bus"] for o in objs})
    sigs = {}
    for o in objs:
        sigs.setdefault(o["msg"], set()).update(o["sig"])
    vals = {}

    def c(key, op, num):
        return compare(vals.get(key), op, num)

    st = {}
    for name, cf in conf.items():
        code, used = when_compile(cf["when"], name, sigs)
        cap = 0
        if cf["before"]:
            cap = 2 * (cf["before"] // cyc[name] + 1) * len(buses)
        st[name] = {"code": code, "used": used, "ring": collections.deque(),
                    "cap": cap, "after_until": None, "last": {}}
        st[name]["on"] = eval(code, {"c": c})

    def is_open(s, at):
        return s["on"] or (s["after_until"] is not None and at <= s["after_until"])

    out = []
    now = 0
    for o in allobjs:
        # the log's clock in microseconds; the engine's never goes back
        now = max(now, int(round(o["t"] * 1e6)))
        m = o["msg"]
        if not m:
            continue
        if any(m in s["used"] for s in st.values()):
            for k in sigs[m]:
                vals[(m, k)] = o["sig"].get(k)
            for name, s in st.items():
                if m not in s["used"]:
                    continue
                v = eval(s["code"], {"c": c})
                if v == s["on"]:
                    continue
                was_open = is_open(s, now)
                s["on"] = v
                s["after_until"] = None
                if not v:
                    if conf[name]["after"]:
                        s["after_until"] = now + conf[name]["after"] * 1000
                    continue
                if was_open:
                    continue
                s["last"] = {}  # on_change: a window starts with a sample
                for at, smp in s["ring"]:
                    if at >= now - conf[name]["before"] * 1000:
                        out.append(smp)
                s["ring"].clear()
        if m not in conf:
            continue
        cf, s = conf[m], st[m]
        smp = select(o, cf["signals"])
        if cf["on_change"]:
            if o["bus"] in s["last"] and s["last"][o["bus"]] == smp["sig"]:
                continue
            s["last"][o["bus"]] = smp["sig"]
        if is_open(s, now):
            out.append(smp)
        elif s["cap"]:
            r = s["ring"]
            while r and r[0][0] < now - cf["before"] * 1000:
                r.popleft()
            if len(r) == s["cap"]:
                r.popleft()
            r.append((now, smp))
    for o in out:
        print(json.dumps(o, separators=(",", ":")))
    return 0


def when_log(argv):
    rnd = random.Random(24)
    ev = []
    throttle, door = 0x20, 0
    for i in range(300):
        if rnd.random() < 0.15:
            throttle = rnd.choice([0x10, 0x20, 0x90, 0xA0])
        data = "%02X%02X%02X%02X" % (i & 255, throttle, 0x40 + i % 7, i % 3)
        if rnd.random() < 0.05:
            data = data[:2]  # truncated: Throttle absent
        ev.append((i * 10000, "vcan0", "0C0#" + data))
    for i in range(100):
        if rnd.random() < 0.3:
            door ^= 1
        ev.append((i * 30000 + 5000, "vcan1", "3B4#%02X" % door))
    ev.sort()
    with open(argv[2], "w") as f:
        for t, bus, fr in ev:
            f.write("(%d.%06d) %s %s\n" % (1700000000 + t // 1000000, t % 1000000, bus, fr))
    return 0


def mode_same_order(argv):
    want = [json.dumps(o, sort_keys=True) for o in load(argv[2])]
    got = [json.dumps(o, sort_keys=True) for o in load(argv[3])]
    if want != got:
        print("want %d samples, got %d" % (len(want), len(got)), file=sys.stderr)
        for i, (w, g) in enumerate(zip(want, got)):
            if w != g:
                print("first difference at %d:\n want %s\n got  %s" % (i, w, g),
                      file=sys.stderr)
                break
        return 1
    return 0


def mode_inflate(argv):
    data = open(argv[2], "rb").read()
    n, out = 0, b""
    while data:
        if data[0] != 0x78:
            raise SystemExit("inflate: not a zlib stream at a batch's start")
        d = zlib.decompressobj()
        out += d.decompress(data)
        if not d.eof:
            raise SystemExit("inflate: a stream ends early")
        data = d.unused_data
        n += 1
    open(argv[3], "wb").write(out)
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit({"yaml": mode_conf, "expect": mode_expect, "same": mode_same,
              "when-yaml": when_conf, "when-expect": when_expect,
              "same-order": mode_same_order, "when-log": when_log, "inflate": mode_inflate}[sys.argv[1]](sys.argv))
