#!/usr/bin/python3
"""Benchmark: ccsim against two plain-SimGrid yardsticks doing the same traffic.

Each row runs N cameras for the same simulated horizon, each camera doing one request/response
with the cloud every heartbeat interval: ccsim (the whole platform node, device agents, wire
format, trace and checks), SimGrid with one actor per camera, and SimGrid with one actor per site
of 100 cameras. It prints, per row, wall time, simulated messages, cost per message and peak
memory (max RSS of each process), and ccsim's cost per message as a ratio to each yardstick.
Results go to OUT/bench.json and OUT/bench.md (a table to paste into docs/PERFORMANCE.md).

With --onboarding-scenario it also runs the onboarding benchmark: a fleet registered, connected,
claimed one-click and provisioned (bench/onboarding-fleet.yaml), and reports its wall time, peak
memory, cost per message, claims per wall-clock second and when the last camera was onboarded.

With --rollout-scenario it also runs the rollout benchmark: a managed fleet that installs a new
release inside nightly update windows over 8 simulated days (bench/rollout-fleet.yaml), and
reports its wall time, peak memory, cost per message, installs and when the last one finished.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import time

# The yardsticks run on the network model ccsim configures for SimGrid (sim/simulated_driver.cpp):
# LV08 without its slow-start correction factors and without its cross-traffic.
SIMGRID_OPTIONS = ["--log=root.thres:critical", "--cfg=contexts/stack-size:64",
                   "--cfg=network/latency-factor:1", "--cfg=network/bandwidth-factor:1",
                   "--cfg=network/crosstraffic:0"]
CAMERAS_PER_SITE = 100


def measure(command, label):
    """Runs command, returns (wall seconds, peak RSS in MiB, stdout); fails loudly."""
    print(f"  {label}: {' '.join(command)}", file=sys.stderr, flush=True)
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"bench: {label} exited {process.returncode}\n{stdout}\n{stderr}")
    return wall, usage.ru_maxrss / 1024.0, stdout


def yardstick_messages(stdout, label):
    found = re.search(r"messages=(\d+)", stdout)
    if not found:
        sys.exit(f"bench: {label} printed no messages= line:\n{stdout}")
    return int(found.group(1))


def run_ccsim(binary, args, cameras, run_dir, label):
    """One heartbeat run of `binary` at `cameras`; (wall s, peak MiB, messages delivered)."""
    sites = max(1, cameras // CAMERAS_PER_SITE)
    wall, rss, _ = measure([binary, "run", args.scenario, "--seed", "1", "--quiet",
                            "--out", str(run_dir),
                            "--set", f"fleet.cameras={cameras}",
                            "--set", f"fleet.sites={sites}",
                            "--set", f"duration={args.hours}h",
                            "--set", f"heartbeat.interval={args.interval}s",
                            "--set", f"start_within={args.interval}s",
                            "--set", f"checks.0.within={args.interval + 60}s",
                            "--set", f"checks.1.at={args.hours}h",
                            "--set", f"start_order={args.start_order}"]
                           + ([] if args.nat == "none" else
                              ["--set", f"fleet.nat.mapping={args.nat}"]), f"{label} {cameras}")
    result = json.loads((run_dir / "result.json").read_text())
    if not result["passed"]:
        sys.exit(f"bench: the {label} run failed its checks: {run_dir}/result.json")
    return {"wall_s": wall, "peak_mib": rss,
            "messages": int(result["metrics"]["messages_delivered"])}


def run_row(args, cameras, out):
    horizon = args.hours * 3600
    sites = max(1, cameras // CAMERAS_PER_SITE)
    row = {"cameras": cameras, "horizon_s": horizon, "interval_s": args.interval}
    row["ccsim"] = run_ccsim(args.ccsim, args, cameras, out / f"ccsim-{cameras}", "ccsim")
    if args.baseline:
        row["baseline"] = run_ccsim(args.baseline, args, cameras, out / f"baseline-{cameras}",
                                    "ccsim baseline")
    if cameras <= args.per_camera_max and args.start_order == "staggered":
        wall, rss, stdout = measure([args.per_camera, str(cameras), str(horizon),
                                     str(args.interval)] + SIMGRID_OPTIONS
                                    + (["--cfg=contexts/guard-size:0"] if cameras > 32000 else []),
                                    f"actor per camera {cameras}")
        row["per_camera"] = {"wall_s": wall, "peak_mib": rss,
                             "messages": yardstick_messages(stdout, "per camera")}
    wall, rss, stdout = measure([args.per_site, str(sites), str(cameras // sites), str(horizon),
                                 str(args.interval), args.start_order] + SIMGRID_OPTIONS,
                                f"actor per site {cameras}")
    row["per_site"] = {"wall_s": wall, "peak_mib": rss,
                       "messages": yardstick_messages(stdout, "per site")}
    for run in ("ccsim", "baseline", "per_camera", "per_site"):
        if run in row:
            row[run]["us_per_message"] = 1e6 * row[run]["wall_s"] / row[run]["messages"]
    return row


def run_fleet_scenario(ccsim, scenario, cameras, run_dir, label):
    """Runs `scenario` at `cameras` cameras in sites of CAMERAS_PER_SITE; returns the wall time,
    the peak memory and result.json, or exits when the run failed its checks."""
    sites = max(1, cameras // CAMERAS_PER_SITE)
    wall, rss, _ = measure([ccsim, "run", scenario, "--seed", "1", "--quiet",
                            "--out", str(run_dir),
                            "--set", f"fleet.cameras={cameras}",
                            "--set", f"fleet.sites={sites}"], f"{label} {cameras}")
    result = json.loads((run_dir / "result.json").read_text())
    if not result["passed"]:
        sys.exit(f"bench: the {label} run failed its checks: {run_dir}/result.json")
    return wall, rss, result


def run_onboarding(args, cameras, out):
    wall, rss, result = run_fleet_scenario(args.ccsim, args.onboarding_scenario, cameras,
                                           out / f"onboarding-{cameras}", "onboarding")
    metrics = result["metrics"]
    onboarded = next(c for c in result["checks"] if c["id"] == "all-onboarded")["detail"]
    last = re.search(r"last at ([0-9.]+)s", onboarded)
    return {"cameras": cameras, "wall_s": wall, "peak_mib": rss,
            "messages": int(metrics["messages_delivered"]),
            "us_per_message": 1e6 * wall / metrics["messages_delivered"],
            "claims": int(metrics["claims_accepted"]),
            "onboarded": int(metrics["onboardings_completed"]),
            "audit_entries": int(metrics["audit_entries"]),
            "last_onboarded_s": float(last.group(1)) if last else None}


def run_rollout(args, cameras, out):
    wall, rss, result = run_fleet_scenario(args.ccsim, args.rollout_scenario, cameras,
                                           out / f"rollout-{cameras}", "rollout")
    metrics = result["metrics"]
    upgraded = next(c for c in result["checks"] if c["id"] == "all-upgraded")["detail"]
    count = re.match(r"([0-9]+) of ([0-9]+)", upgraded)
    if not count or count.group(1) != count.group(2):
        sys.exit(f"bench: not every camera upgraded: {upgraded}")
    return {"cameras": cameras, "wall_s": wall, "peak_mib": rss,
            "sim_days": result["sim_time_s"] / 86400,
            "messages": int(metrics["messages_delivered"]),
            "us_per_message": 1e6 * wall / metrics["messages_delivered"],
            "release_checks": int(metrics["release_checks"]),
            "installs": int(metrics["policy_installs"]),
            "upgraded": int(metrics["upgrades_succeeded"]),
            "tasks": int(metrics["tasks_created"]),
            "audit_entries": int(metrics["audit_entries"])}


def run_failover(args, cameras, out):
    """The failover fleet: `cameras` over three regions minus the 200 of the scenario's own sites,
    in sites of CAMERAS_PER_SITE, eu-west down for 30 minutes."""
    fleet = cameras - 200
    run_dir = out / f"failover-{cameras}"
    wall, rss, _ = measure([args.ccsim, "run", args.failover_scenario, "--seed", "1", "--quiet",
                            "--out", str(run_dir),
                            "--set", f"fleet.cameras={fleet}",
                            "--set", f"fleet.sites={max(1, fleet // CAMERAS_PER_SITE)}"],
                           f"failover {cameras}")
    result = json.loads((run_dir / "result.json").read_text())
    if not result["passed"]:
        sys.exit(f"bench: the failover run failed its checks: {run_dir}/result.json")
    m = result["metrics"]
    return {"cameras": cameras, "wall_s": wall, "peak_mib": rss,
            "messages": int(m["messages_delivered"]),
            "us_per_message": 1e6 * wall / m["messages_delivered"],
            "reconnect_peak": int(m["reconnect_peak_per_second"]),
            "redirects": int(m["redirects_sent"]),
            "offline_p50_s": m["offline_p50_s"], "offline_p99_s": m["offline_p99_s"],
            "offline_max_s": m["offline_max_s"]}


def failover_table(rows):
    lines = ["| cameras | wall s | messages | µs/message | peak MiB | reconnect peak /s "
             "| sent home | offline p50 s | p99 s | max s |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['cameras']:,} | {r['wall_s']:.1f} | {r['messages']:,} "
                     f"| {r['us_per_message']:.2f} | {r['peak_mib']:.0f} | {r['reconnect_peak']:,} "
                     f"| {r['redirects']:,} | {r['offline_p50_s']:.1f} | {r['offline_p99_s']:.1f} "
                     f"| {r['offline_max_s']:.1f} |")
    return "\n".join(lines)


def rollout_table(rows):
    lines = ["| cameras | simulated days | wall s | messages | µs/message | peak MiB "
             "| release checks | installs (tasks) | upgraded | audit entries |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['cameras']:,} | {r['sim_days']:.0f} | {r['wall_s']:.1f} "
                     f"| {r['messages']:,} | {r['us_per_message']:.2f} | {r['peak_mib']:.0f} "
                     f"| {r['release_checks']:,} | {r['installs']:,} ({r['tasks']:,}) "
                     f"| {r['upgraded']:,} | {r['audit_entries']:,} |")
    return "\n".join(lines)


def onboarding_table(rows):
    lines = ["| cameras | wall s | messages | µs/message | peak MiB | claims | claims per wall s "
             "| audit entries | last onboarded (sim) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        last = f"{r['last_onboarded_s']:.1f} s" if r["last_onboarded_s"] is not None else "?"
        lines.append(f"| {r['cameras']:,} | {r['wall_s']:.1f} | {r['messages']:,} "
                     f"| {r['us_per_message']:.2f} | {r['peak_mib']:.0f} | {r['claims']:,} "
                     f"| {r['claims'] / r['wall_s']:,.0f} | {r['audit_entries']:,} | {last} |")
    return "\n".join(lines)


def table(rows):
    lines = ["| cameras | run | wall s | messages | µs/message | peak MiB | ccsim cost ratio |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        for run, name in (("ccsim", "ccsim"), ("baseline", "ccsim baseline (--baseline)"),
                          ("per_camera", "SimGrid, actor per camera"),
                          ("per_site", "SimGrid, actor per site")):
            if run not in row:
                continue
            r = row[run]
            ratio = "" if run == "ccsim" else \
                f"{row['ccsim']['us_per_message'] / r['us_per_message']:.2f}x"
            lines.append(f"| {row['cameras']:,} | {name} | {r['wall_s']:.1f} | {r['messages']:,} "
                         f"| {r['us_per_message']:.2f} | {r['peak_mib']:.0f} | {ratio} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ccsim", required=True, help="the ccsim binary")
    parser.add_argument("--per-camera", required=True, help="simgrid_actor_per_camera binary")
    parser.add_argument("--per-site", required=True, help="simgrid_actor_per_site binary")
    parser.add_argument("--baseline", help="another ccsim binary (an earlier build) to run on "
                        "each heartbeat row beside this one, for a before-and-after ratio")
    parser.add_argument("--scenario", required=True, help="bench/heartbeat-fleet.yaml")
    parser.add_argument("--onboarding-scenario", help="bench/onboarding-fleet.yaml; runs the "
                        "onboarding benchmark too")
    parser.add_argument("--onboarding-cameras", default="10000",
                        help="comma-separated fleet sizes to onboard (default: %(default)s)")
    parser.add_argument("--rollout-scenario", help="bench/rollout-fleet.yaml; runs the rollout "
                        "benchmark too")
    parser.add_argument("--rollout-cameras", default="10000",
                        help="comma-separated fleet sizes to roll out to (default: %(default)s)")
    parser.add_argument("--failover-scenario", help="bench/failover-fleet.yaml; runs the failover "
                        "benchmark too")
    parser.add_argument("--failover-cameras", default="1000000",
                        help="comma-separated fleet sizes over three regions "
                             "(default: %(default)s)")
    parser.add_argument("--only-onboarding", "--skip-heartbeat", action="store_true",
                        help="skip the heartbeat rows (run only the onboarding and rollout "
                             "benchmarks asked for)")
    parser.add_argument("--out", required=True, help="folder for results")
    parser.add_argument("--cameras", default="1000,10000,100000,1000000",
                        help="comma-separated fleet sizes (default: %(default)s)")
    parser.add_argument("--hours", type=int, default=24, help="simulated hours (default: 24)")
    parser.add_argument("--interval", type=int, default=1200,
                        help="heartbeat interval in seconds (default: %(default)s)")
    parser.add_argument("--start-order", choices=["staggered", "random"], default="staggered",
                        help="cameras start evenly in order (as the yardsticks were written) or "
                             "at scattered times (ccsim's default); the actor-per-camera "
                             "yardstick only knows staggered (default: %(default)s)")
    parser.add_argument("--nat", default="endpoint-independent",
                        choices=["endpoint-independent", "address-dependent",
                                 "address-and-port-dependent", "none"],
                        help="the mapping behaviour of the NAT before every ccsim site, or none "
                             "(the yardsticks have no NAT) (default: %(default)s)")
    parser.add_argument("--per-camera-max", type=int, default=100000,
                        help="largest fleet to run the actor-per-camera yardstick on "
                             "(it needs about 20 KiB per camera)")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.cameras.split(",")]
    if any(n < CAMERAS_PER_SITE or n % CAMERAS_PER_SITE for n in sizes):
        sys.exit(f"bench: --cameras: each size must be a multiple of {CAMERAS_PER_SITE}")
    rows = []
    for cameras in [] if args.only_onboarding else sizes:
        print(f"bench: {cameras:,} cameras x {args.hours} h, heartbeat every {args.interval} s, "
              f"{args.start_order} start, NAT {args.nat}",
              file=sys.stderr, flush=True)
        rows.append(run_row(args, cameras, out))
        (out / "bench.json").write_text(json.dumps(rows, indent=2) + "\n")
    text = table(rows) if rows else ""
    if args.onboarding_scenario:
        onboarding = []
        for cameras in [int(x) for x in args.onboarding_cameras.split(",")]:
            print(f"bench: onboarding {cameras:,} cameras", file=sys.stderr, flush=True)
            onboarding.append(run_onboarding(args, cameras, out))
            (out / "onboarding.json").write_text(json.dumps(onboarding, indent=2) + "\n")
        text += ("\n\n" if text else "") + onboarding_table(onboarding)
    if args.rollout_scenario:
        rollout = []
        for cameras in [int(x) for x in args.rollout_cameras.split(",")]:
            print(f"bench: rollout to {cameras:,} cameras over 8 simulated days", file=sys.stderr,
                  flush=True)
            rollout.append(run_rollout(args, cameras, out))
            (out / "rollout.json").write_text(json.dumps(rollout, indent=2) + "\n")
        text += ("\n\n" if text else "") + rollout_table(rollout)
    if args.failover_scenario:
        failover = []
        for cameras in [int(x) for x in args.failover_cameras.split(",")]:
            print(f"bench: failover of {cameras:,} cameras over three regions, 24 simulated hours",
                  file=sys.stderr, flush=True)
            failover.append(run_failover(args, cameras, out))
            (out / "failover.json").write_text(json.dumps(failover, indent=2) + "\n")
        text += ("\n\n" if text else "") + failover_table(failover)
    (out / "bench.md").write_text(text + "\n")
    print(text)
    print(f"\nresults: {out / 'bench.json'}, {out / 'bench.md'}")


if __name__ == "__main__":
    main()
