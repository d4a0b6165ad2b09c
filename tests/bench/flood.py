"""A TLS handshake flood for the httpsd limits test and benchmark (stdlib only).

Each connection sends one ClientHello made once in memory (so the flood costs the client
almost nothing and httpsd an ECDHE and a signature), waits for httpsd's first flight or its
close, and closes. One thread per source address opens `rate` connections a second with at
most `inflight` at once: an open loop, as an attacker runs it, so a slow httpsd does not
slow the flood down. Source addresses are bound (127.0.0.2 .. on loopback).
"""

import selectors
import socket
import ssl
import threading
import time


def client_hello(sni):
    """The bytes of one TLS 1.2 ClientHello with SNI sni (Python's OpenSSL, into memory)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = out.read()
    if data[:1] != b"\x16":
        raise RuntimeError("no ClientHello record: %r" % data[:16])
    return data


class Flood:
    """with Flood(...) as f: the flood runs in the block; f.counts() is (answered, closed):
    connections httpsd answered, and those it closed or left unanswered for io_timeout."""

    def __init__(self, host, port, hello, sources, rate=100, inflight=50, io_timeout=2.0):
        self.dest = (host, port)
        self.hello, self.rate, self.inflight, self.io_timeout = hello, rate, inflight, io_timeout
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.answered = self.closed = 0
        self.threads = [threading.Thread(target=self.run, args=(a,), daemon=True)
                        for a in sources]

    def done(self, sel, open_, s, answered):
        sel.unregister(s)
        del open_[s]
        s.close()
        with self.lock:
            if answered:
                self.answered += 1
            else:
                self.closed += 1

    def open(self, sel, open_, addr):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((addr, 0))
        try:
            s.connect(self.dest)
        except BlockingIOError:
            pass
        sel.register(s, selectors.EVENT_WRITE)
        open_[s] = time.monotonic() + self.io_timeout

    def step(self, sel, open_, key):
        s = key.fileobj
        if key.events == selectors.EVENT_WRITE:
            try:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    s.send(self.hello)
                    sel.modify(s, selectors.EVENT_READ)
                    return
            except OSError:
                pass
            self.done(sel, open_, s, False)
            return
        try:
            got = s.recv(16384)
        except OSError:
            got = b""
        self.done(sel, open_, s, bool(got))

    def run(self, addr):
        sel = selectors.DefaultSelector()
        open_ = {}
        due = time.monotonic()
        try:
            while not self.stopping.is_set():
                now = time.monotonic()
                due = max(due, now - 1.0)           # no debt beyond a second
                while due <= now and len(open_) < self.inflight:
                    self.open(sel, open_, addr)
                    due += 1.0 / self.rate
                for key, _ in sel.select(timeout=0.005):
                    self.step(sel, open_, key)
                now = time.monotonic()
                for s in [s for s, t in open_.items() if t < now]:
                    self.done(sel, open_, s, False)
        finally:
            for s in list(open_):
                s.close()
            sel.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(self.io_timeout + 3)

    def counts(self):
        with self.lock:
            return self.answered, self.closed
