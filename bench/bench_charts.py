"""SVG charts for the bench report (Debian's python3-matplotlib, no display needed).

Three pictures, each drawn only when the cases that ran hold its data:
  throughput: deliveries/s per case (median bar, single runs as dots), current against baseline;
  latency:    p50/p90/p99/max per case, one line per case (baseline dashed);
  memory:     KB per connection against connections held, from the idle cases.
Each series carries an SVG id ("throughput-current-F", "latency-baseline-L10", "memory-current")
so tests can find it. Output is stable from run to run for the same data (fixed hash salt, no
date), so regenerating the report does not churn git diffs.
"""

import os
import statistics

PERCENTILES = (("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99"), ("max_ms", "max"))
CURRENT_COLOR = "#1f6fb4"
BASELINE_COLOR = "#b0b0b0"


def load_matplotlib():
    """Returns pyplot set up for deterministic SVG, or None when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # no display: scripts/bench runs on servers and in ctest
    matplotlib.rcParams.update({
        "svg.hashsalt": "chat-bench",  # element ids derive from it instead of random values
        "svg.fonttype": "none",        # text stays text: smaller files, searchable
        "font.size": 9,
    })
    import matplotlib.pyplot as plt
    return plt


def _median(runs, key):
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else None


def load_cases(cases):
    """Cases that sent messages (deliveries/s and latency mean something)."""
    return [c for c in cases if c["runs"] and not c["runs"][0].get("idle")
            and (c["runs"][0].get("shards") or 1) == 1
            and (_median(c["runs"], "deliveries") or 0) > 0]


def idle_cases(cases):
    """Cases that held connections and measured their memory: the idle ones (churn cases move
    members, so they are left out) and the sharded ones (c100k, sampled with all joined)."""
    return [c for c in cases if c["runs"]
            and (c["runs"][0].get("idle") or (c["runs"][0].get("shards") or 1) > 1)
            and not c["runs"][0].get("churn") and "rss_per_conn_kb" in c["runs"][0]]


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def _variants(cases, baseline):
    """(label, runs by case name, color) for current, then the baseline when there is one."""
    variants = [("current", {c["name"]: c["runs"] for c in cases}, CURRENT_COLOR)]
    if baseline is not None:
        variants.append(("baseline", {c["name"]: c["runs"] for c in baseline}, BASELINE_COLOR))
    return variants


def draw_throughput(plt, path, cases, baseline):
    names = [c["name"] for c in load_cases(cases)]
    if not names:
        return False
    variants = _variants(cases, baseline)
    width = 0.8 / len(variants)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(names) + 2), 4))
    for v, (label, runs_by_name, color) in enumerate(variants):
        in_legend = False
        for i, name in enumerate(names):
            runs = runs_by_name.get(name)
            if not runs:
                continue
            x = i + (v - (len(variants) - 1) / 2) * width
            bars = ax.bar([x], [_median(runs, "deliveries_per_s")], width, color=color,
                          label=None if in_legend else label)
            in_legend = True
            bars.patches[0].set_gid(f"throughput-{label}-{name}")
            ax.plot([x] * len(runs), [r["deliveries_per_s"] for r in runs], "o", color="black",
                    markersize=2.5)
    if baseline is not None:  # the ratio is the claim: write it over each pair
        current_runs, baseline_runs = variants[0][1], variants[1][1]
        for i, name in enumerate(names):
            if baseline_runs.get(name):
                now = _median(current_runs[name], "deliveries_per_s")
                before = _median(baseline_runs[name], "deliveries_per_s")
                if before:
                    ax.annotate(f"{now / before:.2f}×", (i, max(now, before)),
                                textcoords="offset points", xytext=(0, 8), ha="center")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yscale("log")  # F (millions) and the paced cases (thousands) on one chart
    ax.margins(y=0.15)  # room for the ratios over the bars
    ax.set_ylabel("deliveries/s (bars: median; dots: single runs)")
    ax.set_title("Throughput per case" + (", current against baseline" if baseline else ""))
    ax.legend()
    _save(plt, fig, path)
    return True


def draw_latency(plt, path, cases, baseline):
    names = [c["name"] for c in load_cases(cases)]
    if not names:
        return False
    variants = _variants(cases, baseline)
    colors = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, name in enumerate(names):
        for label, runs_by_name, _ in variants:
            runs = runs_by_name.get(name)
            if not runs:
                continue
            values = [_median(runs, key) for key, _ in PERCENTILES]
            line, = ax.plot([p for _, p in PERCENTILES], values, color=colors(i % 10),
                            marker="o", markersize=3,
                            linestyle="-" if label == "current" else "--",
                            label=name if label == "current" else f"{name} (baseline)")
            line.set_gid(f"latency-{label}-{name}")
    ax.set_yscale("log")
    ax.set_ylabel("latency ms (median over runs)")
    ax.set_title("Latency percentiles per case" + (" (dashed: baseline)" if baseline else ""))
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _save(plt, fig, path)
    return True


def draw_memory(plt, path, cases, baseline):
    if not idle_cases(cases):
        return False
    fig, ax = plt.subplots(figsize=(6, 4))
    held, per_conn = [], []
    for label, _, color in _variants(cases, baseline):
        points = sorted((_median(c["runs"], "connected"), _median(c["runs"], "rss_per_conn_kb"),
                         c["name"]) for c in idle_cases(baseline if label == "baseline" else cases))
        if not points:
            continue
        line, = ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                        color=color, label=label, zorder=3 if label == "current" else 2)
        line.set_gid(f"memory-{label}")
        if label == "current":  # one name per case is enough
            for x, y, name in points:
                ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        held.extend(p[0] for p in points)
        per_conn.extend(p[1] for p in points)
    # From zero, with room above and right of the points for their names.
    if min(held) > 0 and max(held) / min(held) > 20:
        ax.set_xscale("log")
        ax.set_xlim(min(held) / 2, max(held) * 2)
    else:
        ax.set_xlim(0, max(held) * 1.25)
    ax.set_ylim(0, max(per_conn) * 1.25)
    ax.set_xlabel("connections held")
    ax.set_ylabel("KB per connection (roomd + wsbridge RSS growth)")
    ax.set_title("Memory per held connection")
    ax.legend(loc="lower left")
    _save(plt, fig, path)
    return True


CHARTS = (
    ("throughput", "Deliveries/s per case", draw_throughput,
     "no case sent messages"),
    ("latency", "Latency percentiles per case", draw_latency,
     "no case sent messages"),
    ("memory", "Memory per connection against connections held", draw_memory,
     "no idle case ran (idle, big5k-idle, big10k-idle, quick-idle, c100k)"),
)


def draw_charts(report_path, cases, baseline=None):
    """Draws the charts next to the report (REPORT-throughput.svg, ...) and returns the
    markdown lines that show them, or notes saying why a chart was skipped."""
    plt = load_matplotlib()
    if plt is None:
        return ["Charts skipped: python3-matplotlib is not installed "
                "(`scripts/install-deps bench`)."]
    stem = os.path.splitext(report_path)[0]
    lines = []
    for kind, title, draw, missing in CHARTS:
        path = f"{stem}-{kind}.svg"
        if draw(plt, path, cases, baseline):
            lines.extend([f"![{title}]({os.path.basename(path)})", ""])
        else:
            if os.path.exists(path):  # a picture of an earlier run would mislead
                os.remove(path)
            lines.extend([f"{title}: no chart, {missing}.", ""])
    return lines[:-1]
