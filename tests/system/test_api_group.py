"""The API's group commit: PATCHes ready at the same time share one write transaction and one
durable sync, each in its own nested transaction. Concurrent PATCHes all land, each named in
the history by its own token; a refused one among them gets its 422, changes nothing, and the
others still land."""

import threading

import pytest

from api_helpers import PREFIX, api_env_started, token

Z = PREFIX + "/zones/example.com."
CLIENTS = 16
ROUNDS = 5


@pytest.fixture
def env(tmp_path):
    with api_env_started(tmp_path) as e:
        yield e


def patch(name, rtype, *contents):
    return {"rrsets": [{"name": name, "type": rtype, "ttl": 60, "changetype": "REPLACE",
                        "records": [{"content": c, "disabled": False} for c in contents]}]}


def concurrently(env, bodies, keys):
    """Sends every body at once (one thread and connection each, released together)."""
    answers = [None] * len(bodies)
    gate = threading.Barrier(len(bodies))

    def one(i):
        gate.wait()
        answers[i] = env.api.call("PATCH", Z, bodies[i], key=keys[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def test_concurrent_patches_all_land_with_their_tokens(env):
    keys = [token(env.zc, "c%02d" % i, "--zone", "example.com") for i in range(CLIENTS)]
    for r in range(ROUNDS):
        bodies = [patch("g%02d.example.com." % i, "A", "192.0.2.%d" % (r * CLIENTS + i + 1))
                  for i in range(CLIENTS)]
        answers = concurrently(env, bodies, keys)
        assert [a.status for a in answers] == [204] * CLIENTS, answers
    export = env.zc.export("example.com")
    for i in range(CLIENTS):
        assert "192.0.2.%d" % ((ROUNDS - 1) * CLIENTS + i + 1) in export, export
    sources = [h["source"] for h in env.zc.history("example.com")]
    for i in range(CLIENTS):
        assert sources.count("api PATCH by token c%02d" % i) == ROUNDS, sources


def test_a_refused_patch_among_good_ones_changes_nothing(env):
    keys = [env.key] * CLIENTS
    for r in range(ROUNDS):
        bodies = [patch("ok%02d.example.com." % i, "A", "198.51.100.%d" % (r * CLIENTS + i + 1))
                  for i in range(CLIENTS)]
        # www.example.com has A records: a CNAME beside them is refused inside the edit.
        bad = CLIENTS // 2
        bodies[bad] = patch("www.example.com.", "CNAME", "elsewhere.example.net.")
        answers = concurrently(env, bodies, keys)
        assert answers[bad].status == 422, answers[bad]
        assert "CNAME" in answers[bad].json["error"], answers[bad]
        good = [a.status for i, a in enumerate(answers) if i != bad]
        assert good == [204] * (CLIENTS - 1), answers
    export = env.zc.export("example.com")
    assert "elsewhere.example.net" not in export
    for i in range(CLIENTS):
        if i != CLIENTS // 2:
            assert "198.51.100.%d" % ((ROUNDS - 1) * CLIENTS + i + 1) in export, export
