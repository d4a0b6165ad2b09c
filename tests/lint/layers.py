#!/usr/bin/python3
"""Checks that the C files call each other one way only: no file uses a function or object
defined in a file that (directly or through others) uses it back. Reads the symbol tables of
the built objects (nm), so it sees exactly what links; prints each cycle and exits 1."""
import os
import subprocess
import sys


def symbols(objs):
    """{object: (defined, used)} for every object, from as few nm runs as the argument limit
    allows (one nm per object took 20 s here: starting a process is most of it)."""
    table = {o: (set(), set()) for o in objs}
    for i in range(0, len(objs), 200):
        out = subprocess.run(["nm", "-A"] + objs[i:i + 200], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            path, sep, rest = line.partition(":")
            if not sep or path not in table:
                continue
            defined, used = table[path]
            parts = rest.split()
            if len(parts) == 2 and parts[0] == "U":
                used.add(parts[1])
            elif len(parts) == 3 and parts[1] in "TDBR":
                defined.add(parts[2])
    return table


def cycles(graph):
    """Strongly connected components of more than one file (Tarjan, iterative)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    n = stack.pop()
                    on.discard(n)
                    comp.append(n)
                    if n == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def objects(objdir, top):
    """The objects of one directory (not of its subdirectories: dnsd/zonectl is a program);
    shared/ is one library over its subsystem directories."""
    d = os.path.join(objdir, top)
    if not os.path.isdir(d):
        return []
    if top == "shared":
        return [o for sub in sorted(os.listdir(d)) for o in objects(objdir, "shared/" + sub)]
    return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".o")]


def check(objdir, tops):
    """The cycles among the objects of one program (its directories plus shared/)."""
    objs = [o for t in tops for o in objects(objdir, t)]
    owner, uses = {}, {}
    table = symbols(objs)
    for o in objs:
        name = os.path.relpath(o, objdir)[:-2] + ".c"
        defined, used = table[o]
        defined.discard("main")
        uses[name] = used
        for s in defined:
            owner.setdefault(s, set()).add(name)
    graph = {n: set() for n in uses}
    for n, used in uses.items():
        for s in used:
            graph[n].update(m for m in owner.get(s, ()) if m != n)
    found = cycles(graph)
    for comp in found:
        print("layers: files that use each other: " + ", ".join(comp))
        for a in comp:
            print("  %s uses %s" % (a, ", ".join(sorted(b for b in graph[a] if b in comp))))
    return len(graph), found


def main():
    objdir = sys.argv[1] if len(sys.argv) > 1 else "build/obj"
    bad = 0
    for tops in (["shared"], ["shared", "dnsd"], ["shared", "dnsd/zonectl"], ["shared", "httpsd", "httpsd/api"]):
        n, found = check(objdir, tops)
        # a cycle inside shared/ shows again with each program: count it once
        new = [c for c in found if len(tops) == 1 or not all(f.startswith("shared/") for f in c)]
        bad += len(new)
        print("layers: %s: %d files, %d cycles" % ("+".join(tops), n, len(new)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
