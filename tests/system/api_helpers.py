"""Helpers for the HTTP API tests: an StsEnv (zonectl, httpsd with its API process, dnsd) and
a small HTTP client that keeps status, headers and the parsed body of each answer.

    env = api_env(tmp_path)                  # started; env.api is an ApiClient
    st, body = env.api.call("GET", "/api/v1/servers/localhost/zones", key=env.key)
"""

import contextlib
import http.client
import json
import socket

from proc_helpers import free_port, started, wait_until
from sts_helpers import StsEnv

API_TIMEOUT = 10        # seconds for one request
READY_WAIT = 10         # seconds for the API process to answer after httpsd is ready
PREFIX = "/api/v1/servers/localhost"


class Answer:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %r>" % (self.status, self.raw[:300])


class ApiClient:
    def __init__(self, port, key=None, tls=None):
        self.port = port
        self.key = key
        self.tls = tls          # an ssl.SSLContext: the API serves TLS (api.tls-cert)

    def call(self, method, path, body=None, key="default", raw=None, headers=None, bearer=False):
        """One request on a fresh connection: body is sent as JSON, raw as the bytes given."""
        key = self.key if key == "default" else key
        h = dict(headers or {})
        if key is not None:
            if bearer:
                h["Authorization"] = "Bearer " + key
            else:
                h["X-API-Key"] = key
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                             else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        if self.tls:
            c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=API_TIMEOUT,
                                            context=self.tls)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=API_TIMEOUT)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            c.close()

    def answering(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False


def api_config(port, extra=""):
    return "api:\n  listen: 127.0.0.1:%d\n%s" % (port, extra)


def start_api_env(envs, zones=("example.com.zone", "example.net.zone"), api_extra="",
                  dnsd=True, tls=None):
    """An StsEnv with api.listen set, started, with a read-write token for every zone (env.key)
    and env.api, a client using it."""
    port = free_port()
    env = envs.add(StsEnv(envs.workdir(), extra_config=api_config(port, api_extra),
                          zones=zones, dnsd=dnsd))
    env.key = token(env.zc, "panel")
    env.start()
    env.api = ApiClient(port, env.key, tls)
    assert wait_until(env.api.answering, READY_WAIT), env.httpsd.log_text()
    return env


def token(zc, name, *opts):
    """`zonectl api token add NAME OPTS`: the secret, the last line of its output."""
    out = zc.ok("api", "token", "add", name, *opts).out
    return out.strip().splitlines()[-1]


@contextlib.contextmanager
def api_env_started(tmp_path, api_extra=""):
    """start_api_env() in a Started; afterwards the API process's output (httpsd's stderr) must
    hold no sanitizer report."""
    with started(tmp_path, "env") as envs:
        e = start_api_env(envs, api_extra=api_extra)
        yield e
        log = "\n".join(e.httpsd.log_lines())
        assert "Sanitizer" not in log and "runtime error" not in log, log[-4000:]
