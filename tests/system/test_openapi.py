"""docs/openapi.json: valid JSON, OpenAPI 3, every route and method issue 14 names, each
operation with its answers, every $ref resolving, every {parameter} of a path declared, and the
PowerDNS objects with the keys 4.7.3 has (server 8, zone list item 12, zone 20, rrset 5,
record 2)."""

import json
import re

import pytest

from conftest import REPO

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
