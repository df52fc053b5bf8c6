#!/usr/bin/python3
"""Merges the JSON lines of one sharded run (chat_bench --shard=k --shards=K, one process
each, started together behind a barrier) into the one JSON line of the whole load.

    bench_merge.py SHARD.json... [--bridges N] >> CASE.jsonl

Counts add up (clients, rooms, connections, messages, deliveries, loss, drops, errors). The
join time is the slowest shard's: every shard starts at once, so that is when the last client
had joined. Latency percentiles cannot be merged from percentiles: the merged line carries
the worst shard's (an upper bound). Every shard samples the same server processes right
after the barrier, when every client of every shard has joined, and again after
--sample_delay (a join storm's queues drained); the merged line keeps, per server, the
largest of those samples, and from them:
  rss_joined_kb            all servers' RSS with every client joined, after the delay,
  rss_total_per_conn_kb    that total / connections held,
  rss_per_conn_kb          (that total - the servers' RSS before any client) / connections,
  rss_last_join_kb         all servers' RSS the moment the last client joined,
  rss_last_join_per_conn_kb  that total / connections held.
"""

import argparse
import json
import sys

SUMMED = ("clients", "rooms", "senders", "connected", "connect_errors", "messages_sent",
          "deliveries", "deliveries_per_s", "lost", "out_of_order", "dropped", "rejected",
          "ack_timeouts", "server_errors", "rate_missed", "welcome_over_2s",
          "rooms_reached")
WORST = ("connect_s", "measured_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "welcome_p50_ms",
         "welcome_p99_ms", "welcome_max_ms", "barrier_s")


def merge(shards, bridges):
    shards = sorted(shards, key=lambda s: s.get("shard", 0))
    first = shards[0]
    merged = dict(first)
    for key in SUMMED:
        merged[key] = sum(s.get(key, 0) for s in shards)
    for key in WORST:
        merged[key] = max(s.get(key, 0) for s in shards)
    merged["bench_cpu_percent"] = sum(s.get("bench_cpu_percent", 0) for s in shards)
    merged["shard"] = None
    merged["shards"] = len(shards)
    merged["bridges"] = bridges
    merged["settled"] = all(s.get("settled") for s in shards)
    merged["barrier_passed"] = all(s.get("barrier_passed", True) for s in shards)
    merged["clean"] = all(s.get("clean") for s in shards) and len(shards) == first.get("shards")
    merged["first_drop"] = next((s["first_drop"] for s in shards if s.get("first_drop")), "")
    merged["first_error"] = next((s["first_error"] for s in shards if s.get("first_error")), "")

    servers = []
    for k, server in enumerate(first.get("servers", [])):
        same = [s["servers"][k] for s in shards if k < len(s.get("servers", []))]
        servers.append({
            "pid": server["pid"],
            "name": server["name"],
            "cpu_percent": max(x.get("cpu_percent", 0) for x in same),
            "rss_kb": max(x.get("rss_kb", 0) for x in same),
            "hwm_kb": max(x.get("hwm_kb", 0) for x in same),
            "rss_before_kb": min(x.get("rss_before_kb", 0) for x in same),
            "rss_last_join_kb": max(x.get("rss_last_join_kb", 0) for x in same),
            "rss_joined_kb": max(x.get("rss_joined_kb", 0) for x in same),
        })
    merged["servers"] = servers
    merged["server_rss_kb"] = sum(s["rss_kb"] for s in servers)
    merged["server_cpu_percent"] = sum(s["cpu_percent"] for s in servers)
    joined = sum(s["rss_joined_kb"] for s in servers)
    before = sum(s["rss_before_kb"] for s in servers)
    held = merged["connected"]
    merged["rss_joined_kb"] = joined
    merged["rss_total_per_conn_kb"] = round(joined / held, 2) if held else 0
    merged["rss_per_conn_kb"] = round((joined - before) / held, 2) if held else 0
    last_join = sum(s["rss_last_join_kb"] for s in servers)
    merged["rss_last_join_kb"] = last_join
    merged["rss_last_join_per_conn_kb"] = round(last_join / held, 2) if held else 0
    deliveries = merged["deliveries"]
    seconds = merged["measured_s"]
    merged["server_us_per_delivery"] = (
        round(merged["server_cpu_percent"] / 100 * seconds * 1e6 / deliveries, 3)
        if deliveries else 0)
    return merged


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shards", nargs="+", help="files holding one shard's JSON line each")
    parser.add_argument("--bridges", type=int, default=1, help="wsbridge processes behind the port")
    args = parser.parse_args()
    rows = []
    for path in args.shards:
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f.read().splitlines() if line.strip()]
        if not lines:
            print(f"bench_merge.py: {path} has no JSON line", file=sys.stderr)
            return 1
        rows.append(json.loads(lines[-1]))
    print(json.dumps(merge(rows, args.bridges)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
