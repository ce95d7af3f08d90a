#!/usr/bin/python3
"""The capacity report of a 10,000-camera, 24-hour scenario (scenarios/capacity/city-day.yaml):
how large it is and how long headless Chromium takes to open it, beside a yardstick opened in the
same browser in the same invocation: a page of plain text of the same size (what any page that
large costs to read and lay out). Prints a table row and writes the figures as JSON.

    bench/report_open_bench.py --ccsim build/tools/ccsim --opens 5 --out build/bench-results/report.json
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SOURCE_DIR / "reports" / "tests"))
from check_report import ReportBrowser  # noqa: E402

SCENARIO = SOURCE_DIR / "scenarios" / "capacity" / "city-day.yaml"
TARGET_MS, TARGET_BYTES = 2000, 5 * 1024 * 1024


def yardstick_page(path, size):
    """Plain paragraphs of text, `size` bytes in all."""
    line = "<p>" + "capacity " * 11 + "</p>\n"
    head = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>yardstick</title></head><body>\n"
    body = line * max(0, (size - len(head) - 15) // len(line))
    path.write_text(head + body + "</body></html>\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ccsim", required=True)
    parser.add_argument("--opens", type=int, default=5, help="times each page is opened (default 5)")
    parser.add_argument("--out", help="write the figures here as JSON")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ccsim-report-bench-"))
    started = time.monotonic()
    run = subprocess.run([args.ccsim, "run", str(SCENARIO), "--out", str(work / "run"), "--quiet"],
                         capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit(f"ccsim run failed ({run.returncode}):\n{run.stderr}")
    run_seconds = time.monotonic() - started
    report = work / "run" / "report.html"
    size = report.stat().st_size
    yardstick = work / "yardstick.html"
    yardstick_page(yardstick, size)
    report_ms, yardstick_ms, charts = [], [], 0
    with ReportBrowser() as browser:
        for _ in range(args.opens):  # alternate, so the machine's noise falls on both
            check = browser.check(report)
            if check.problems:
                sys.exit("the report has problems: " + "; ".join(check.problems))
            report_ms.append(check.load_ms)
            charts = check.charts
            yardstick_ms.append(browser.check(yardstick).load_ms)
    figures = {"scenario": str(SCENARIO.relative_to(SOURCE_DIR)), "run_seconds": round(run_seconds, 1),
               "report_bytes": size, "charts": charts,
               "report_load_ms_median": statistics.median(report_ms),
               "yardstick_load_ms_median": statistics.median(yardstick_ms)}
    figures["ratio"] = round(figures["report_load_ms_median"] / figures["yardstick_load_ms_median"], 2)
    print("| report bytes | charts | opened in (median ms) | yardstick (median ms) | ratio | run s |")
    print(f"| {size:,} | {charts} | {figures['report_load_ms_median']:.0f} | "
          f"{figures['yardstick_load_ms_median']:.0f} | {figures['ratio']} | {run_seconds:.1f} |")
    print(f"targets: under {TARGET_MS} ms and {TARGET_BYTES:,} bytes: "
          f"{'met' if figures['report_load_ms_median'] < TARGET_MS and size < TARGET_BYTES else 'NOT met'}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
