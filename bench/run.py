"""Run every benchmark (make bench) and print the table.

    python bench/run.py [--reload] [--runs 20] [--scales 1k,100k] [--no-ledger]

Each scale runs in its own process (`BENCH_SCALE`, its own PostgreSQL schema or SQLite file, see
marketplace/settings/bench.py) through bench/catalogue.py; then the ledger dashboard benchmark runs at
the largest scale. The table compares the scales: median and p95 server time, SQL queries, growth of the
median from the smallest to the largest scale, and the three targets:
queries constant in data size, each page within 10x the static file, growth under 1.5x.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
STATIC_ROW = "static file (reference)"
STATIC_FACTOR = 10
GROWTH_LIMIT = 1.5


def machine():
    memory = ""
    try:
        kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, StopIteration, ValueError):
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {memory} memory, Python {platform.python_version()}, "
        f"{datetime.now():%Y-%m-%d %H:%M}, load average {load}"
    )


def run_scale(scale, args):
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"catalogue-{scale}.json"
    env = {**os.environ, "BENCH_SCALE": scale, "DJANGO_SETTINGS_MODULE": "marketplace.settings.bench"}
    command = [sys.executable, str(ROOT / "bench" / "catalogue.py"), "--runs", str(args.runs), "--json", str(target)]
    if args.reload:
        command.append("--reload")
    print(f"== bench/catalogue.py at {scale}", flush=True)
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    return json.loads(target.read_text())


def mark(ok):
    return "✓" if ok else "✗"


def table(figures):
    """Markdown table of every row at every scale, with the targets."""
    scales = list(figures)
    small, large = figures[scales[0]], figures[scales[-1]]
    lines = []
    head = ["row"]
    for s in scales:
        head += [f"{s} median ms", f"{s} p95", f"{s} SQL"]
    head += ["growth", "SQL const", f"≤{STATIC_FACTOR}× static", f"growth <{GROWTH_LIMIT}×"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("| --- | " + " | ".join("---:" for _ in head[1:-3]) + " | :-: | :-: | :-: |")
    static = large["rows"][STATIC_ROW]["median"]
    for name in large["rows"]:
        cells = [name]
        for s in scales:
            r = figures[s]["rows"][name]
            cells += [f"{r['median']:.1f}", f"{r['p95']:.1f}", str(r["queries"])]
        a, b = small["rows"][name], large["rows"][name]
        growth = b["median"] / a["median"] if a["median"] else 0
        same_queries = a["queries"] == b["queries"] and len(b["queries_seen"]) == 1
        if name == STATIC_ROW:
            cells += [f"{growth:.2f}×", "", "", ""]
        else:
            cells += [
                f"{growth:.2f}×",
                mark(same_queries),
                f"{mark(b['median'] <= STATIC_FACTOR * static)} {b['median'] / static:.0f}×",
                mark(growth < GROWTH_LIMIT),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reload", action="store_true", help="load every scale again from scratch")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scales", default="1k,100k")
    parser.add_argument("--no-ledger", action="store_true", help="skip the ledger dashboard benchmark")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    scales = args.scales.split(",")
    figures = {scale: run_scale(scale, args) for scale in scales}
    if not args.no_ledger:
        print(f"== bench/ledger_dashboard.py at {scales[-1]}", flush=True)
        env = {**os.environ, "BENCH_SCALE": scales[-1], "DJANGO_SETTINGS_MODULE": "marketplace.settings.bench"}
        subprocess.run([sys.executable, str(ROOT / "bench" / "ledger_dashboard.py")], env=env, check=True, cwd=ROOT)
    print()
    print(f"Machine: {machine()}")
    for scale, f in figures.items():
        print(f"{scale}: {f['database']}; " + ", ".join(f"{v:,} {k}" for k, v in f["counts"].items()))
    print(f"{args.runs} runs per row after one warm-up; server time through the whole middleware stack.")
    print()
    print(table(figures))


if __name__ == "__main__":
    main()
