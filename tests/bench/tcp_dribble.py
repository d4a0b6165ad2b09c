"""Slow but active DNS-over-TCP clients (issue 15's attack), and one well-behaved client.

DribbleAttack: per_address connections from each source address, each sending a query every
second with its bytes dribbled in four pieces over 0.1 s, reconnecting when closed; they run
in an asyncio loop of their own thread. Shared by tests/system/test_dnsd_tcp_abuse.py and
bench_tcpattack.py (stdlib only).
"""

import asyncio
import socket
import struct
import threading
import time

PIECES = 4                 # a query's bytes in four writes...
PIECE_GAP = 0.025          # ...0.025 s apart: 0.1 s a query
PERIOD_REST = 0.9          # then a rest: a query a second
READ_TIMEOUT = 5           # seconds an attacker waits for its answer before it gives up


class DribbleAttack:
    """The attack on 127.0.0.1:port; start(), then stop() (it ends by limit seconds anyway)."""

    def __init__(self, port, sources, per_address, query_wire, limit=90):
        self.port = port
        self.sources = list(sources)
        self.per_address = per_address
        self.msg = struct.pack("!H", len(query_wire)) + query_wire
        self.limit = limit
        self.halt = threading.Event()
        self.connected = 0
        self.answers = 0
        self.reconnects = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self, timeout=30):
        self.halt.set()
        self.thread.join(timeout)

    def _run(self):
        asyncio.run(self._main())

    async def _main(self):
        tasks = [asyncio.create_task(self._client(a, i))
                 for a in self.sources for i in range(self.per_address)]
        end = time.monotonic() + self.limit
        while not self.halt.is_set() and time.monotonic() < end:
            await asyncio.sleep(0.1)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _client(self, source, i):
        msg = self.msg
        await asyncio.sleep(i * 0.005)        # spread the connects over half a second
        while not self.halt.is_set():
            try:
                r, w = await asyncio.open_connection("127.0.0.1", self.port,
                                                      local_addr=(source, 0))
            except OSError:
                await asyncio.sleep(0.2)
                continue
            self.connected += 1
            try:
                while not self.halt.is_set():
                    for k in range(PIECES):
                        w.write(msg[k * len(msg) // PIECES:(k + 1) * len(msg) // PIECES])
                        await w.drain()
                        await asyncio.sleep(PIECE_GAP)
                    head = await asyncio.wait_for(r.readexactly(2), READ_TIMEOUT)
                    await r.readexactly(struct.unpack("!H", head)[0])
                    self.answers += 1
                    await asyncio.sleep(PERIOD_REST)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                pass
            finally:
                self.connected -= 1
                w.close()
            self.reconnects += 1


def tcp_client(port, source, query_wire, timeout=2.0):
    """One new client: connect from source, one query, its answer, all within timeout seconds.
    Returns (answered, seconds, the answer's bytes or None)."""
    t0 = time.monotonic()
    end = t0 + timeout
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.bind((source, 0))
            s.connect(("127.0.0.1", port))
            s.sendall(struct.pack("!H", len(query_wire)) + query_wire)
            buf = b""
            need = 2
            while len(buf) < need:
                left = end - time.monotonic()
                if left <= 0:
                    return False, timeout, None
                s.settimeout(left)
                chunk = s.recv(need - len(buf))
                if not chunk:
                    return False, time.monotonic() - t0, None
                buf += chunk
                if need == 2 and len(buf) == 2:
                    need = 2 + struct.unpack("!H", buf)[0]
            return True, time.monotonic() - t0, buf[2:]
    except OSError:
        return False, min(time.monotonic() - t0, timeout), None
