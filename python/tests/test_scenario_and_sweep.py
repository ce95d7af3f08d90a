"""Tests of the Python half: Scenario holds a file and its overrides and checks each at once with
the command line's message; frames put results into pandas; sweep runs a grid of settings and
seeds on a local pool and on a Dask cluster of two worker processes, and a run that cannot run
comes back as a row with its seed and the command that reproduces it."""
import os
import pathlib
import subprocess
import sys
import time

import pandas
import pytest

import ccsim

SOURCE = pathlib.Path(os.environ.get("CCSIM_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
HANDFUL = str(SOURCE / "scenarios" / "quickstart" / "handful.yaml")
NETWORK_CUT = str(SOURCE / "scenarios" / "quickstart" / "network-cut.yaml")
BINARY = os.environ.get("CCSIM_BINARY", str(SOURCE / "build" / "tools" / "ccsim"))


def test_a_scenario_takes_key_and_attribute_overrides_and_runs():
    s = ccsim.Scenario.load(NETWORK_CUT, overrides={"fleet.sites": 10})
    assert s.name == "quickstart-network-cut"
    s["fleet.cameras"] = 50
    s.duration = "2h"
    assert s.overrides == {"fleet.sites": 10, "fleet.cameras": 50, "duration": "2h"}
    assert s.devices == 50 and s.duration_s == 7200
    r = s.run(seed=3)
    assert r.passed and r.devices == 50 and r.sim_time_s == 7200
    assert "--set fleet.cameras=50" in r.reproduce and "--seed 3" in r.reproduce
    assert s.with_overrides(**{"fleet.cameras": 20}).devices == 20
    assert s.devices == 50, "with_overrides leaves the original alone"


def test_bad_input_raises_the_command_lines_message_and_changes_nothing():
    s = ccsim.Scenario.load(HANDFUL)
    with pytest.raises(ccsim.ScenarioError) as error:
        s["heartbeat.interval"] = "often"
    message = str(error.value)
    assert message.startswith('--set heartbeat.interval=often: heartbeat.interval: "often" is not '
                              "a duration"), message
    cli = subprocess.run([BINARY, "run", HANDFUL, "--set", "heartbeat.interval=often"],
                         capture_output=True, text=True)
    assert cli.returncode == 2 and message in cli.stderr, cli.stderr
    assert s.overrides == {}
    with pytest.raises(ccsim.ScenarioError, match="no_such_key"):
        ccsim.Scenario.load(HANDFUL, overrides={"no_such_key": 1})


def test_frames_hold_metrics_per_run_and_the_series_per_sample():
    runs = [ccsim.run(HANDFUL, seed=seed, overrides={"sample_interval": "15m"}) for seed in (1, 2)]
    metrics = ccsim.metrics_frame(runs)
    assert list(metrics["seed"]) == [1, 2]
    assert list(metrics.columns[:3]) == ["scenario", "seed", "passed"]
    assert (metrics["devices"] == 5).all()
    assert metrics[["heartbeats_received"]].to_numpy().shape == (2, 1)
    series = ccsim.series_frame(runs[0])
    assert list(series.index) == [0.0, 900.0, 1800.0, 2700.0, 3600.0]
    assert series.loc[3600.0, "devices_connected"] == 5


def grid_3x3():
    return {"heartbeat.interval": ["1m", "2m", "5m"], "start_within": ["10s", "30s", "60s"]}


def test_a_local_sweep_gives_one_row_per_setting_and_seed_in_order():
    frame = ccsim.sweep(HANDFUL, grid=grid_3x3(), seeds=range(1, 3), jobs=2)
    assert len(frame) == 18
    assert list(frame["heartbeat.interval"][:6]) == ["1m", "1m", "1m", "1m", "1m", "1m"]
    assert list(frame["start_within"][:6]) == ["10s", "10s", "30s", "30s", "60s", "60s"]
    assert list(frame["seed"][:2]) == [1, 2]
    assert frame["passed"].all(), frame[["reproduce", "failed_checks"]]
    # Heartbeats every 1m, 2m or 5m for an hour: fewer the sparser they are, for every seed.
    mean = frame.groupby("heartbeat.interval")["heartbeats_received"].mean()
    assert mean["1m"] > mean["2m"] > mean["5m"]


def test_a_run_that_cannot_run_is_a_row_with_its_seed_and_command():
    frame = ccsim.sweep(HANDFUL, grid={"heartbeat.interval": ["1m", "often"]}, seeds=[4])
    bad = frame[frame["heartbeat.interval"] == "often"].iloc[0]
    assert not bad["passed"] and bad["seed"] == 4
    assert "heartbeat.interval" in bad["error"]
    assert bad["reproduce"].startswith("ccsim run ")
    assert "--seed 4" in bad["reproduce"] and "--set heartbeat.interval=often" in bad["reproduce"]
    good = frame[frame["heartbeat.interval"] == "1m"].iloc[0]
    assert good["passed"] and good["error"] is None


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and two workers, each its own process, as a cluster across machines would
    run them; the workers find ccsim through PYTHONPATH."""
    import distributed  # Debian's python3-distributed (tools/setup): missing fails, never skips
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    processes = [subprocess.Popen(
        ["/usr/bin/dask-scheduler", "--scheduler-file", str(scheduler_file), "--host",
         "127.0.0.1", "--port", "0", "--dashboard-address", ":0", "--no-show"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 30
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start in 30 s"
            time.sleep(0.1)
        for _ in range(2):
            processes.append(subprocess.Popen(
                ["/usr/bin/dask-worker", "--scheduler-file", str(scheduler_file), "--nthreads",
                 "1", "--nworkers", "1", "--no-nanny", "--host", "127.0.0.1",
                 "--dashboard-address", ":0"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        client = distributed.Client(scheduler_file=str(scheduler_file), timeout=30)
        client.wait_for_workers(2, timeout=60)
        yield client
        client.close()
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def test_a_3x3_sweep_of_5_seeds_spreads_over_both_dask_workers(dask_cluster):
    frame = ccsim.sweep(HANDFUL, grid=grid_3x3(), seeds=range(1, 6), client=dask_cluster)
    assert len(frame) == 45
    assert frame["passed"].all(), frame[["reproduce", "failed_checks", "error"]]
    assert frame["worker"].nunique() == 2, frame["worker"].value_counts()
    # The same runs locally give the same metrics: where a run goes changes nothing.
    local = ccsim.sweep(HANDFUL, grid={"heartbeat.interval": ["2m"], "start_within": ["30s"]},
                        seeds=[3])
    remote = frame[(frame["heartbeat.interval"] == "2m") & (frame["start_within"] == "30s")
                   & (frame["seed"] == 3)]
    assert remote["heartbeats_received"].iloc[0] == local["heartbeats_received"].iloc[0]
