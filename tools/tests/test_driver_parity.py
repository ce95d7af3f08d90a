"""The parity suite: every scenario of the quickstart, onboarding, modes and tasks suites and the
live-session scenarios the real driver can make, run with seeds 1-5 on both drivers (SimGrid, and TLS websockets on loopback with the paused clock), must
give the same verdict for every check, and every run must pass.

Fleets are brought to 50 devices or fewer with `--set` overrides, and where a check counts devices
its bounds are brought down with them, so each scenario keeps what it shows at the smaller size.
Run with Debian's Python: `/usr/bin/python3 -m pytest -q tools/tests/test_driver_parity.py`.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("CCSIM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BINARY = Path(os.environ.get("CCSIM_BINARY", SOURCE_DIR / "build" / "tools" / "ccsim"))
SUITES = ["quickstart", "onboarding", "modes", "tasks"]
# Live sessions whose sites need no NAT (the real driver puts none before a site; viewers' NATs are
# the engine's): signaling, seats and refusals over real websockets, and keepalives.
LIVE_SESSIONS = ["nat-traversal/seats-and-refusals.yaml", "nat-traversal/long-session-keepalive.yaml"]
SEEDS = range(1, 6)
DEVICES_MAX = 50


def exactly(check, count):
    return [f"checks.{check}.at_least={count}", f"checks.{check}.at_most={count}"]


# Scenario (relative to scenarios/) -> the overrides that bring it to DEVICES_MAX devices or fewer.
OVERRIDES = {
    "quickstart/network-cut.yaml": ["fleet.cameras=50"],  # 5 of 10 sites cut: fractions only
    "onboarding/one-click.yaml": ["fleet.cameras=50"],
    # 50 cameras in a trail kept to 150 entries: the onboarding answers stay, the claims roll off.
    "onboarding/audit-retention.yaml": [
        "organizations.0.sites.0.devices.0.count=50",
        "organizations.0.audit_retention.entries=150",
        *exactly(1, 50), *exactly(4, 50)],
    # 30 cameras for 25 seats: 5 refused.
    "onboarding/license-exhaustion.yaml": [
        "organizations.0.sites.0.devices.0.count=30",
        "organizations.0.licenses.device-management=25",
        *exactly(0, 5), *exactly(1, 25), *exactly(2, 5), *exactly(3, 5)],
    # Each site halved: 15 managed, 10 connected, 5 standalone.
    "modes/onboarding-sets-the-mode.yaml": [
        "organizations.0.sites.0.devices.0.count=15",
        "organizations.0.sites.1.devices.0.count=10",
        "organizations.0.sites.2.devices.0.count=5",
        "checks.0.at_least=15", "checks.1.at_least=10", "checks.2.at_least=5",
        *exactly(3, 15), *exactly(4, 10), *exactly(5, 25), *exactly(6, 15), *exactly(7, 10)],
    # Each site's cameras halved: 2 edge hosts, 20 Tier-1 and 10 Tier-2 cameras.
    "onboarding/local-discovery-edge-host.yaml": [
        "organizations.0.sites.0.devices.1.count=10", "organizations.0.sites.0.devices.2.count=5",
        "organizations.0.sites.1.devices.1.count=10", "organizations.0.sites.1.devices.2.count=5",
        "checks.2.at_least=32", *exactly(3, 30), "checks.4.at_least=32"],
    # Two edge hosts carrying 20 Tier-2 cameras each.
    "tasks/edge-host-tier2.yaml": [
        "organizations.0.sites.0.devices.1.count=20", "organizations.0.sites.1.devices.1.count=20",
        *exactly(1, 40), *exactly(2, 20), "checks.3.at_least=20", "checks.4.at_least=20",
        *exactly(5, 60)],
    # Ten stores of 5 cameras.
    "tasks/overlay-large-group.yaml": [
        *[f"organizations.0.sites.{site}.devices.0.count=5" for site in range(10)],
        *exactly(1, 50), *exactly(2, 50)],
}


def scenario_files():
    return sorted([str(path.relative_to(SOURCE_DIR / "scenarios"))
                   for suite in SUITES for path in (SOURCE_DIR / "scenarios" / suite).glob("*.yaml")]
                  + LIVE_SESSIONS)


def run(tmp_path, scenario, seed, driver):
    out = tmp_path / driver
    args = [str(BINARY), "run", str(SOURCE_DIR / "scenarios" / scenario), "--seed", str(seed),
            "--driver", driver, "--out", str(out), "--quiet", "--no-charts"]
    for override in OVERRIDES.get(scenario, []):
        args += ["--set", override]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), f"{' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return json.loads((out / "result.json").read_text())


def verdicts(result):
    return [(check["id"], check["passed"]) for check in result["checks"]]


def failures(result):
    return "\n".join(f"  {c['id']}: {c['detail']}" for c in result["checks"] if not c["passed"])


def test_every_overridden_scenario_exists():
    assert set(OVERRIDES) <= set(scenario_files())


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", scenario_files())
def test_both_drivers_give_the_same_verdicts(tmp_path, scenario, seed):
    simulated = run(tmp_path, scenario, seed, "sim")
    real = run(tmp_path, scenario, seed, "real")
    assert simulated["devices"] <= DEVICES_MAX, f"{scenario}: add overrides to OVERRIDES"
    assert real["devices"] == simulated["devices"]
    assert real["driver"] == "real" and simulated["driver"] == "sim"
    assert verdicts(real) == verdicts(simulated), (
        f"{scenario} seed {seed}\nsim:\n{failures(simulated)}\nreal:\n{failures(real)}")
    assert simulated["passed"], f"{scenario} seed {seed} on sim:\n{failures(simulated)}"
