# doip_tester.py - the DoIP tester side of the gw_doip_* vcan tests, on
# Debian's scapy DoIP classes (an implementation nobody on the project
# wrote).  Imported by the tests' python heredocs (run with /usr/bin/python3
# and PYTHONPATH=tests/vcan); every wait has a deadline, never a sleep.
import os
import select
import socket
import struct
import sys
import time

from scapy.contrib.automotive.doip import DoIP

WAIT = float(os.environ.get("CANRIG_VCAN_WAIT", "90"))


def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)


def say(msg):
    print(msg, flush=True)


def is_pending(data):
    return data[:1] == b"\x7f" and data[2:3] == b"\x78"


class Tester:
    def __init__(self, port, sa, activate=True):
        self.sa = sa
        self.t = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.buf = b""
        if activate:
            self.activate()

    def activate(self):
        self.t.sendall(bytes(DoIP(payload_type=0x0005, source_address=self.sa,
                                  activation_type=0)))
        r = self.msg()
        if r.payload_type != 0x0006 or r.routing_activation_response != 0x10:
            fail("activation 0x%04X: %r" % (self.sa, r))

    def whole(self):
        """A message already received whole, or None."""
        if len(self.buf) >= 8:
            n = 8 + struct.unpack(">I", self.buf[4:8])[0]
            if len(self.buf) >= n:
                m, self.buf = self.buf[:n], self.buf[n:]
                return DoIP(m)
        return None

    def msg(self):
        while True:
            m = self.whole()
            if m is not None:
                return m
            d = self.t.recv(65536)
            if not d:
                fail("0x%04X: connection closed" % self.sa)
            self.buf += d

    def ready(self):
        """The messages received so far, without waiting."""
        out = []
        while True:
            m = self.whole()
            if m is not None:
                out.append(m)
                continue
            r, _, _ = select.select([self.t], [], [], 0)
            if not r:
                return out
            d = self.t.recv(65536)
            if not d:
                return out
            self.buf += d

    def send(self, ta, uds):
        if isinstance(uds, str):
            uds = bytes.fromhex(uds)
        self.t.sendall(bytes(DoIP(payload_type=0x8001, source_address=self.sa,
                                  target_address=ta) / uds))

    def ack(self, ta):
        """The ACK of a request to ta, or 'nack XX'."""
        a = self.msg()
        if a.payload_type == 0x8003 and a.source_address == ta:
            return "nack %02x" % a.nack_code
        if a.payload_type != 0x8002 or a.source_address != ta or a.ack_code != 0:
            fail("0x%04X: ack from 0x%04X: %r" % (self.sa, ta, a))
        return "ack"

    def answer(self, ta, pendings=None):
        """The final answer from ta (hex); its 0x78s are counted in
        pendings (a list) if given."""
        while True:
            r = self.msg()
            if r.payload_type != 0x8001 or r.source_address != ta or r.target_address != self.sa:
                fail("0x%04X: answer from 0x%04X: %r" % (self.sa, ta, r))
            data = bytes(r.payload)
            if is_pending(data):
                if pendings is not None:
                    pendings.append(data.hex())
                continue
            return data.hex()

    def diag(self, ta, uds, pendings=None):
        self.send(ta, uds)
        a = self.ack(ta)
        if a != "ack":
            return a
        return self.answer(ta, pendings)

    def close(self):
        self.t.close()


def wait_file(path, pattern):
    """Until the file path has a line containing pattern."""
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        try:
            with open(path, errors="replace") as f:
                if any(pattern in line for line in f):
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    fail("no '%s' in %s" % (pattern, path))
