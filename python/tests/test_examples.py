"""The studies of python/examples/ run at a small size, as CI runs them: each writes its plot, its
findings and its runs, and what it finds holds (by the table of docs/NAT_TRAVERSAL.md, a camera
behind a symmetric NAT watched from one costs the relay its stream twice)."""
import os
import pathlib
import subprocess
import sys

import pandas

SOURCE = pathlib.Path(os.environ.get("CCSIM_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
EXAMPLES = SOURCE / "python" / "examples"


def run_example(name, *args):
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                          text=True, timeout=600, env={**os.environ})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_relay_share_study_writes_a_plot_and_finds_4_mbps_per_relayed_camera(tmp_path):
    out = run_example("relay_share.py", "--cameras", "20", "--seeds", "1", "--out", str(tmp_path))
    png = (tmp_path / "relay_share.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    findings = (tmp_path / "findings.txt").read_text()
    assert findings in out
    assert "Measured: 4.00 Mbps of relay per camera" in findings
    assert "Failed runs: 0." in findings
    runs = pandas.read_csv(tmp_path / "runs.csv")
    assert len(runs) == 5 and runs["passed"].all()
    # 20 cameras: 2, 6, 10, 14, 18 behind symmetric NATs, each relayed at 4 Mbps.
    assert list(runs["relay_bandwidth_peak_bps"]) == [8e6, 24e6, 40e6, 56e6, 72e6]


def test_a_study_refuses_a_fleet_too_small_to_split():
    done = subprocess.run([sys.executable, str(EXAMPLES / "relay_share.py"), "--cameras", "3"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--cameras: at least 10" in done.stderr


def test_reconnect_storm_study_trades_the_storms_peak_for_time_offline(tmp_path):
    out = run_example("reconnect_storm.py", "--cameras", "200", "--seeds", "1", "--out",
                      str(tmp_path))
    png = (tmp_path / "reconnect_storm.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    findings = (tmp_path / "findings.txt").read_text()
    assert findings in out and "The knee of the trade-off: a first step of " in findings
    runs = pandas.read_csv(tmp_path / "runs.csv")
    assert len(runs) == 5 and runs["passed"].all()
    # A longer first step spreads the storm and keeps cameras offline longer, step after step;
    # every camera waits at least a draw below 30 s when the first step is 30 s, and a camera
    # can only be offline so long as its draws add up: at most 30 + 60 + 120 s.
    assert list(runs["reconnect.first"]) == ["500ms", "1s", "3s", "10s", "30s"]
    assert runs["reconnect_peak_per_second"].is_monotonic_decreasing
    assert runs["offline_p99_s"].is_monotonic_increasing
    assert runs["offline_p99_s"].iloc[-1] < 210


def test_window_length_study_finds_too_short_a_window_postpones_and_longer_ones_finish_later(
        tmp_path):
    out = run_example("window_length.py", "--seeds", "1", "--out", str(tmp_path))
    png = (tmp_path / "window_length.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    findings = (tmp_path / "findings.txt").read_text()
    assert findings in out and "Soonest done: a 1h window" in findings
    runs = pandas.read_csv(tmp_path / "runs.csv").set_index(
        "profiles.nightly.update_window.duration")
    assert list(runs.index) == ["30m", "1h", "2h", "4h", "8h"] and runs["passed"].all()
    # Tokyo's 40 images need 80 minutes of its uplink from an hour before its window: a 30-minute
    # window's last start comes first, and its installs wait a night (24 h more).
    assert runs.loc["30m", "installs_postponed"] > 0
    assert (runs.loc[["1h", "2h", "4h", "8h"], "installs_postponed"] == 0).all()
    assert runs.loc["30m", "completion_h"] > runs.loc["1h", "completion_h"] + 6
    longer = runs.loc[["1h", "2h", "4h", "8h"]]
    assert longer["completion_h"].is_monotonic_increasing
    assert longer["installs_at_once"].is_monotonic_decreasing
