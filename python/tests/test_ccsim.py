"""Tests of the Python module: runs come back with checks, metrics and a trace hash, one seed
reproduces a run, overrides reach the scenario, and bad input raises with file, line and key."""
import os
import pathlib
import re

import pytest

import ccsim

SOURCE = pathlib.Path(os.environ.get("CCSIM_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
HANDFUL = str(SOURCE / "scenarios" / "quickstart" / "handful.yaml")
NETWORK_CUT = str(SOURCE / "scenarios" / "quickstart" / "network-cut.yaml")


def test_run_returns_checks_metrics_and_hash():
    r = ccsim.run(HANDFUL, seed=7)
    assert r.passed is True
    assert r.seed == 7
    assert r.checks and all(c.passed for c in r.checks)
    assert {c.id for c in r.checks} >= {"all-connected", "no-frame-errors"}
    assert r.metrics["devices"] == r.devices > 0
    assert r.metrics["frame_errors"] == 0
    assert r.metrics["heartbeats_received"] > 0
    assert re.fullmatch(r"[0-9a-f]{64}", r.trace_hash)
    assert r.sim_time_s > 0 and r.events > 0
    assert "--seed 7" in r.reproduce


def test_same_seed_same_trace_and_other_seed_differs():
    first = ccsim.run(HANDFUL, seed=3)
    again = ccsim.run(HANDFUL, seed=3)
    other = ccsim.run(HANDFUL, seed=4)
    assert first.trace_hash == again.trace_hash
    assert first.metrics == again.metrics
    assert other.trace_hash != first.trace_hash


def test_the_real_driver_gives_the_same_verdicts_over_sockets():
    simulated = ccsim.run(HANDFUL, seed=5)
    real = ccsim.run(HANDFUL, seed=5, driver="real")
    assert real.driver == "real" and simulated.driver == "sim"
    assert [(c.id, c.passed) for c in real.checks] == [(c.id, c.passed) for c in simulated.checks]
    assert real.passed
    assert real.metrics["hellos_accepted"] == simulated.metrics["hellos_accepted"] == 5
    assert "--driver real" in real.reproduce
    assert real.build.startswith("ccsim ") and real.tz_database


def test_an_unknown_driver_or_clock_is_a_value_error():
    with pytest.raises(ValueError, match="driver must be 'sim' or 'real'"):
        ccsim.run(HANDFUL, driver="simgrid")
    with pytest.raises(ValueError, match="clock must be 'paused' or 'real'"):
        ccsim.run(HANDFUL, driver="real", clock="fast")


def test_overrides_reach_the_scenario():
    r = ccsim.run(NETWORK_CUT, seed=1, overrides={"fleet.cameras": 120, "fleet.sites": 6})
    # The smaller fleet still recovers from the cut: every check passes.
    assert r.passed is True, [(c.id, c.detail) for c in r.checks if not c.passed]
    assert r.checks and all(c.passed for c in r.checks)
    assert r.devices == 120
    assert r.metrics["devices"] == 120
    # 120 cameras over 6 sites is 20 a site (the file's 1000 over 10 would be 100): each of the
    # five cut sites shows all 20 disconnected, and the 5 x 20 cut cameras each came back once.
    cut = [c for c in r.checks if c.id.startswith("cut-seen-site-")]
    assert len(cut) == 5
    for check in cut:
        assert "20 of 20 = 1.0000" in check.detail, check.detail
    back = next(c for c in r.checks if c.id == "all-back")
    assert back.detail.startswith("connected at 55m: 120 of 120"), back.detail
    assert r.metrics["reconnects"] == 100


def test_typo_in_key_raises_with_file_line_and_key(tmp_path):
    text = pathlib.Path(HANDFUL).read_text()
    bad = tmp_path / "typo.yaml"
    bad.write_text(text.replace("duration:", "duraton:", 1))
    line = next(i for i, l in enumerate(bad.read_text().splitlines(), 1) if l.startswith("duraton:"))
    with pytest.raises(ccsim.ScenarioError) as error:
        ccsim.run(str(bad))
    assert f"{bad}:{line}: duraton" in str(error.value)
    assert isinstance(error.value, ValueError)


def test_bad_override_value_raises_scenario_error():
    with pytest.raises(ccsim.ScenarioError, match="fleet.cameras"):
        ccsim.run(NETWORK_CUT, overrides={"fleet.cameras": -5})


def test_missing_file_raises_naming_it():
    with pytest.raises(ccsim.ScenarioError, match="no-such-scenario.yaml"):
        ccsim.run("no-such-scenario.yaml")


def test_override_of_unsupported_type_is_a_type_error():
    with pytest.raises(TypeError):
        ccsim.run(HANDFUL, overrides={"duration": [1, 2]})


ONE_CLICK = str(SOURCE / "scenarios" / "onboarding" / "one-click.yaml")


def test_the_contracts_onboarding_example_runs_and_reproduces():
    # The example of ARCHITECTURE.md's Python contract, at a size a test affords.
    r = ccsim.run(ONE_CLICK, seed=3, overrides={"fleet.cameras": 120, "fleet.sites": 4})
    assert r.passed is True, [(c.id, c.detail) for c in r.checks if not c.passed]
    assert r.devices == 120
    assert r.metrics["claims_accepted"] == 120
    assert r.metrics["onboardings_completed"] == 120
    assert r.metrics["audit_entries"] > 120
    onboarded = next(c for c in r.checks if c.id == "all-onboarded")
    assert onboarded.detail.startswith("120 of 120 devices onboarded by 10m")
    again = ccsim.run(ONE_CLICK, seed=3, overrides={"fleet.cameras": 120, "fleet.sites": 4})
    assert again.trace_hash == r.trace_hash and again.metrics == r.metrics
    other = ccsim.run(ONE_CLICK, seed=4, overrides={"fleet.cameras": 120, "fleet.sites": 4})
    assert other.trace_hash != r.trace_hash


def test_a_claim_past_the_seats_fails_the_check_it_should():
    # Fewer seats than cameras: the fleet cannot all onboard, and the verdict says so.
    r = ccsim.run(ONE_CLICK, seed=1, overrides={"fleet.cameras": 50, "fleet.sites": 2,
                                                "organizations.0.licenses.device-management": 40})
    assert r.passed is False
    failed = {c.id for c in r.checks if not c.passed}
    assert failed == {"all-onboarded", "none-failed", "no-refusals"}
    assert r.metrics["claims_refused_resource_exhausted"] == 10


ROLLOUT_ABORTED = str(SOURCE / "scenarios" / "update-windows" / "rollout-aborted.yaml")


def test_a_rollout_experiment_sweeps_the_abort_threshold():
    # An experiment a script would run: the same failing release, rolled out with a looser
    # abort threshold, goes further before it stops, and never further than its fleet.
    finished = []
    for share in ("20%", "40%"):
        r = ccsim.run(ROLLOUT_ABORTED, seed=2, overrides={"timeline.1.abort.failure_share": share,
                                                           "checks.1.at_most": 200})
        assert r.metrics["rollouts_aborted"] == 1
        state = next(c for c in r.checks if c.id == "aborted-at-threshold")
        assert state.passed, state.detail
        finished.append(int(re.search(r"with (\d+) succeeded and (\d+) failed", state.detail)
                            .group(1)) + int(re.search(r"and (\d+) failed", state.detail).group(1)))
        assert r.metrics["upgrades_failed"] > 0
    assert finished[0] <= finished[1] <= 200


def test_a_run_comes_back_with_its_time_series_for_pandas():
    import pandas  # Debian's python3-pandas (tools/setup): a missing one fails, never skips
    r = ccsim.run(NETWORK_CUT, seed=7, overrides={"sample_interval": "10m"})
    frame = pandas.DataFrame(r.series)
    assert list(frame.columns[:3]) == ["time_s", "devices_connected", "devices_unreachable"]
    # One row every 10 minutes from 0 to the run's end, inclusive.
    assert list(frame["time_s"]) == [600.0 * k for k in range(len(frame))]
    assert frame["time_s"].iloc[-1] == r.sim_time_s
    assert (frame["devices_connected"] + frame["devices_unreachable"] == r.devices).all()
    # Each interval's messages per second, times its length, add up to the run's count.
    delivered = (frame["messages_per_s"].iloc[1:] * 600).sum()
    assert delivered == pytest.approx(r.metrics["messages_delivered"])
