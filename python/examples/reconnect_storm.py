#!/usr/bin/python3
"""Study: how do the devices' reconnection back-off settings shape the storm a region's endpoint
crash sends to the platform, and what does a calmer storm cost in time offline?

eu-west's device endpoint crashes under 2,000 cameras (python/examples/reconnect_storm.yaml):
every connection is reset at once, and each camera reconnects after a delay drawn below its
back-off's first step (`reconnect.first`), doubling to `reconnect.cap`. A short first step brings
the fleet back at once in a tall storm; a long one spreads the storm and leaves cameras offline
longer. The study sweeps the first step across seeds, plots the storm's peak (connections a
second at the busiest endpoint) against the cameras' 99th-percentile time offline, marks the
knee of that trade-off, and writes a short text of findings.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/reconnect_storm.py
        [--cameras 2000] [--seeds 3] [--out runs/reconnect-storm]
"""
import math
import pathlib

import study  # first: it sets matplotlib's file-only backend
import matplotlib.pyplot as plt

import ccsim

SCENARIO = pathlib.Path(__file__).with_name("reconnect_storm.yaml")
FIRST_STEPS = ["500ms", "1s", "3s", "10s", "30s"]
CAP = "2m"


def measure(cameras, seeds):
    scenario = ccsim.Scenario.load(SCENARIO, overrides={"fleet.cameras": cameras,
                                                         "reconnect.cap": CAP})
    return ccsim.sweep(scenario, grid={"reconnect.first": FIRST_STEPS}, seeds=seeds)


def knee(points):
    """The point of a convex trade-off curve farthest from the chord between its ends, both axes
    on log scales (Satopaa et al.'s Kneedle, in its simplest form)."""
    logs = [(math.log10(x), math.log10(y)) for x, y in points]
    (x0, y0), (x1, y1) = logs[0], logs[-1]
    length = math.hypot(x1 - x0, y1 - y0)
    distances = [abs((y1 - y0) * x - (x1 - x0) * y + x1 * y0 - y1 * x0) / length for x, y in logs]
    return distances.index(max(distances))


def summary(frame):
    means = frame.groupby("reconnect.first", sort=False)[
        ["reconnect_peak_per_second", "offline_p99_s"]].mean()
    return means.reindex(FIRST_STEPS)


def findings(frame, table, knee_at, cameras):
    lines = [f"Reconnection storm after eu-west's endpoint crashed under {cameras} cameras, "
             f"{frame['seed'].nunique()} seeds per setting (cap {CAP}).",
             f"{'first step':>10} {'peak conn/s':>12} {'offline p99 s':>14}"]
    lines += [f"{first:>10} {row.reconnect_peak_per_second:>12.0f} {row.offline_p99_s:>14.1f}"
              for first, row in table.iterrows()]
    fast, slow = table.iloc[0], table.iloc[-1]
    lines += [
        f"From {FIRST_STEPS[0]} to {FIRST_STEPS[-1]} the peak falls {fast.reconnect_peak_per_second / slow.reconnect_peak_per_second:.0f}-fold "
        f"while the 99th-percentile time offline grows {slow.offline_p99_s / fast.offline_p99_s:.0f}-fold.",
        f"The knee of the trade-off: a first step of {FIRST_STEPS[knee_at]} "
        f"({table.iloc[knee_at].reconnect_peak_per_second:.0f} connections a second, "
        f"{table.iloc[knee_at].offline_p99_s:.1f} s offline at the 99th percentile)."]
    lines += study.failed_runs(frame)
    return "\n".join(lines) + "\n"


def plot(table, knee_at, cameras):
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(table["offline_p99_s"], table["reconnect_peak_per_second"], "o-")
    for first, row in table.iterrows():
        axes.annotate(f"first {first}", (row.offline_p99_s, row.reconnect_peak_per_second),
                      textcoords="offset points", xytext=(6, 4), fontsize=8)
    axes.plot(table["offline_p99_s"].iloc[knee_at],
              table["reconnect_peak_per_second"].iloc[knee_at], "rs", markersize=10,
              fillstyle="none", label="knee")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("99th-percentile time offline (s)")
    axes.set_ylabel("storm peak (connections a second)")
    axes.set_title(f"Reconnection back-off after an endpoint crash, {cameras} cameras")
    axes.legend()
    return figure


def main():
    parser = study.arguments(__doc__, "runs/reconnect-storm")
    parser.add_argument("--cameras", type=int, default=2000, help="fleet size (default: 2000)")
    args = parser.parse_args()
    if args.cameras < 20:
        parser.error("--cameras: at least 20, one a site")
    out = study.output_folder(args)
    frame = measure(args.cameras, range(1, args.seeds + 1))
    table = summary(frame)
    knee_at = knee(list(zip(table["offline_p99_s"], table["reconnect_peak_per_second"])))
    study.finish(out, frame, plot(table, knee_at, args.cameras), "reconnect_storm.png",
                 findings(frame, table, knee_at, args.cameras))


if __name__ == "__main__":
    main()
