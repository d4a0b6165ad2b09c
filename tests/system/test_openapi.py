"""docs/openapi.json: valid JSON, OpenAPI 3, every route and method issue 14 names, each
operation with its answers, every $ref resolving, every {parameter} of a path declared, and the
PowerDNS objects with the keys 4.7.3 has (server 8, zone list item 12, zone 20, rrset 5,
record 2); and the running API answers as the document says (statuses and keys)."""

import json
import re

import pytest

from api_helpers import start_api_env
from conftest import REPO
from proc_helpers import started

DOC = REPO / "docs" / "openapi.json"
S = "/api/v1/servers/localhost"

# The routes of issue 14, "PowerDNS-compatible part" and "Lockstep's part".
ROUTES = {
    "/api": {"get"},
    "/api/v1/servers": {"get"},
    S: {"get"},
    S + "/zones": {"get", "post"},
    S + "/zones/{zone}": {"get", "patch", "put", "delete"},
    S + "/zones/{zone}/notify": {"put"},
    S + "/zones/{zone}/export": {"get"},
    S + "/search-data": {"get"},
    S + "/statistics": {"get"},
    S + "/zones/{zone}/mta-sts": {"get", "put", "delete"},
    S + "/zones/{zone}/mta-sts/{name}": {"get", "put", "delete"},
    "/api/openapi.json": {"get"},
}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

MTA_STS_KEYS = {"name", "enabled", "mode", "max_age", "mx_extra", "rua", "id", "policy", "state",
                "reason", "endpoints", "certificate", "tlsrpt", "check"}


@pytest.fixture(scope="module")
def doc():
    with open(DOC, encoding="utf-8") as f:
        return json.load(f)


def resolve(doc, ref):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, "unresolved $ref %s" % ref
        node = node[part]
    return node


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def test_openapi_is_openapi3(doc):
    assert re.fullmatch(r"3\.\d+\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    schemes = doc["components"]["securitySchemes"]
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= \
        schemes["apiKey"].items()
    assert schemes["bearer"]["scheme"] == "bearer"


def test_openapi_lists_every_route(doc):
    paths = doc["paths"]
    missing = []
    for path, methods in ROUTES.items():
        have = set(paths.get(path, {})) & METHODS
        missing += ["%s %s" % (m.upper(), path) for m in sorted(methods - have)]
    assert missing == [], "docs/openapi.json lacks: " + ", ".join(missing)
    extra = [p for p in paths if p not in ROUTES]
    assert extra == [], "routes the issue does not name: %s" % extra
    params = doc["components"]["parameters"]
    search = paths[S + "/search-data"]["get"]["parameters"]
    assert any(p["name"] == "q" and p["in"] == "query" for p in search)
    assert any(p["name"] == "wait" for p in paths[S + "/zones/{zone}/mta-sts"]["put"]["parameters"])
    assert any(p["name"] == "now" for p in paths[S + "/zones/{zone}/mta-sts"]["delete"]["parameters"])
    assert params["zone"]["in"] == "path"


def test_openapi_operations_complete(doc):
    ids = set()
    for path, item in doc["paths"].items():
        declared = {resolve(doc, p["$ref"])["name"] if "$ref" in p else p["name"]
                    for p in item.get("parameters", [])}
        for method, op in item.items():
            if method not in METHODS:
                continue
            where = "%s %s" % (method.upper(), path)
            assert op["operationId"] not in ids, where
            ids.add(op["operationId"])
            assert op["responses"], where
            for code in op["responses"]:
                assert re.fullmatch(r"[1-5]\d\d", code), where
            own = {resolve(doc, p["$ref"])["name"] if "$ref" in p else p["name"]
                   for p in op.get("parameters", [])}
            for name in re.findall(r"\{(\w+)\}", path):
                assert name in declared | own, "%s: {%s} is not declared" % (where, name)
    for ref in refs(doc):
        resolve(doc, ref)


def test_openapi_status_codes(doc):
    p = doc["paths"]
    z = p[S + "/zones/{zone}"]
    assert "201" in p[S + "/zones"]["post"]["responses"]
    assert "409" in p[S + "/zones"]["post"]["responses"]
    for code in ("204", "400", "401", "404", "413", "422"):
        assert code in z["patch"]["responses"], code
    assert "204" in z["delete"]["responses"]
    for m in ("get", "put", "delete"):
        r = p[S + "/zones/{zone}/mta-sts"][m]["responses"]
        assert "200" in r and "401" in r and "403" in r and "429" in r
    err = doc["components"]["schemas"]["Error"]
    assert err["required"] == ["error"]


def test_openapi_object_keys(doc):
    schemas = doc["components"]["schemas"]
    sizes = {"Server": 8, "ZoneListItem": 12, "Zone": 20, "RRSet": 5, "Record": 2}
    for name, n in sizes.items():
        assert len(schemas[name]["properties"]) == n, name
        assert sorted(schemas[name]["required"]) == sorted(schemas[name]["properties"]), name
    assert set(schemas["MtaSts"]["properties"]) == MTA_STS_KEYS
    assert set(schemas["MtaSts"]["properties"]["state"]["enum"]) == \
        {"off", "pending", "waiting", "published", "removing"}
    assert set(schemas["MtaStsPut"]["properties"]) == {"mode", "max_age", "mx_extra", "rua"}
    ep = schemas["MtaStsEndpoint"]["properties"]
    assert set(ep) == {"address", "served_version", "last_fetch"}
    change = schemas["RRSetChange"]["properties"]
    assert set(change["changetype"]["enum"]) == {"REPLACE", "DELETE"}
    ttl = change["ttl"]
    assert ttl["type"] == "integer" and ttl["minimum"] == 0 and ttl["maximum"] == 2**31 - 1


# ------------------------------------------------------------------ against the running API

def schema_keys(doc, ref):
    return set(resolve(doc, ref)["properties"])


def documented(doc, path, method, status):
    return str(status) in doc["paths"][path][method]["responses"]


def test_openapi_matches_api(doc, tmp_path):
    """Requests to the real API process: every status is one the document lists for that
    route, and every object has exactly the keys of its schema."""
    with started(tmp_path, "env") as envs:
        e = start_api_env(envs)
        e.zc.ok("mta-sts", "enable", "example.net")
        sch = "#/components/schemas/"
        calls = [
            # (method, path as documented, path sent, body, status wanted, schema of the answer,
            #  is the answer a list of it: True, "maybe" empty, False: one object)
            ("get", "/api", "/api", None, 200, "ApiVersion", True),
            ("get", "/api/v1/servers", "/api/v1/servers", None, 200, "Server", True),
            ("get", S, S, None, 200, "Server", False),
            ("get", S + "/zones", S + "/zones", None, 200, "ZoneListItem", True),
            ("get", S + "/zones/{zone}", S + "/zones/example.com.", None, 200, "Zone", False),
            ("get", S + "/zones/{zone}", S + "/zones/nothing.example.", None, 404, "Error", False),
            # (empty until dnsd has written its counters)
            ("get", S + "/statistics", S + "/statistics", None, 200, "StatisticItem", "maybe"),
            ("get", S + "/zones/{zone}/mta-sts", S + "/zones/example.com./mta-sts", None, 200,
             "MtaSts", False),
            ("get", S + "/zones/{zone}/mta-sts", S + "/zones/example.net./mta-sts", None, 200,
             "MtaSts", False),
            ("patch", S + "/zones/{zone}", S + "/zones/example.com.",
             {"rrsets": [{"name": "x.example.com.", "type": "TXT", "ttl": "300",
                          "changetype": "REPLACE", "records": [{"content": '"a"', "disabled": False}]}]},
             422, "Error", False),
            ("patch", S + "/zones/{zone}", S + "/zones/example.com.",
             {"rrsets": [{"name": "x.example.com.", "type": "TXT", "ttl": 300,
                          "changetype": "REPLACE", "records": [{"content": '"a"', "disabled": False}]}]},
             204, None, False),
            ("put", S + "/zones/{zone}/notify", S + "/zones/example.com./notify", None, 200,
             "NotifyResult", False),
            ("post", S + "/zones", S + "/zones", {"name": "example.com.", "kind": "Native",
                                                   "nameservers": ["ns1.example.com."]},
             409, "Error", False),
        ]
        for method, path, sent, body, want, schema, many in calls:
            a = e.api.call(method.upper(), sent, body=body)
            where = "%s %s" % (method.upper(), sent)
            assert a.status == want, (where, a)
            assert documented(doc, path, method, a.status), "%s: %d is not in docs/openapi.json" % (
                where, a.status)
            if schema is None:
                continue
            items = a.json if many else [a.json]
            assert isinstance(items, list) and (items or many == "maybe"), (where, a)
            keys = schema_keys(doc, sch + schema)
            for item in items:
                assert set(item) == keys, "%s: keys %s, the document has %s" % (
                    where, sorted(item), sorted(keys))
        zone = e.api.call("GET", S + "/zones/example.com.").json
        for rrset in zone["rrsets"]:
            assert set(rrset) == schema_keys(doc, sch + "RRSet")
            for rec in rrset["records"]:
                assert set(rec) == schema_keys(doc, sch + "Record")
        sts = e.api.call("GET", S + "/zones/example.net./mta-sts").json
        assert sts["state"] in resolve(doc, sch + "MtaSts")["properties"]["state"]["enum"]
        for ep in sts["endpoints"]:
            assert set(ep) == schema_keys(doc, sch + "MtaStsEndpoint")
        # Search results: zones and records, each with the required keys and no others.
        found = e.api.call("GET", S + "/search-data?q=*example.com*")
        assert found.status == 200 and documented(doc, S + "/search-data", "get", 200)
        result = resolve(doc, sch + "SearchResult")
        kinds = set()
        for item in found.json:
            assert set(result["required"]) <= set(item) <= set(result["properties"]), item
            kinds.add(item["object_type"])
        assert kinds == {"zone", "record"}, kinds
        a = e.api.call("GET", S + "/zones", key="wrong")
        assert a.status == 401 and documented(doc, S + "/zones", "get", 401)
        assert set(a.json) == {"error"}
