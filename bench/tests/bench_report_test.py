#!/usr/bin/python3
"""bench_report.py on checked-in JSON lines of two variants (report_fixture/): the same-run
comparison's medians and ratios, the plain report without a baseline, and the SVG charts
(valid XML, one element per series, identical when drawn again, skipped with a note when the
cases lack their data). Exits 77 (ctest: skipped) only when matplotlib is missing.

Usage: bench_report_test.py [--report PATH_TO_bench_report.py]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "report_fixture")
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def run_report(report, out, manifest, baseline=None):
    cmd = ["/usr/bin/python3", report, "--manifest", os.path.join(FIXTURE, manifest),
           "--runs", "3", "--out", out]
    if baseline:
        cmd += ["--baseline-manifest", os.path.join(FIXTURE, baseline),
                "--baseline-label", "fixture-base"]
    subprocess.run(cmd, check=True)
    with open(out, encoding="utf-8") as f:
        return f.read()


def svg_ids(path):
    """Every id in the SVG; parsing fails loudly if the file is not well-formed XML."""
    root = ET.parse(path).getroot()
    check(root.tag.endswith("svg"), f"{path}: root element is <svg>")
    return {e.get("id") for e in root.iter() if e.get("id")}


def test_comparison(report, tmp):
    out = os.path.join(tmp, "both.md")
    text = run_report(report, out, "current.tsv", "baseline.tsv")
    # Medians: F current 1.1/1.3/1.2 M -> 1.2 M, baseline 1.0/0.9/1.1 M -> 1.0 M.
    for row in (
            "| **F** | deliveries/s | 1,000,000 | 1,200,000 | 1.20× | higher | 20% better |",
            "| **F** | p99 ms | 20.00 | 10.00 | 0.50× | lower | 50% better |",
            "| **L10** | p99 ms | 25.00 | 30.00 | 1.20× | lower | 20% worse |",
            "| **idle** | KB per connection | 13.00 | 13.00 | 1.00× | lower | same |",
            "| **quick-idle** | KB per connection | 20.00 | 21.00 | 1.05× | lower | 5% worse |"):
        check(row in text, f"comparison row {row!r}")
    check("Baseline: fixture-base" in text, "the baseline is named")
    check("| **F** | JSON/WebSocket → wsbridge → roomd | 1,200,000 |" in text,
          "the results table shows the current tree's median")
    check("build-baseline/bench/chat_bench --label=F" in text, "the baseline's commands")
    for kind in ("throughput", "latency", "memory"):
        path = os.path.join(tmp, f"both-{kind}.svg")
        check(os.path.exists(path), f"{kind} chart written")
        check(f"](both-{kind}.svg)" in text, f"{kind} chart shown in the report")
    ids = svg_ids(os.path.join(tmp, "both-throughput.svg"))
    for series in ("throughput-current-F", "throughput-baseline-F", "throughput-current-L10",
                   "throughput-baseline-L10"):
        check(series in ids, f"throughput series {series}")
    ids = svg_ids(os.path.join(tmp, "both-latency.svg"))
    for series in ("latency-current-F", "latency-baseline-F", "latency-current-L10"):
        check(series in ids, f"latency series {series}")
    ids = svg_ids(os.path.join(tmp, "both-memory.svg"))
    check({"memory-current", "memory-baseline"} <= ids, "memory series of both variants")
    check("throughput-current-idle" not in svg_ids(os.path.join(tmp, "both-throughput.svg")),
          "idle cases stay out of the throughput chart")

    # Drawn again from the same data: byte for byte the same (no churn in git).
    before = {k: open(os.path.join(tmp, f"both-{k}.svg"), "rb").read()
              for k in ("throughput", "latency", "memory")}
    run_report(report, out, "current.tsv", "baseline.tsv")
    for kind, data in before.items():
        check(open(os.path.join(tmp, f"both-{kind}.svg"), "rb").read() == data,
              f"{kind} chart identical when drawn again")


def test_plain_and_missing_data(report, tmp):
    out = os.path.join(tmp, "plain.md")
    open(os.path.join(tmp, "plain-memory.svg"), "w").write("<svg/>")  # from an earlier run
    text = run_report(report, out, "load-only.tsv")
    check("Same-run comparison" not in text, "no comparison without a baseline")
    check("| **F** | JSON/WebSocket → wsbridge → roomd | 1,200,000 |" in text, "plain results")
    check(os.path.exists(os.path.join(tmp, "plain-throughput.svg")), "plain throughput chart")
    check("throughput-baseline-F" not in svg_ids(os.path.join(tmp, "plain-throughput.svg")),
          "no baseline series without a baseline")
    check("no chart, no idle case ran" in text, "the memory chart is skipped with a note")
    check(not os.path.exists(os.path.join(tmp, "plain-memory.svg")),
          "a memory chart of an earlier run is removed")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--report", default=os.path.join(HERE, "..", "bench_report.py"))
    args = parser.parse_args()
    try:
        import matplotlib  # noqa: F401  (only to know whether the charts can be drawn)
    except ImportError:
        print("SKIP: python3-matplotlib is not installed (scripts/install-deps test)")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        test_comparison(args.report, tmp)
        test_plain_and_missing_data(args.report, tmp)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
