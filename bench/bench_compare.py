"""The same-run comparison of scripts/bench --baseline=REV: per case and figure, the median of
the baseline's runs, the median of the current tree's runs (interleaved with them) and their
ratio. Single runs on a shared machine move by about 30%, so the ratio is the claim.
"""

import statistics

# (JSON key, what it is, True when higher is better), for cases that sent messages.
LOAD_FIGURES = (
    ("deliveries_per_s", "deliveries/s", True),
    ("p50_ms", "p50 ms", False),
    ("p90_ms", "p90 ms", False),
    ("p99_ms", "p99 ms", False),
    ("max_ms", "max ms", False),
    ("server_us_per_delivery", "server CPU µs/delivery", False),
    ("server_rss_kb", "RSS roomd + wsbridge KB", False),
    ("wire_bytes_per_delivery", "bytes on the wire per delivery", False),
)
# For cases that only held connections.
IDLE_FIGURES = (
    ("rss_per_conn_kb", "KB per connection", False),
    ("connected", "connections held", True),
)
# Many connections over several processes (c100k).
SHARDED_FIGURES = (
    ("connect_s", "join time s", False),
    ("rss_total_per_conn_kb", "KB per connection (all servers)", False),
    ("rss_per_conn_kb", "KB per connection (above before)", False),
    ("rss_last_join_per_conn_kb", "KB per connection at the last join", False),
    ("lost", "lost", False),
)
# Join storms (big* cases; as the report's Welcome table) add the time to Welcome.
WELCOME_FIGURES = (
    ("welcome_p99_ms", "Welcome p99 ms", False),
)


def median_of(runs, key):
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else None


def figures_for(name, runs):
    if (runs[0].get("shards") or 1) > 1:
        return SHARDED_FIGURES
    figures = IDLE_FIGURES if runs[0].get("idle") else LOAD_FIGURES
    if name.startswith("big") and any(r.get("welcome_p99_ms") for r in runs):
        figures = figures + WELCOME_FIGURES
    return figures


def fmt_value(value):
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def ratio_text(current, baseline, higher_is_better):
    """'1.10×' and a plain reading such as '10% better'."""
    if current is None or baseline is None or baseline == 0:
        return "–", "–"
    ratio = current / baseline
    change = ratio - 1 if higher_is_better else 1 - ratio
    if round(change * 100) == 0:
        reading = "same"
    else:
        reading = f"{abs(change):.0%} {'better' if change > 0 else 'worse'}"
    return f"{ratio:.2f}×", reading


def comparison_table(cases, baseline_cases):
    """Markdown rows: one per case and figure that both variants measured."""
    baseline_by_name = {c["name"]: c["runs"] for c in baseline_cases}
    rows = ["| case | figure | baseline | current | current / baseline | better when | reading |",
            "|---|---|---|---|---|---|---|"]
    for case in cases:
        runs, base_runs = case["runs"], baseline_by_name.get(case["name"])
        if not runs or not base_runs:
            continue
        for key, label, higher_is_better in figures_for(case["name"], runs):
            current, baseline = median_of(runs, key), median_of(base_runs, key)
            if not current and not baseline:
                continue  # neither measured it (bytes on the wire of a gRPC case)
            ratio, reading = ratio_text(current, baseline, higher_is_better)
            rows.append("| " + " | ".join([
                f"**{case['name']}**", label, fmt_value(baseline), fmt_value(current), ratio,
                "higher" if higher_is_better else "lower", reading]) + " |")
    return rows if len(rows) > 2 else []
