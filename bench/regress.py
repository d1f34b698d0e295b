#!/usr/bin/env python3
"""Compare a benchmark run's JSON results with a saved baseline and flag slowdowns.

    bench/regress.py BASELINE.json CURRENT.json [--threshold 0.10] [--min-ms 0.05] [--json]

Both files are results of the same benchmark: `zerial bench --json` output (rows keyed by
format+codec; encode_ms and decode_ms are compared) or any of bench/results/*.json (every numeric
leaf whose key names a time -- encode, decode, load, walk, unpack, memcpy, stream, and *_ms --
is compared, keyed by its JSON path). Sizes ("bytes") are compared too: growth beyond the
threshold is a regression as well.

A metric regresses when current > baseline * (1 + threshold) and the difference is at least
--min-ms (tiny timings are noise). Exit status: 0 no regression, 1 regressions found, 2 usage or
input error. Times should be medians (every zerial benchmark reports medians); on shared machines
use a generous threshold.
"""
import argparse
import json
import sys

TIME_WORDS = ("encode", "decode", "load", "walk", "unpack", "memcpy", "stream", "_ms")
SKIP_WORDS = ("ratio", "mb_s", "gb_s", "speedup", "targets_met", "elements", "records", "runs")


def bench_rows(doc):
    """zerial bench --json: {(format, codec): row}."""
    out = {}
    for r in doc.get("rows", []):
        if r.get("ok"):
            out["%s+%s" % (r["format"], r["codec"])] = r
    return out


def leaves(doc, path=""):
    """Every numeric leaf with its dotted path."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from leaves(v, "%s.%s" % (path, k) if path else k)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from leaves(v, "%s[%d]" % (path, i))
    elif isinstance(doc, (int, float)) and not isinstance(doc, bool):
        yield path, float(doc)


def kind_of(path):
    last = path.rsplit(".", 1)[-1].lower()
    if any(w in path.lower() for w in SKIP_WORDS):
        return None
    if last == "bytes" or last.endswith("_bytes"):
        return "size"
    if any(w in last for w in TIME_WORDS):
        return "time"
    return None


def metrics(doc):
    """{name: (kind, value)} of the comparable metrics of one result file."""
    m = {}
    if isinstance(doc, dict) and isinstance(doc.get("rows"), list):
        for key, r in bench_rows(doc).items():
            for f in ("encode_ms", "decode_ms"):
                if isinstance(r.get(f), (int, float)):
                    m["%s.%s" % (key, f)] = ("time", float(r[f]))
            if isinstance(r.get("bytes"), (int, float)):
                m["%s.bytes" % key] = ("size", float(r["bytes"]))
        return m
    for path, v in leaves(doc):
        k = kind_of(path)
        if k:
            m[path] = (k, v)
    return m


def compare(base, cur, threshold, min_ms):
    """Returns (regressions, improvements, missing, compared): lists of dicts."""
    mb, mc = metrics(base), metrics(cur)
    regs, imps, missing = [], [], []
    n = 0
    for name, (kind, b) in sorted(mb.items()):
        if name not in mc:
            missing.append(name)
            continue
        c = mc[name][1]
        n += 1
        if b <= 0:
            continue
        change = c / b - 1.0
        small = kind == "time" and abs(c - b) < min_ms
        rec = {"metric": name, "kind": kind, "baseline": b, "current": c, "change": change}
        if change > threshold and not small:
            regs.append(rec)
        elif change < -threshold and not small:
            imps.append(rec)
    return regs, imps, missing, n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("baseline")
    ap.add_argument("current")
    ap.add_argument("--threshold", type=float, default=0.10, help="allowed relative slowdown (default 0.10 = 10%%)")
    ap.add_argument("--min-ms", type=float, default=0.05, help="ignore time differences below this (default 0.05 ms)")
    ap.add_argument("--json", action="store_true", help="print the comparison as JSON")
    a = ap.parse_args(argv)
    if not (a.threshold >= 0):
        print("regress.py: --threshold must be >= 0", file=sys.stderr)
        return 2
    try:
        with open(a.baseline) as f:
            base = json.load(f)
        with open(a.current) as f:
            cur = json.load(f)
    except (OSError, ValueError) as e:
        print("regress.py: %s" % e, file=sys.stderr)
        return 2
    regs, imps, missing, n = compare(base, cur, a.threshold, a.min_ms)
    if n == 0:
        print("regress.py: no comparable metrics between %s and %s" % (a.baseline, a.current), file=sys.stderr)
        return 2
    if a.json:
        print(json.dumps({"threshold": a.threshold, "compared": n, "regressions": regs, "improvements": imps,
                          "missing": missing}, indent=1))
    else:
        for r in regs:
            print("REGRESSION %-50s %12.4f -> %12.4f  (%+.1f%%, %s)" % (r["metric"], r["baseline"], r["current"],
                                                                        100 * r["change"], r["kind"]))
        for r in imps:
            print("improved   %-50s %12.4f -> %12.4f  (%+.1f%%)" % (r["metric"], r["baseline"], r["current"], 100 * r["change"]))
        for m in missing:
            print("missing    %s (in the baseline, not in this run)" % m)
        print("%d metrics compared, threshold %.0f%%: %d regression(s), %d improvement(s)" % (n, 100 * a.threshold, len(regs), len(imps)))
    return 1 if regs else 0


if __name__ == "__main__":
    sys.exit(main())
