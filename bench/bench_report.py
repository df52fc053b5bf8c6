#!/usr/bin/python3
"""Turns scripts/bench's raw results (one JSON line per chat_bench run) into docs/benchmarks.md.

Every figure written comes from those lines: nothing here is typed in by hand. Each figure of
a case is the median over its runs, each metric on its own. With --baseline-manifest
(scripts/bench --baseline=REV) the report also compares the current tree with REV, run for run
(bench_compare.py), and the charts (bench_charts.py, when matplotlib is installed) show both.
The tables need only the standard library (Debian's /usr/bin/python3).
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

import bench_charts
import bench_compare

TARGETS_NOTE = (
    "Targets from issue 4 (this machine kind, loopback): F through the full path at least "
    "1,000,000 deliveries/s unpinned with zero loss and no client dropped; L10 p99 at most "
    "40 ms; L2 p99 at most 20 ms; idle at most 20 KB per connection (roomd + wsbridge RSS "
    "together) with 10,000 connections held and no error. For scale, the same design of "
    "harness measured the gorilla/websocket Go hub at about 0.92 M deliveries/s in F "
    "(1.66 M pinned), L10 p99 43 ms and 20.9 KB per idle connection. Issue 20 (history "
    "store): F with --store=sqlite at least 90% of F in the same run, without loss; W "
    "(20,000 msg/s for 60 s) without loss, ack p99 at most 50 ms.")


def read_manifest(path):
    """Cases in the manifest's order; relative file names are relative to the manifest."""
    here = os.path.dirname(os.path.abspath(path))
    cases = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            name, title, jsonl, cmds = line.split("\t")
            jsonl, cmds = os.path.join(here, jsonl), os.path.join(here, cmds)
            runs = []
            with open(jsonl, encoding="utf-8") as j:
                for row in j:
                    row = row.strip()
                    if row:
                        runs.append(json.loads(row))
            with open(cmds, encoding="utf-8") as c:
                commands = c.read().strip()
            cases.append({"name": name, "title": title, "runs": runs, "commands": commands})
    return cases


def median(runs, key):
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else 0


def server_median(runs, name, key):
    values = []
    for r in runs:
        for s in r.get("servers", []):
            if s.get("name") == name:
                values.append(s[key])
    return statistics.median(values) if values else None


def fmt_int(value):
    return f"{int(round(value)):,}"


def fmt_ms(value):
    return f"{value:.2f}"


def fmt_pct(value):
    return "–" if value is None else f"{value:.0f}%"


def fmt_mb(kb):
    return "–" if kb is None else f"{kb / 1024:.1f} MB"


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total():
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    kb = int(line.split()[1])
                    return f"{kb / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return out + (" (with local changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_table(cases):
    rows = []
    header = ("| case | path | deliveries/s | p50 ms | p90 ms | p99 ms | max ms | lost | "
              "out of order | dropped | roomd CPU | wsbridge CPU | load-gen CPU | "
              "server CPU µs/delivery | RSS roomd + wsbridge |")
    rows.append(header)
    rows.append("|" + "|".join(["---"] * (header.count("|") - 1)) + "|")
    for case in cases:
        runs = case["runs"]
        if not runs or runs[0].get("idle") or sharded(runs):
            continue
        path = "gRPC → roomd" if runs[0]["mode"] == "grpc" else "JSON/WebSocket → wsbridge → roomd"
        if "secure" in case["name"]:  # F-secure, quick-secure: TLS on both hops, jwt
            path = "JSON/wss → wsbridge → TLS gRPC → roomd (jwt)"
        rss = [r.get("server_rss_kb", 0) for r in runs]
        rows.append("| " + " | ".join([
            f"**{case['name']}**",
            path,
            fmt_int(median(runs, "deliveries_per_s")),
            fmt_ms(median(runs, "p50_ms")),
            fmt_ms(median(runs, "p90_ms")),
            fmt_ms(median(runs, "p99_ms")),
            fmt_ms(median(runs, "max_ms")),
            fmt_int(median(runs, "lost")),
            fmt_int(median(runs, "out_of_order")),
            fmt_int(median(runs, "dropped")),
            fmt_pct(server_median(runs, "roomd", "cpu_percent")),
            fmt_pct(server_median(runs, "wsbridge", "cpu_percent")),
            fmt_pct(median(runs, "bench_cpu_percent")),
            f"{median(runs, 'server_us_per_delivery'):.2f}",
            fmt_mb(statistics.median(rss)),
        ]) + " |")
    return rows


def sharded(runs):
    """A run merged from several load processes (c100k): it has its own table."""
    return (runs[0].get("shards") or 1) > 1


def sharded_table(cases):
    """Many connections over several bridges on one port and several load processes."""
    rows = []
    for case in cases:
        runs = case["runs"]
        if not runs or not sharded(runs):
            continue
        if not rows:
            rows.append("| case | bridges × load processes | joined | join time s | rooms reached "
                        "by a broadcast | messages sent | lost | dropped | RSS all servers, all "
                        "joined | KB per connection (total) | KB per connection (above the "
                        "servers' RSS before) | KB per connection at the last join |")
            rows.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        rows.append("| " + " | ".join([
            f"**{case['name']}**",
            f"{runs[0].get('bridges', 1)} × {runs[0]['shards']}",
            f"{fmt_int(median(runs, 'connected'))} of {fmt_int(runs[0]['clients'])}",
            f"{median(runs, 'connect_s'):.1f}",
            f"{fmt_int(median(runs, 'rooms_reached'))} of {fmt_int(runs[0]['rooms'])}",
            fmt_int(median(runs, "messages_sent")),
            fmt_int(median(runs, "lost")),
            fmt_int(median(runs, "dropped")),
            fmt_mb(median(runs, "rss_joined_kb")),
            f"{median(runs, 'rss_total_per_conn_kb'):.2f}",
            f"{median(runs, 'rss_per_conn_kb'):.2f}",
            f"{median(runs, 'rss_last_join_per_conn_kb'):.2f}"
            if "rss_last_join_per_conn_kb" in runs[0] else "",
        ]) + " |")
    return rows


def idle_table(cases):
    rows = []
    for case in cases:
        runs = case["runs"]
        if not runs or not runs[0].get("idle"):
            continue
        if not rows:
            rows.append("| case | connections held | connect errors | dropped | roomd RSS before → after "
                        "| wsbridge RSS before → after | KB per connection (both) |")
            rows.append("|---|---|---|---|---|---|---|")

        def before_after(name):
            b = server_median(runs, name, "rss_before_kb")
            a = server_median(runs, name, "rss_kb")
            return "–" if b is None else f"{fmt_mb(b)} → {fmt_mb(a)}"

        rows.append("| " + " | ".join([
            f"**{case['name']}**",
            f"{fmt_int(median(runs, 'connected'))} of {fmt_int(runs[0]['clients'])}",
            fmt_int(median(runs, "connect_errors")),
            fmt_int(median(runs, "dropped")),
            before_after("roomd"),
            before_after("wsbridge"),
            f"{median(runs, 'rss_per_conn_kb'):.1f}",
        ]) + " |")
    return rows


def welcome_table(cases):
    """Join storms (the big-room cases): how long each join waited for its Welcome."""
    rows = []
    for case in cases:
        runs = case["runs"]
        if not runs or not case["name"].startswith("big") or "welcome_p99_ms" not in runs[0]:
            continue
        if not rows:
            rows.append("| case | joined | Welcome p50 ms | p99 ms | max ms | over 2 s |")
            rows.append("|---|---|---|---|---|---|")
        rows.append("| " + " | ".join([
            f"**{case['name']}**",
            f"{fmt_int(median(runs, 'connected'))} of {fmt_int(runs[0]['clients'])}",
            fmt_ms(median(runs, "welcome_p50_ms")),
            fmt_ms(median(runs, "welcome_p99_ms")),
            fmt_ms(median(runs, "welcome_max_ms")),
            fmt_int(median(runs, "welcome_over_2s")),
        ]) + " |")
    return rows


def targets_table(cases):
    by_name = {c["name"]: c["runs"] for c in cases if c["runs"]}
    rows = ["| target | measured (median) | met |", "|---|---|---|"]

    def add(label, measured, met):
        rows.append(f"| {label} | {measured} | {'yes' if met else '**no**'} |")

    if "F" in by_name:
        runs = by_name["F"]
        rate = median(runs, "deliveries_per_s")
        lost, dropped = median(runs, "lost"), median(runs, "dropped")
        add("F ≥ 1,000,000 deliveries/s, no loss, no drop",
            f"{fmt_int(rate)}/s, {fmt_int(lost)} lost, {fmt_int(dropped)} dropped",
            rate >= 1_000_000 and lost == 0 and dropped == 0)
    if "L10" in by_name:
        p99 = median(by_name["L10"], "p99_ms")
        add("L10 p99 ≤ 40 ms", f"{fmt_ms(p99)} ms", p99 <= 40)
    if "L2" in by_name:
        p99 = median(by_name["L2"], "p99_ms")
        add("L2 p99 ≤ 20 ms", f"{fmt_ms(p99)} ms", p99 <= 20)
    if "idle" in by_name:
        runs = by_name["idle"]
        kb = median(runs, "rss_per_conn_kb")
        held = median(runs, "connected")
        errors = median(runs, "connect_errors") + median(runs, "dropped")
        add("idle ≤ 20 KB per connection, 10,000 held without error",
            f"{kb:.1f} KB, {fmt_int(held)} held, {fmt_int(errors)} errors",
            kb <= 20 and held >= 10000 and errors == 0)
    for name in ("big5k", "big10k"):
        if name in by_name:
            runs = by_name[name]
            over, held = median(runs, "welcome_over_2s"), median(runs, "connected")
            p99, lost = median(runs, "p99_ms"), median(runs, "lost")
            add(f"{name}: every join welcomed within 2 s; 2 senders p99 ≤ 250 ms, nothing lost",
                f"{fmt_int(held)} of {fmt_int(runs[0]['clients'])} joined, {fmt_int(over)} over 2 s; "
                f"p99 {fmt_ms(p99)} ms, {fmt_int(lost)} lost",
                over == 0 and held >= runs[0]["clients"] and p99 <= 250 and lost == 0)
    for name in ("big5k-churn", "big10k-churn"):
        if name in by_name:
            runs = by_name[name]
            wrong, settle = median(runs, "churn_wrong"), median(runs, "churn_settle_s")
            add(f"{name}: {runs[0].get('churn', 0)} leave + {runs[0].get('churn', 0)} join within 1 s: "
                "every member's count exact afterwards",
                f"{fmt_int(wrong)} wrong; exact {settle:.2f} s after the churn began", wrong == 0)
    for name in ("big5k-idle", "big10k-idle"):
        if name in by_name:
            kb = median(by_name[name], "rss_per_conn_kb")
            add(f"{name}: ≤ 20 KB per connection after 60 s", f"{kb:.1f} KB", kb <= 20)
    if "F-sqlite" in by_name and "F" in by_name:
        runs = by_name["F-sqlite"]
        rate, base = median(runs, "deliveries_per_s"), median(by_name["F"], "deliveries_per_s")
        lost, dropped = median(runs, "lost"), median(runs, "dropped")
        share = rate / base if base else 0
        add("F-sqlite ≥ 90% of F (same run), no loss, no drop",
            f"{fmt_int(rate)}/s = {share:.0%} of F, {fmt_int(lost)} lost, {fmt_int(dropped)} dropped",
            share >= 0.9 and lost == 0 and dropped == 0)
    if "F-secure" in by_name and "F" in by_name:
        runs = by_name["F-secure"]
        rate, base = median(runs, "deliveries_per_s"), median(by_name["F"], "deliveries_per_s")
        lost, dropped = median(runs, "lost"), median(runs, "dropped")
        share = rate / base if base else 0
        add("F-secure (TLS both hops, jwt) ≥ 60% of F (same run), no loss, no drop",
            f"{fmt_int(rate)}/s = {share:.0%} of F, {fmt_int(lost)} lost, {fmt_int(dropped)} dropped",
            share >= 0.6 and lost == 0 and dropped == 0)
    if "L10-deflate" in by_name:
        runs = by_name["L10-deflate"]
        wire = median(runs, "wire_bytes_per_delivery")
        lost, dropped = median(runs, "lost"), median(runs, "dropped")
        add("L10 with permessage-deflate: ≤ 150 bytes on the wire per delivery, no loss",
            f"{wire:.1f} bytes, {fmt_int(lost)} lost, {fmt_int(dropped)} dropped",
            0 < wire <= 150 and lost == 0 and dropped == 0)
    if "W" in by_name:
        runs = by_name["W"]
        rate, p99 = median(runs, "deliveries_per_s"), median(runs, "p99_ms")
        lost, dropped = median(runs, "lost"), median(runs, "dropped")
        add("W: 20,000 msg/s sustained, no loss, ack p99 ≤ 50 ms",
            f"{fmt_int(rate)}/s, p99 {fmt_ms(p99)} ms, {fmt_int(lost)} lost, {fmt_int(dropped)} dropped",
            rate >= 19_000 and p99 <= 50 and lost == 0 and dropped == 0)
    return rows if len(rows) > 2 else []


def wire_table(cases):
    """Bytes the load generator read per delivery, for the WebSocket cases (chat_bench
    counts every byte of its sockets: frame headers, batch frames, Welcomes)."""
    rows = []
    for case in cases:
        runs = [r for r in case["runs"] if r.get("wire_bytes_per_delivery")]
        if not runs or runs[0].get("idle"):
            continue
        if not rows:
            rows.append("| case | permessage-deflate | bytes on the wire per delivery | "
                        "server CPU µs/delivery |")
            rows.append("|---|---|---|---|")
        rows.append("| " + " | ".join([
            f"**{case['name']}**",
            "offered" if runs[0].get("deflate") else "not offered",
            f"{median(runs, 'wire_bytes_per_delivery'):.1f}",
            f"{median(runs, 'server_us_per_delivery'):.2f}",
        ]) + " |")
    return rows


def store_table(cases):
    rows = []
    for case in cases:
        runs = [r for r in case["runs"] if r.get("stored_messages")]
        if not runs:
            continue
        if not rows:
            rows.append("| case | messages stored | database + WAL | bytes per message |")
            rows.append("|---|---|---|---|")
        per = [r["store_bytes"] / r["stored_messages"] for r in runs]
        rows.append("| " + " | ".join([
            f"**{case['name']}**",
            fmt_int(statistics.median(r["stored_messages"] for r in runs)),
            fmt_mb(statistics.median(r["store_bytes"] for r in runs) / 1024),
            f"{statistics.median(per):.0f}",
        ]) + " |")
    return rows


def comparison_section(args, cases, baseline):
    out = ["## Same-run comparison", ""]
    out.append(f"Baseline: {args.baseline_label}; current: {git_commit()}. Both ran the same "
               "cases with the same load generator (the current tree's `chat_bench`): only the "
               "servers differ. Runs were interleaved, alternating which went first, so drift of "
               "the machine falls on both. Each figure is the median of its runs; single runs "
               "move by about 30% here, so the ratio (current / baseline) is the claim.")
    out.append("")
    rows = bench_compare.comparison_table(cases, baseline)
    out.extend(rows if rows else ["No case has results from both."])
    return out


def runs_section(cases):
    lines = []
    for case in cases:
        lines.append(f"- **{case['name']}**: " + "; ".join(
            (f"{r['connected']} joined in {r['connect_s']:.1f} s, "
             f"{r['rss_total_per_conn_kb']:.2f} KB/conn, {r['rooms_reached']} rooms reached, "
             f"{r['lost']} lost, {r['dropped']} dropped"
             if (r.get("shards") or 1) > 1 else
             f"{fmt_int(r['rss_per_conn_kb'])} KB/conn, {r['connected']} held, {r['dropped']} dropped"
             if r.get("idle") else
             f"{fmt_int(r['deliveries_per_s'])}/s, p99 {fmt_ms(r['p99_ms'])} ms, "
             f"{r['lost']} lost, {r['dropped']} dropped")
            + ("" if r.get("clean") else " (not clean" +
               (f": {r['first_drop']}" if r.get("first_drop") else "") + ")")
            for r in case["runs"]))
    return lines


def write_report(args, cases, baseline=None):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = []
    out.append("# Benchmarks")
    out.append("")
    out.append(f"Written by `{args.command.strip()}` on {now} at commit {git_commit()}. "
               "Do not edit by hand: run the script again. Every figure is the median of "
               f"{args.runs} run(s) of its case (each figure's median taken on its own); "
               "the single runs are listed at the end. "
               "`scripts/bench --baseline=REV` adds a same-run comparison with REV's servers; "
               "charts need python3-matplotlib.")
    out.append("")
    try:
        busy = float(args.load_before.split()[0]) > 1.0
    except (ValueError, IndexError):
        busy = False
    if busy:
        out.append(f"**Warning: the machine was busy when these runs started (load average "
                   f"{args.load_before.split()[0]} on {os.cpu_count()} CPUs). Other processes took "
                   "CPU time from the servers and the load generator, so throughput is understated "
                   "and latency overstated. Rerun on an idle machine before comparing.**")
        out.append("")
    out.append("## Machine")
    out.append("")
    out.append(f"- CPUs (`nproc`): {os.cpu_count()}; model: {cpu_model()}")
    out.append(f"- Kernel: {platform.release()}; memory: {mem_total()}")
    out.append(f"- Load average (1, 5, 15 min) before the runs: {args.load_before}; after: "
               f"{args.load_after}. Other work on the machine skews the figures: compare runs "
               "made on an idle machine.")
    out.append("- Everything on one machine over loopback: roomd, wsbridge and the load "
               "generator (`chat_bench`) share the CPUs unless pinned.")
    out.append("")
    out.append("## Results")
    out.append("")
    out.extend(load_table(cases))
    welcome = welcome_table(cases)
    if welcome:
        out.append("")
        out.extend(welcome)
    idle = idle_table(cases)
    if idle:
        out.append("")
        out.extend(idle)
    wire = wire_table(cases)
    if wire:
        out.append("")
        out.append("Bytes on the wire: what the clients read from their sockets in the measured "
                   "interval over the deliveries in it. Browsers offer permessage-deflate; the "
                   "`-deflate` cases do as they do.")
        out.append("")
        out.extend(wire)
    many = sharded_table(cases)
    if many:
        out.append("")
        out.append("Many connections (c100k): one roomd, several wsbridge processes sharing one "
                   "port (`--reuse_port`) and several `chat_bench` processes (`--shard`), which "
                   "meet at a barrier once all have joined; the servers' RSS is sampled there "
                   "(at the last join) and again once the join storm's queues had time to drain "
                   "(`--sample_delay`, the connections held: the KB per connection columns). "
                   "Join time: from the start to the last client of the slowest process "
                   "welcomed, with the whole room seen. Then one sender per room; a "
                   "room is reached when every member received a message.")
        out.append("")
        out.extend(many)
    store = store_table(cases)
    if store:
        out.append("")
        out.append("History store (`--store=sqlite`): the database file and its WAL after roomd "
                   "stopped, over the messages in it (every message of the run, warmup "
                   "included); the text of a bench message is about 30 bytes.")
        out.append("")
        out.extend(store)
    if baseline is not None:
        out.append("")
        out.extend(comparison_section(args, cases, baseline))
    out.append("")
    out.append("## Charts")
    out.append("")
    out.extend(bench_charts.draw_charts(args.out, cases, baseline))
    targets = targets_table(cases)
    if targets:
        out.append("")
        out.append("## Targets")
        out.append("")
        out.append(TARGETS_NOTE)
        out.append("")
        out.extend(targets)
    out.append("")
    out.append("## What is measured")
    out.append("")
    out.append(
        "- N clients join one room (idle: 100 rooms of 100) as distinct users; K of them send. "
        "Each message text carries its sender, a per-sender sequence number and the send time "
        "(steady clock, same process), so every receiver measures latency, loss and order.")
    out.append(
        "- A delivery is one message arriving at one client, the sender's own copy included. "
        "Deliveries/s and latency count arrivals inside the measured interval (after a 2 s "
        "warmup); loss and order are checked over the whole run after a drain.")
    out.append(
        "- `ack all`: a sender may have 8 messages (the window) that not every receiver has yet "
        "— the fair saturation mode, in which senders never outrun the slowest reader. Paced "
        "cases (L10, L2) send on a fixed schedule, still within the window.")
    out.append(
        "- CPU is utime + stime from /proc/PID/stat over the measured interval (100% = one "
        "core); RSS is VmRSS at its end. Server CPU µs/delivery = (roomd + wsbridge CPU "
        "seconds) / deliveries. Idle: (RSS after holding − RSS before connecting) / "
        "connections, both servers together.")
    out.append(
        "- Limits raised for the runs, by flag only: roomd `--rate=1000000 --rate_burst=1000000` "
        "(the per-session send rate; default 20/s). Pinned case: wsbridge `--threads=1` and "
        "`chat_bench --threads=1`, one core each side.")
    out.append("")
    out.append("## Commands")
    out.append("")
    out.append("The exact commands of each case's first run (ports are picked free per run; "
               "`scripts/bench` reads them from the servers' logs and passes the PIDs).")
    baseline_by_name = {c["name"]: c for c in baseline or []}
    for case in cases:
        out.append("")
        out.append(f"### {case['title']}")
        out.append("")
        out.append("```")
        out.append(case["commands"])
        out.append("```")
        if case["name"] in baseline_by_name:
            out.append("")
            out.append("Baseline:")
            out.append("")
            out.append("```")
            out.append(baseline_by_name[case["name"]]["commands"])
            out.append("```")
    out.append("")
    out.append("## Single runs")
    out.append("")
    out.extend(runs_section(cases))
    if baseline is not None:
        out.append("")
        out.append("Baseline:")
        out.append("")
        out.extend(runs_section(baseline))
    out.append("")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


def check_clean(cases, variant=""):
    bad = []
    for case in cases:
        if not case["runs"]:
            bad.append(f"{case['name']}: no result")
        for r in case["runs"]:
            if not r.get("clean"):
                bad.append(f"{case['name']}: lost {r['lost']}, out of order {r['out_of_order']}, "
                           f"dropped {r['dropped']}, connect errors {r['connect_errors']}, "
                           f"rejected {r['rejected']}, ack timeouts {r['ack_timeouts']}, "
                           f"settled {r['settled']} {r.get('first_drop', '')}")
            elif not r.get("idle") and r["deliveries"] == 0:
                bad.append(f"{case['name']}: no deliveries")
            elif (r.get("shards") or 1) > 1 and r.get("rooms_reached", 0) < r["rooms"]:
                bad.append(f"{case['name']}: a broadcast reached {r.get('rooms_reached', 0)} "
                           f"of {r['rooms']} rooms")
    for line in bad:
        print(f"scripts/bench: NOT CLEAN{variant}: {line}", file=sys.stderr)
    return 1 if bad else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--load-before", default="?")
    parser.add_argument("--load-after", default="?")
    parser.add_argument("--command", default="scripts/bench")
    parser.add_argument("--out")
    parser.add_argument("--baseline-manifest",
                        help="the baseline's runs (scripts/bench --baseline=REV)")
    parser.add_argument("--baseline-label", default="baseline",
                        help="what the baseline is, e.g. REV and its commit")
    parser.add_argument("--check-clean", action="store_true")
    args = parser.parse_args()
    cases = read_manifest(args.manifest)
    baseline = read_manifest(args.baseline_manifest) if args.baseline_manifest else None
    if args.check_clean:
        return max(check_clean(cases), check_clean(baseline, " (baseline)") if baseline else 0)
    write_report(args, cases, baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
