"""Deterministic zones and dnsperf query files for the dns benchmark (stdlib only).

Two scenarios, always byte-identical for the same arguments:

- one zone `bench.example.` with `names` hosts h0..h<names-1>, each owning
  exactly one A, AAAA, MX and TXT record, plus SOA, two NS with glue and the
  MX targets mx0..mx15 (A records);
- `zones` small zones z0.bench. .. z<zones-1>.bench., one file each, each
  with SOA, NS, A and MX at the apex and the A record of its name server.

Query files hold one `NAME TYPE` line per query (dnsperf's input format).
The mix is exact: 70 % existing data (a random existing name with one of its
types), 20 % NXDOMAIN (names below the zone apex that do not exist) and 10 %
NODATA (existing names asked for SRV or CAA, which no name has); the lines are
shuffled with a fixed seed.
"""

import os
import random

import zonegen

ORIGIN = "bench.example."
SMALL_PARENT = "bench."
MX_POOL = 16
SEED = 20240601

# Per 10 query lines: 7 existing, 2 NXDOMAIN, 1 NODATA.
MIX = (("existing", 7), ("nxdomain", 2), ("nodata", 1))
HOST_TYPES = ("A", "AAAA", "MX", "TXT")
NODATA_TYPES = ("SRV", "CAA")


def _mix(i):
    """A cheap deterministic scramble of i (Knuth multiplicative hash)."""
    return (i * 2654435761) & 0xFFFFFFFF


def _host_records(i, origin):
    r = _mix(i)
    b, c, d = (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF
    name = "h%d" % i
    return [
        "%s IN A 10.%d.%d.%d" % (name, b, c, d),
        "%s IN AAAA 2001:db8:%x:%x::%x" % (name, b, c, d + 1),
        "%s IN MX 10 mx%d.%s" % (name, i % MX_POOL, origin),
        '%s IN TXT "v=spf1 ip4:10.%d.%d.%d mx -all" "id=%08x"' % (name, b, c, d, r),
    ]


def generate_zone(path, names, origin=ORIGIN):
    """Writes the one-zone master file; returns a dict of counts per type."""
    if names < 1:
        raise ValueError("need at least one name")
    lines = zonegen.header("; dns benchmark zone: %d hosts with A, AAAA, MX, TXT; "
                           "tests/bench/dnsgen.py" % names, origin)
    counts = {"SOA": 1, "NS": 2, "A": 2 + MX_POOL, "AAAA": 0, "MX": 0, "TXT": 0}
    for j in range(MX_POOL):
        lines.append("mx%d IN A 192.0.2.%d" % (j, 10 + j))
    with open(path, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")
        buf = []
        for i in range(names):
            buf.extend(_host_records(i, origin))
            if len(buf) >= 65536:
                f.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            f.write("\n".join(buf) + "\n")
    for t in HOST_TYPES:
        counts[t] += names
    counts["records"] = sum(counts[t] for t in ("SOA", "NS", "A", "AAAA", "MX", "TXT"))
    counts["names"] = names
    return counts


def small_zone_name(i, parent=SMALL_PARENT):
    return "z%d.%s" % (i, parent)


def generate_small_zones(directory, zones, parent=SMALL_PARENT):
    """Writes one master file per zone into directory (created if missing).

    Returns a list of (origin, path), in zone order."""
    if zones < 1:
        raise ValueError("need at least one zone")
    os.makedirs(directory, exist_ok=True)
    out = []
    for i in range(zones):
        origin = small_zone_name(i, parent)
        b, c, d = (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF
        path = os.path.join(directory, origin + "zone")
        with open(path, "w", encoding="ascii") as f:
            f.write("$ORIGIN %s\n$TTL 3600\n"
                    "@ IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
                    "@ IN NS ns1\n"
                    "@ IN A 10.%d.%d.%d\n"
                    "@ IN MX 10 @\n"
                    "ns1 IN A 192.0.2.%d\n" % (origin, b, c, d, 1 + i % 250))
        out.append((origin, path))
    return out


SMALL_ZONE_RECORDS = 5   # SOA, NS, A, MX at the apex, A of ns1


def _categories(count, rng):
    """count category labels in the exact MIX proportions, shuffled."""
    per = sum(n for _c, n in MIX)
    cats = []
    for k in range(count):
        slot = k % per
        for cat, n in MIX:
            if slot < n:
                cats.append(cat)
                break
            slot -= n
    rng.shuffle(cats)
    return cats


def generate_queries(path, scenario, count, names=None, zones=None, seed=SEED):
    """Writes `count` dnsperf lines for scenario "1zone" (needs names) or
    "zones" (needs zones). Returns {"existing": n, "nxdomain": n, "nodata": n}."""
    if count < 1:
        raise ValueError("need at least one query")
    rng = random.Random("%s-%d" % (scenario, seed))
    cats = _categories(count, rng)
    tally = {cat: 0 for cat, _n in MIX}
    lines = []
    for cat in cats:
        tally[cat] += 1
        if scenario == "1zone":
            i = rng.randrange(names)
            if cat == "existing":
                lines.append("h%d.%s %s" % (i, ORIGIN, rng.choice(HOST_TYPES)))
            elif cat == "nxdomain":
                # x<k> never exists; h<k> for k >= names does not either.
                if rng.randrange(2):
                    lines.append("x%d.%s %s" % (i, ORIGIN, rng.choice(HOST_TYPES)))
                else:
                    lines.append("h%d.%s %s" % (names + i, ORIGIN, rng.choice(HOST_TYPES)))
            else:
                lines.append("h%d.%s %s" % (i, ORIGIN, rng.choice(NODATA_TYPES)))
        elif scenario == "zones":
            z = small_zone_name(rng.randrange(zones))
            if cat == "existing":
                owner, qtype = rng.choice((("", "A"), ("", "MX"), ("ns1.", "A"), ("", "NS")))
                lines.append("%s%s %s" % (owner, z, qtype))
            elif cat == "nxdomain":
                lines.append("www%d.%s %s" % (rng.randrange(1000), z, rng.choice(("A", "AAAA"))))
            else:
                lines.append("%s %s" % (z, rng.choice(NODATA_TYPES)))
        else:
            raise ValueError("unknown scenario %r" % scenario)
    with open(path, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")
    return tally


if __name__ == "__main__":
    import sys
    if len(sys.argv) != 3:
        sys.exit("usage: dnsgen.py OUTDIR N   (writes zone, N small zones and query files)")
    outdir, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(outdir, exist_ok=True)
    print(generate_zone(os.path.join(outdir, "bench.example.zone"), n))
    print(len(generate_small_zones(os.path.join(outdir, "zones"), n)), "zones")
    print(generate_queries(os.path.join(outdir, "queries-1zone.txt"), "1zone", 10 * n, names=n))
    print(generate_queries(os.path.join(outdir, "queries-zones.txt"), "zones", 10 * n, zones=n))
