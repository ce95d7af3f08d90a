#!/usr/bin/python3
"""Study: how long should a nightly update window be, for a release to reach cameras in three
time zones soonest without every camera installing at once?

A release reaches 120 managed cameras in Tokyo, Stockholm and New York an hour before Tokyo's
window opens (python/examples/window_length.yaml). Each site's 40 images take 80 minutes of its
10 Mbps uplink. Each camera starts its install at a time drawn inside its window, so a longer
window spreads the installs (fewer at once) but finishes later; a window too short for the
downloads postpones installs to the next night. The study sweeps the window's length across
seeds and reads, from each run's time series, when the last camera was done and how many
installs ran at once at the most; it plots both against the window's length, marks the shortest
completion, and writes a short text of findings.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/window_length.py [--seeds 3]
        [--out runs/window-length]
"""
import pathlib

import study  # first: it sets matplotlib's file-only backend
import matplotlib.pyplot as plt
import pandas

import ccsim

SCENARIO = pathlib.Path(__file__).with_name("window_length.yaml")
LENGTHS = ["30m", "1h", "2h", "4h", "8h"]
HOURS = {"30m": 0.5, "1h": 1, "2h": 2, "4h": 4, "8h": 8}
RELEASE_AT_S = 16 * 3600
KEY = "profiles.nightly.update_window.duration"


def completion_hours(series, cameras):
    """Hours from the release to the first sample with every camera upgraded; None if never."""
    frame = pandas.DataFrame(series)
    done = frame[frame["upgrades_done"] >= cameras]
    return None if done.empty else (done["time_s"].iloc[0] - RELEASE_AT_S) / 3600


def measure(seeds, cameras_per_site):
    scenario = ccsim.Scenario.load(SCENARIO, overrides={
        f"organizations.0.sites.{site}.devices.0.count": cameras_per_site for site in range(3)})
    frame = ccsim.sweep(scenario, grid={KEY: LENGTHS}, seeds=seeds, series=True)
    cameras = 3 * cameras_per_site
    frame["window_h"] = frame[KEY].map(HOURS)
    frame["completion_h"] = [completion_hours(s, cameras) for s in frame["series"]]
    frame["installs_at_once"] = [max(s["tasks_in_flight"]) for s in frame["series"]]
    return frame.drop(columns=["series"])


def findings(frame, table):
    best = table["completion_h"].idxmin()
    lines = [f"A release to cameras in Tokyo, Stockholm and New York, nightly windows from 02:00 "
             f"local, {frame['seed'].nunique()} seeds per length.",
             f"{'window':>7} {'done after h':>13} {'installs at once':>17} {'postponed':>10}"]
    lines += [f"{length:>7} {row.completion_h:>13.1f} {row.installs_at_once:>17.1f} "
              f"{row.installs_postponed:>10.1f}" for length, row in table.iterrows()]
    lines += [f"Installs at once: the most in any minute's sample (an install takes about 95 s).",
              f"Soonest done: a {best} window, {table.loc[best, 'completion_h']:.1f} h after the "
              f"release. Shorter windows leave Tokyo's downloads unfinished at the last start and "
              f"push installs to the next night; longer ones spread the installs thinner and "
              f"finish later."]
    lines += study.failed_runs(frame)
    return "\n".join(lines) + "\n"


def plot(table):
    figure, done_axes = plt.subplots(figsize=(6, 4))
    done_axes.plot(table["window_h"], table["completion_h"], "o-", label="last camera done")
    best = table["completion_h"].idxmin()
    done_axes.plot(table.loc[best, "window_h"], table.loc[best, "completion_h"], "rs",
                   markersize=10, fillstyle="none", label=f"soonest ({best})")
    done_axes.set_xscale("log", base=2)
    done_axes.set_xlabel("update window length (h)")
    done_axes.set_ylabel("hours from release to the last camera done")
    at_once_axes = done_axes.twinx()
    at_once_axes.plot(table["window_h"], table["installs_at_once"], "^--", color="tab:green",
                      label="installs at once (most, sampled each minute)")
    at_once_axes.set_ylabel("installs at once, at the most")
    handles = done_axes.get_legend_handles_labels()
    more = at_once_axes.get_legend_handles_labels()
    done_axes.legend(handles[0] + more[0], handles[1] + more[1], loc="upper center")
    done_axes.set_title("Update window length against rollout completion")
    return figure


def main():
    parser = study.arguments(__doc__, "runs/window-length", seeds_per="length")
    parser.add_argument("--cameras-per-site", type=int, default=40,
                        help="cameras at each of the three sites (default: 40)")
    args = parser.parse_args()
    out = study.output_folder(args)
    frame = measure(range(1, args.seeds + 1), args.cameras_per_site)
    table = frame.groupby(KEY, sort=False)[
        ["window_h", "completion_h", "installs_at_once", "installs_postponed"]].mean()
    table = table.reindex(LENGTHS)
    study.finish(out, frame, plot(table), "window_length.png", findings(frame, table))


if __name__ == "__main__":
    main()
