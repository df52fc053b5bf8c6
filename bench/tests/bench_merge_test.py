#!/usr/bin/python3
"""bench_merge.py on two shards' JSON lines: counts add up, the join time is the slowest
shard's, the servers' memory is taken from their samples with everyone joined, and
bench_report.py shows the merged line in the many-connections table and fails --check-clean
when a room was not reached.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MERGE = os.path.join(HERE, "..", "bench_merge.py")
REPORT = os.path.join(HERE, "..", "bench_report.py")
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def shard(k, connect_s, rooms_reached, joined_kb):
    servers = [{"pid": 10 + i, "name": name, "cpu_percent": 5.0, "rss_kb": 2000 + joined_kb[i],
                "hwm_kb": 3000 + joined_kb[i], "rss_before_kb": 1000, "rss_last_join_kb": joined_kb[i] + 100 * (k + 1),
                "rss_joined_kb": joined_kb[i]}
               for i, name in enumerate(("roomd", "wsbridge", "wsbridge"))]
    return {"bench": "chat_bench", "label": "c100k", "mode": "ws", "clients": 100, "rooms": 2,
            "senders": 2, "idle": False, "connected": 100, "connect_errors": 0, "settled": True,
            "connect_s": connect_s, "shard": k, "shards": 2, "barrier_passed": True,
            "measured_s": 1.0, "messages_sent": 4, "deliveries": 400, "deliveries_per_s": 400,
            "p50_ms": 1.0 + k, "p90_ms": 2.0, "p99_ms": 3.0 + k, "max_ms": 4.0, "lost": 0,
            "rooms_reached": rooms_reached, "out_of_order": 0, "dropped": 0, "rejected": 0,
            "ack_timeouts": 0, "server_errors": 0, "rate_missed": 0, "servers": servers,
            "clean": True, "first_drop": "", "first_error": ""}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        # The second shard sampled later, with more memory resident: its samples count.
        for k, (connect_s, joined) in enumerate(((2.5, (4000, 3000, 3000)),
                                                  (4.0, (5000, 3500, 3200)))):
            path = os.path.join(tmp, f"shard{k}.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps(shard(k, connect_s, 2, joined)) + "\n")
            paths.append(path)
        out = subprocess.run(["/usr/bin/python3", MERGE, "--bridges", "2", *paths],
                             check=True, capture_output=True, text=True).stdout
        merged = json.loads(out)
        check(merged["clients"] == 200 and merged["connected"] == 200, "clients add up")
        check(merged["rooms"] == 4 and merged["rooms_reached"] == 4, "rooms add up")
        check(merged["connect_s"] == 4.0, "the join time is the slowest shard's")
        check(merged["p99_ms"] == 4.0, "latency percentiles are the worst shard's")
        check(merged["shards"] == 2 and merged["bridges"] == 2, "shards and bridges recorded")
        check(merged["rss_joined_kb"] == 5000 + 3500 + 3200, "per server, the largest sample")
        check(merged["rss_total_per_conn_kb"] == round(11700 / 200, 2), "total KB per connection")
        check(merged["rss_per_conn_kb"] == round((11700 - 3000) / 200, 2),
              "KB per connection above the RSS before")
        # The sample at the last join (before --sample_delay): also the largest per server.
        check(merged["rss_last_join_kb"] == 11700 + 3 * 200, "per server, the largest last-join sample")
        check(merged["rss_last_join_per_conn_kb"] == round(12300 / 200, 2),
              "KB per connection at the last join")
        check(merged["clean"], "two clean shards make a clean run")

        # The report: the many-connections table, and --check-clean on an unreached room.
        jsonl = os.path.join(tmp, "c100k.jsonl")
        with open(jsonl, "w", encoding="utf-8") as f:
            f.write(json.dumps(merged) + "\n")
        with open(os.path.join(tmp, "c100k.cmd"), "w", encoding="utf-8") as f:
            f.write("scripts/bench --cases c100k\n")
        manifest = os.path.join(tmp, "manifest.tsv")
        with open(manifest, "w", encoding="utf-8") as f:
            f.write("c100k\tc100k: test\tc100k.jsonl\tc100k.cmd\n")
        report = os.path.join(tmp, "report.md")
        subprocess.run(["/usr/bin/python3", REPORT, "--manifest", manifest, "--out", report],
                       check=True)
        text = open(report, encoding="utf-8").read()
        check("| **c100k** | 2 × 2 | 200 of 200 | 4.0 | 4 of 4 |" in text,
              "the many-connections table has the merged run")
        check("| 58.50 | 43.50 | 61.50 |" in text,
              "the table has KB per connection held, above before, and at the last join")
        clean = subprocess.run(["/usr/bin/python3", REPORT, "--manifest", manifest,
                                "--check-clean"], capture_output=True, text=True)
        check(clean.returncode == 0, f"a reached run is clean: {clean.stderr}")
        merged["rooms_reached"] = 3
        with open(jsonl, "w", encoding="utf-8") as f:
            f.write(json.dumps(merged) + "\n")
        unclean = subprocess.run(["/usr/bin/python3", REPORT, "--manifest", manifest,
                                  "--check-clean"], capture_output=True, text=True)
        check(unclean.returncode != 0 and "reached 3 of 4 rooms" in unclean.stderr,
              f"an unreached room fails --check-clean: {unclean.stderr}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
