"""ccsim's capacity report end to end: runs of a small scenario at three fleet sizes and two seeds,
each run's report.html and the merged `ccsim report`, opened in headless Chromium; the plan's
numbers worked again here from result.json by the formulas docs/CAPACITY.md states; and what
happens without matplotlib or with --no-charts."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ["CCSIM_SOURCE_DIR"])
BINARY = Path(os.environ["CCSIM_BINARY"])
sys.path.insert(0, str(SOURCE_DIR / "reports" / "tests"))
from check_report import ReportBrowser  # noqa: E402

SCENARIO = """
name: capacity-small
duration: 2h
start_within: 2m
heartbeat: {interval: 1m, missed_max: 3}
regions: [{name: eu-west}, {name: eu-central}]
profiles: {p: {mode: managed, track: lts-2024, capabilities: [webrtc]}}
organizations:
  - name: city
    default_profile: p
    licenses: {video-streaming: 1000}
    sites:
      - {name: harbour, region: eu-west, uplink: {bandwidth: 100Mbps, latency: 20ms},
         nat: {mapping: address-and-port-dependent, filtering: address-and-port-dependent},
         devices: [{count: 20, os: 11.11.0, track: lts-2024}]}
      - {name: market, region: eu-central, uplink: {bandwidth: 100Mbps, latency: 20ms},
         devices: [{count: 10, os: 11.11.0, track: lts-2024}]}
viewers: [{name: room, nat: {mapping: address-and-port-dependent, filtering: address-and-port-dependent}}]
timeline:
  - {at: 5m, do: onboard, devices: all}
  - {at: 30m, do: request_live_video, devices: {site: harbour}, from: room, for: 30m, bitrate: 1Mbps}
  - {at: 80m, do: fault, kind: endpoint_restart, region: eu-west, for: 30s}
checks: [{id: connected, expect: all_devices_connected, within: 10m}]
slo:
  - {metric: live_session_setup_p99_s, at_most: 3}
  - {metric: relay_bandwidth_peak_bps, at_most: 150e6}
capacity:
  headroom: 30%
  node: {turn_relay: 100Mbps}
  prices: {currency: EUR, turn_relay_node_month: 250, device_endpoint_node_month: 100,
           relay_egress_per_gb: 0.05}
"""
SIZES = (20, 40, 80)
SEEDS = (1, 2)


def ccsim(*args, env=None):
    done = subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env)
    return done


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("capacity")
    scenario = root / "capacity-small.yaml"
    scenario.write_text(SCENARIO)
    dirs = []
    for size in SIZES:
        for seed in SEEDS:
            out = root / f"harbour{size}-seed{seed}"
            done = ccsim("run", scenario, "--seed", seed, "--out", out, "--quiet",
                         "--set", f"organizations.0.sites.0.devices.0.count={size}")
            assert done.returncode in (0, 1), done.stderr
            dirs.append(out)
    return root, scenario, dirs


def result(run_dir):
    return json.loads((run_dir / "result.json").read_text())


def test_each_runs_report_opens_with_its_charts_and_a_csv_for_each(runs):
    _, _, dirs = runs
    with ReportBrowser() as browser:
        check = browser.check(dirs[0] / "report.html", dirs[0] / "screenshot.png")
    assert check.problems == []
    html = (dirs[0] / "report.html").read_text()
    figures = re.findall(r'<figure class="chart" id="chart-([a-z0-9-]+)"', html)
    assert check.charts == len(figures) >= 6
    for chart in figures:
        assert (dirs[0] / "charts" / f"{chart}.csv").is_file(), chart
        assert f'href="charts/{chart}.csv"' in html
    assert "<script" not in html


# The plan worked again from result.json: 40 harbour cameras behind symmetric NATs watched by a
# room behind one need the relay: 40 x 1 Mbps in and out, 80 Mbps on a 100 Mbps node planned to
# 70 %: 2 nodes at 40 %.
def test_the_plan_agrees_with_the_formulas_worked_from_result_json(runs):
    _, _, dirs = runs
    run = result(dirs[2])  # 40 cameras at the harbour, seed 1
    metrics = run["metrics"]
    assert metrics["live_sessions_relayed_udp"] + metrics["live_sessions_relayed_tcp"] == 40
    assert metrics["relay_bandwidth_peak_bps"] == 80e6
    nodes = math.ceil(80e6 / (100e6 * 0.7))
    assert nodes == 2
    html = (dirs[2] / "report.html").read_text()
    row = re.search(r"<td>TURN relay</td>.*?</tr>", html).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == ["80 Mbps", "100 Mbps", "2", "40.0 %"]
    # Egress: half the relay bandwidth over the run (trapezoids between samples), a 30-day month.
    rows = (dirs[2] / "timeseries.csv").read_text().splitlines()
    header = rows[0].split(",")
    t, r = header.index("time_s"), header.index("relay_bps")
    samples = [[float(v) for v in line.split(",")] for line in rows[1:]]
    bits = sum((b[r] + a[r]) / 2 * (b[t] - a[t]) for a, b in zip(samples, samples[1:]))
    egress_gb_month = bits / 2 / 8 / 1e9 * (30 * 86400) / run["sim_time_s"]
    endpoint_nodes = 1  # 50 connections, a connect peak far under 700 a second
    cost = nodes * 250 + endpoint_nodes * 100 + egress_gb_month * 0.05
    per_device = f"{cost / run['devices']:.4f} EUR a device a month"
    assert per_device in html, per_device


def test_ccsim_report_merges_the_runs_with_what_if_curves_and_knees(runs):
    root, _, dirs = runs
    out = root / "merged.html"
    done = ccsim("report", *dirs, "--out", out)
    # At 80 harbour cameras the relay carries 160 Mbps: over the 150 Mbps objective, both seeds.
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("6 runs, 2 failed")
    html = out.read_text()
    assert len(re.findall(r"<td>slo-relay_bandwidth_peak_bps</td>.*?badge fail", html)) == 2
    assert "<h3>What if</h3>" in html
    what_if = re.findall(r'id="chart-s1-what-if-\d+"', html)
    assert len(what_if) >= 2
    assert "<td>devices</td><td>relay_bandwidth_peak_bps</td>" in html
    assert (root / "merged-charts").is_dir()
    with ReportBrowser() as browser:
        check = browser.check(out, root / "merged.png")
    assert check.problems == []
    assert check.charts >= 6 + len(what_if)


def test_without_matplotlib_the_tables_and_csvs_are_still_written(runs, tmp_path):
    _, scenario, _ = runs
    env = dict(os.environ, CCSIM_PYTHON="/bin/false")
    done = ccsim("run", scenario, "--out", tmp_path / "run", "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    assert "ccsim: warning: the charts were not drawn (/bin/false exited 1)" in done.stderr
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Charts not drawn" in html and "Capacity plan" in html
    assert list((tmp_path / "run" / "charts").glob("*.csv"))


def test_no_charts_runs_no_renderer(runs, tmp_path):
    _, scenario, _ = runs
    done = ccsim("run", scenario, "--out", tmp_path / "run", "--quiet", "--no-charts")
    assert done.returncode == 0, done.stderr
    assert "Charts not drawn (--no-charts)" in (tmp_path / "run" / "report.html").read_text()
    assert not (tmp_path / "run" / "charts").exists()
