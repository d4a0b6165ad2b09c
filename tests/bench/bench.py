#!/usr/bin/python3
"""Lockstep benchmark driver (stdlib only).

Runs every benchmark module tests/bench/bench_<name>.py (or only --only NAME),
prints a table per benchmark and a summary, and writes all results as JSON to
BUILD/bench/results.json. Exit status: 0 when every benchmark that ran
succeeded, 1 otherwise, 2 on bad arguments.

A benchmark module defines NAME, DESCRIPTION and run(ctx) -> dict with at
least "ok" (bool) and "errors" (list of str); optionally "table" ({"columns",
"rows", "notes"}) and "headline" ({"time_ratio", "mem_ratio", ...}).
"""

import argparse
import glob
import importlib
import json
import os
import platform
import sys
import time
import traceback

sys.dont_write_bytecode = True   # keep tests/bench free of __pycache__

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


class Context:
    """What every benchmark gets: paths and the size parameters."""

    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.zonectl = os.path.join(self.build, "zonectl")
        self.records = args.records
        self.scale = args.scale
        self.runs = args.runs
        self.repo = REPO
        self.quiet = args.quiet
        self._helper = False

    @property
    def helper(self):
        """BUILD/bench/rusage_exec (exact child RSS), built on first use; or None."""
        if self._helper is False:
            import benchlib
            self._helper = benchlib.build_helper(self.build, self.log)
            if self._helper is None:
                self.log("measuring child RSS with wait4 from Python instead "
                         "(values include the driver's own RSS as a floor)")
        return self._helper

    def log(self, msg):
        if not self.quiet:
            print("  " + msg, file=sys.stderr, flush=True)


def discover():
    """{name: module file} for tests/bench/bench_*.py, sorted by name."""
    found = {}
    for path in sorted(glob.glob(os.path.join(HERE, "bench_*.py"))):
        found[os.path.basename(path)[len("bench_"):-len(".py")]] = path
    return found


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return "{:,}".format(v)
    if isinstance(v, float):
        if abs(v) >= 100:
            return "%.1f" % v
        if abs(v) >= 1:
            return "%.2f" % v
        return "%.3f" % v
    return str(v)


def print_table(columns, rows, out=sys.stdout):
    cells = [[str(c) for c in columns]] + [[fmt(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]

    def line(r):
        # First column left-aligned (labels), the rest right-aligned (numbers).
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))

    print(line(cells[0]), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in cells[1:]:
        print(line(r), file=out)


def main(argv=None):
    p = argparse.ArgumentParser(description="Run the Lockstep benchmarks.")
    p.add_argument("--build", default="build", help="build directory holding zonectl "
                   "(default: build)")
    p.add_argument("--records", type=int, default=1000000,
                   help="records in the generated zone (default: 1000000)")
    p.add_argument("--scale", type=int, default=10000,
                   help="zones and domains of the scale benchmark (default: 10000; "
                   "100000 for a large provider)")
    p.add_argument("--runs", type=int, default=5,
                   help="repetitions per measurement; the median is reported (default: 5)")
    p.add_argument("--only", metavar="NAME", action="append",
                   help="run only this benchmark (bench_NAME.py); may be repeated")
    p.add_argument("--output", help="results file (default: BUILD/bench/results.json)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)
    if args.records < 1 or args.runs < 1 or args.runs > 100:
        p.error("--records must be >= 1 and --runs between 1 and 100")

    available = discover()
    names = list(available)
    if args.only:
        unknown = [n for n in args.only if n not in available]
        if unknown:
            p.error("unknown benchmark(s): %s (available: %s)"
                    % (", ".join(unknown), ", ".join(available) or "none"))
        names = [n for n in names if n in args.only]

    sys.path.insert(0, HERE)
    ctx = Context(args)
    output = args.output or os.path.join(ctx.build, "bench", "results.json")
    results = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"machine": platform.machine(), "system": platform.platform(),
                 "cpus": os.cpu_count(), "python": platform.python_version()},
        "args": {"build": ctx.build, "records": args.records, "runs": args.runs,
                 "only": args.only},
        "benchmarks": {},
    }

    for name in names:
        print("== bench %s" % name, file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module("bench_" + name)
            res = mod.run(ctx)
        except Exception as e:  # a broken benchmark must not hide the others
            res = {"name": name, "ok": False,
                   "errors": ["%s: %s" % (type(e).__name__, e)],
                   "traceback": traceback.format_exc()}
            print(res["traceback"], file=sys.stderr)
        res.setdefault("errors", [])
        res.setdefault("ok", not res["errors"])
        res["elapsed_seconds"] = time.perf_counter() - t0
        results["benchmarks"][name] = res

    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    tmp_out = output + ".tmp"
    with open(tmp_out, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp_out, output)

    # Per-benchmark tables, then one summary line per benchmark.
    for name, res in results["benchmarks"].items():
        table = res.get("table")
        print()
        print("%s (%s records, median of %d runs)"
              % (name, fmt(res.get("records", args.records)), res.get("runs", args.runs)))
        if table and table.get("rows"):
            print_table(table["columns"], table["rows"])
            for note in table.get("notes", []):
                print("  * " + note)
        for err in res["errors"]:
            print("  ERROR: " + err.replace("\n", "\n    "))
    print()
    print("Summary")
    summary_rows = []
    for name, res in results["benchmarks"].items():
        head = res.get("headline") or {}
        summary_rows.append([name, "ok" if res["ok"] else "FAILED", head.get("time_ratio"),
                             head.get("mem_ratio"), res["elapsed_seconds"]])
    print_table(["benchmark", "status", "time ratio", "mem ratio", "bench s"], summary_rows)
    print("(each ratio is oriented so that >= 1.0 means Lockstep is at least as good: time and\n"
          " memory as other / Lockstep, queries per second as Lockstep / best other)")
    print("results: %s" % output)
    return 0 if all(r["ok"] for r in results["benchmarks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
