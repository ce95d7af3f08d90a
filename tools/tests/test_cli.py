"""End-to-end tests of the `ccsim` command line: the user contract in ARCHITECTURE.md.

Run with Debian's Python: `/usr/bin/python3 -m pytest -q tools/tests`. The binary comes from
CCSIM_BINARY (default build/tools/ccsim), the scenarios from CCSIM_SOURCE_DIR (default the repo
root). Every output goes under pytest's tmp_path, and every command runs with a temporary
working directory, so a default `runs/` folder can never land in the repository.
"""

import json
import os
import re
import resource
import shlex
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("CCSIM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BINARY = Path(os.environ.get("CCSIM_BINARY", SOURCE_DIR / "build" / "tools" / "ccsim"))
QUICKSTART = SOURCE_DIR / "scenarios" / "quickstart"
HANDFUL = QUICKSTART / "handful.yaml"
NETWORK_CUT = QUICKSTART / "network-cut.yaml"

RESULT_KEYS = {"scenario", "seed", "passed", "checks", "metrics", "trace_hash", "sim_time_s",
               "wall_time_s", "events", "devices"}
EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_LIVENESS = 0, 1, 2, 4
UINT64_MAX = 2**64 - 1


@pytest.fixture(scope="session", autouse=True)
def _binary_exists():
    if not BINARY.is_file() or not os.access(BINARY, os.X_OK):
        pytest.fail(f"ccsim binary not found at {BINARY} (set CCSIM_BINARY)")
    if not HANDFUL.is_file():
        pytest.fail(f"scenario {HANDFUL} not found (set CCSIM_SOURCE_DIR)")


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    """The working directory for every command: never the repository."""
    return tmp_path_factory.mktemp("cwd")


def ccsim(*args, cwd, timeout=60, preexec_fn=None):
    return subprocess.run([str(BINARY), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec_fn)


@pytest.fixture
def cli(workdir):
    return lambda *args, **kw: ccsim(*args, cwd=workdir, **kw)


def line_of(path, needle):
    """The 1-based line number of the only line of `path` containing `needle`."""
    hits = [n for n, line in enumerate(Path(path).read_text().splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits} of {path}"
    return hits[0]


def edited_copy(src, dst, *replacements):
    """Copies `src` to `dst`, replacing each (old, new) exactly once."""
    text = Path(src).read_text()
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} is not in {src} exactly once"
        text = text.replace(old, new)
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    Path(dst).write_text(text)
    return Path(dst)


# The two ways of making handful.yaml fail: a fraction check that cannot hold in a quiet hour,
# and a metric bound that 5 cameras heartbeating every minute must exceed.
FAILING_VARIANTS = {
    "still-connected": [
        ("name: quickstart-handful", "name: handful-made-to-fail"),
        ("{id: still-connected, expect: connected_fraction, at: 55m, at_least: 1.0}",
         "{id: still-connected, expect: disconnected_fraction, at: 55m, at_least: 1.0}"),
    ],
    "few-heartbeats": [
        ("name: quickstart-handful", "name: handful-made-to-fail"),
        ("  - {id: no-frame-errors, expect: metric, metric: frame_errors, at_most: 0}\n",
         "  - {id: no-frame-errors, expect: metric, metric: frame_errors, at_most: 0}\n"
         "  - {id: few-heartbeats, expect: metric, metric: heartbeats_received, at_most: 1}\n"),
    ],
}


def make_failing(dst, variant="still-connected"):
    return edited_copy(HANDFUL, dst, *FAILING_VARIANTS[variant])


def read_result(run_dir):
    return json.loads((Path(run_dir) / "result.json").read_text())


def check_result_json(result):
    assert RESULT_KEYS <= result.keys(), f"missing keys {RESULT_KEYS - result.keys()}"
    assert isinstance(result["checks"], list) and result["checks"]
    for check in result["checks"]:
        assert {"id", "passed", "detail"} <= check.keys()
        assert isinstance(check["passed"], bool)
        assert isinstance(check["detail"], str) and check["detail"]
    assert result["passed"] == all(c["passed"] for c in result["checks"])
    assert isinstance(result["metrics"], dict) and result["metrics"]
    assert re.fullmatch(r"[0-9a-f]{16,}", result["trace_hash"])
    assert result["events"] > 0 and result["devices"] > 0 and result["sim_time_s"] > 0
    assert result["wall_time_s"] >= 0


def junit_cases(junit_path):
    root = ET.parse(junit_path).getroot()
    return root, list(root.iter("testcase"))


# ---- help and command-line errors ---------------------------------------------------------


def usage_options(usage_line):
    return set(re.findall(r"--[a-z][a-z-]*", usage_line))


@pytest.mark.parametrize("command,options", [
    ("run", {"--seed", "--out", "--set", "--driver", "--clock", "--swarm", "--quiet"}),
    ("suite", {"--seeds", "--out", "--jobs", "--driver", "--set", "--swarm"}),
    ("report", {"--out"}),
    ("turn-server", {"--listen", "--realm", "--user", "--auth-secret", "--relay-ip", "--min-port",
                     "--max-port", "--allocations-per-user", "--allocations-max",
                     "--channel-range"}),
])
def test_command_help_describes_every_option(cli, command, options):
    r = cli(command, "--help")
    assert r.returncode == EXIT_PASSED, r.stderr
    # The usage runs from "usage:" to the first blank line.
    start = r.stdout.index("usage:")
    usage = r.stdout[start:r.stdout.index("\n\n", start)]
    assert f"ccsim {command}" in usage
    assert options <= usage_options(usage), usage
    option_table = r.stdout[start + len(usage):]
    for option in usage_options(usage):
        assert re.search(rf"^\s+(-\w \[ )?{option}\b.*\S", option_table, re.M), \
            f"{option} is in the usage but not described:\n{r.stdout}"


def test_top_level_help_lists_the_commands(cli):
    r = cli("--help")
    assert r.returncode == EXIT_PASSED
    assert r.stdout.startswith("usage: ccsim")
    for command in ("run", "suite", "report", "turn-server"):
        assert re.search(rf"^\s+{command}\s+\S.*\S", r.stdout, re.M), r.stdout
    assert "--help" in r.stdout


def test_no_arguments_exits_2_with_usage(cli):
    r = cli()
    assert r.returncode == EXIT_BAD_INPUT
    assert "usage: ccsim" in r.stderr


def test_unknown_command_exits_2_naming_it(cli):
    r = cli("frobnicate", "x.yaml")
    assert r.returncode == EXIT_BAD_INPUT
    assert "frobnicate" in r.stderr


def test_unknown_option_exits_2_naming_it(cli):
    r = cli("run", HANDFUL, "--sed", "3")
    assert r.returncode == EXIT_BAD_INPUT
    assert "--sed" in r.stderr


@pytest.mark.parametrize("seed", ["abc", "-1", "7x", "", "18446744073709551616"])
def test_bad_seed_exits_2(cli, tmp_path, seed):
    r = cli("run", HANDFUL, "--seed", seed, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT, r.stdout
    assert "--seed" in r.stderr
    assert not (tmp_path / "out" / "result.json").exists()


# ---- one run ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def handful_seed7(tmp_path_factory, workdir):
    out = tmp_path_factory.mktemp("handful-seed7")
    return out, ccsim("run", HANDFUL, "--seed", "7", "--out", out, cwd=workdir)


def test_run_passes_and_writes_result_json(handful_seed7):
    out, r = handful_seed7
    assert r.returncode == EXIT_PASSED, r.stdout + r.stderr
    result = read_result(out)
    check_result_json(result)
    assert result["scenario"] == "quickstart-handful"
    assert result["seed"] == 7
    assert result["passed"] is True
    assert result["devices"] == 5
    assert [c["id"] for c in result["checks"]] == ["all-connected", "still-connected",
                                                   "no-frame-errors"]
    assert result["sim_time_s"] == pytest.approx(3600)
    assert result["trace_hash"] in r.stdout


def test_run_writes_junit_with_one_testcase_per_check(handful_seed7):
    out, _ = handful_seed7
    result = read_result(out)
    root, cases = junit_cases(out / "junit.xml")
    assert [c.get("name") for c in cases] == [c["id"] for c in result["checks"]]
    assert not list(root.iter("failure")) and not list(root.iter("error"))
    assert root.get("failures") == "0"
    assert root.get("tests") == str(len(result["checks"]))


def test_run_writes_report_html(handful_seed7):
    out, _ = handful_seed7
    html = (out / "report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "quickstart-handful" in html
    assert read_result(out)["trace_hash"] in html


def test_run_stdout_ends_with_report_path(handful_seed7):
    out, r = handful_seed7
    assert r.stdout.splitlines()[-1] == f"report: {out / 'report.html'}"


def test_run_stderr_has_seed_line_then_progress(handful_seed7):
    _, r = handful_seed7
    lines = r.stderr.splitlines()
    assert lines[0].startswith("ccsim: seed 7, "), r.stderr
    assert "quickstart-handful" in lines[0]
    assert any(line.startswith("[ccsim] sim ") for line in lines[1:]), r.stderr


def test_run_quiet_has_no_progress(cli, tmp_path):
    r = cli("run", HANDFUL, "--seed", "7", "--out", tmp_path, "--quiet")
    assert r.returncode == EXIT_PASSED
    assert r.stderr.startswith("ccsim: seed 7, ")
    assert "[ccsim]" not in r.stderr


def test_same_seed_same_trace_other_seed_other_trace(cli, tmp_path, handful_seed7):
    first = read_result(handful_seed7[0])["trace_hash"]
    again = cli("run", HANDFUL, "--seed", "7", "--out", tmp_path / "again", "--quiet")
    other = cli("run", HANDFUL, "--seed", "8", "--out", tmp_path / "other", "--quiet")
    assert again.returncode == EXIT_PASSED and other.returncode == EXIT_PASSED
    assert read_result(tmp_path / "again")["trace_hash"] == first
    assert read_result(tmp_path / "other")["trace_hash"] != first
    assert read_result(tmp_path / "other")["seed"] == 8


def test_run_without_out_writes_under_runs_of_the_working_directory(tmp_path):
    r = ccsim("run", HANDFUL, "--seed", "4", "--quiet", cwd=tmp_path)
    assert r.returncode == EXIT_PASSED, r.stderr
    found = list((tmp_path / "runs").glob("*/result.json"))
    assert len(found) == 1
    last = r.stdout.splitlines()[-1]
    assert last.startswith("report: ")
    assert (tmp_path / last[len("report: "):]).resolve() == (found[0].parent / "report.html")


# ---- bad scenario input -------------------------------------------------------------------


def test_misspelled_key_names_file_line_and_key(cli, tmp_path):
    bad = edited_copy(HANDFUL, tmp_path / "typo.yaml", ("  interval: 1m", "  intervall: 1m"))
    line = line_of(bad, "intervall:")
    r = cli("run", bad, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert f"{bad}:{line}: heartbeat.intervall" in r.stderr
    assert "interval" in r.stderr.split("heartbeat.intervall", 1)[1]  # says what was expected
    assert not (tmp_path / "out").exists()


def test_bad_value_names_key_and_line(cli, tmp_path):
    bad = edited_copy(HANDFUL, tmp_path / "value.yaml", ("duration: 1h", "duration: 5 minutes"))
    line = line_of(bad, "duration: 5 minutes")
    r = cli("run", bad, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert f"{bad}:{line}: duration" in r.stderr
    assert "5 minutes" in r.stderr


def test_every_problem_of_a_file_is_listed_with_its_own_line(cli, tmp_path):
    """An unknown key, a negative count and a duration of `5 parsecs`: three lines, three line
    numbers, in file order, exit 2, and no run."""
    bad = edited_copy(HANDFUL, tmp_path / "three.yaml",
                      ("  - name: lund\n", "  - name: lund\n    colour: blue\n"),
                      ("model: tier1-dome, count: 1", "model: tier1-dome, count: -2"),
                      ("within: 2m}", "within: 5 parsecs}"))
    lines = [line_of(bad, "colour: blue"), line_of(bad, "count: -2"), line_of(bad, "5 parsecs")]
    assert lines == sorted(lines)
    r = cli("run", bad, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT, r.stdout + r.stderr
    errors = [l for l in r.stderr.splitlines() if l.startswith("ccsim: error: ")]
    assert [int(e.split(":")[3]) for e in errors] == lines, r.stderr
    assert "sites.0.colour: unknown key" in errors[0]
    assert "sites.2.devices.0.count: got \"-2\"" in errors[1]
    assert "checks.0.within: \"5 parsecs\" is not a duration" in errors[2]
    assert "3 problems" in r.stderr
    assert not (tmp_path / "out").exists()


def test_missing_file_exits_2_naming_it(cli, tmp_path):
    missing = tmp_path / "no-such-scenario.yaml"
    r = cli("run", missing, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert str(missing) in r.stderr


def test_bad_override_value_exits_2_naming_key(cli, tmp_path):
    r = cli("run", NETWORK_CUT, "--set", "fleet.cameras=-3", "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert "fleet.cameras" in r.stderr
    assert not (tmp_path / "out").exists()


def test_override_without_equals_exits_2(cli, tmp_path):
    r = cli("run", HANDFUL, "--set", "duration", "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert "duration" in r.stderr


def test_shortened_duration_names_the_check_beyond_it(cli, tmp_path):
    line = line_of(HANDFUL, "id: still-connected")
    r = cli("run", HANDFUL, "--set", "duration=30m", "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert f"{HANDFUL}:{line}:" in r.stderr, r.stderr
    assert "30m" in r.stderr


def test_overrides_resize_the_fleet(cli, tmp_path):
    r = cli("run", NETWORK_CUT, "--set", "fleet.cameras=50", "--set", "fleet.sites=5",
            "--out", tmp_path, "--quiet")
    assert r.returncode == EXIT_PASSED, r.stdout + r.stderr
    result = read_result(tmp_path)
    check_result_json(result)
    assert result["devices"] == 50
    assert r.stderr.startswith("ccsim: seed 1, ")
    assert "50 devices, 5 sites" in r.stderr.splitlines()[0]


# ---- a failing run ------------------------------------------------------------------------


def reproduce_line(stdout):
    lines = [line.strip() for line in stdout.splitlines() if "ccsim run " in line]
    assert lines, f"no reproduce command in:\n{stdout}"
    return lines[0][lines[0].index("ccsim run "):]


def run_printed_command(command, out, cwd):
    argv = shlex.split(command)
    assert argv[:2] == ["ccsim", "run"], argv
    return ccsim(*argv[1:], "--out", out, "--quiet", cwd=cwd)


@pytest.mark.parametrize("variant", sorted(FAILING_VARIANTS))
def test_failing_run_prints_seed_and_reproduce_command(cli, workdir, tmp_path, variant):
    scenario = make_failing(tmp_path / "failing.yaml", variant)
    r = cli("run", scenario, "--seed", "3", "--out", tmp_path / "out")
    assert r.returncode == EXIT_FAILED, r.stdout + r.stderr
    assert re.search(rf"^\s*FAIL {re.escape(variant)}\b", r.stdout, re.M), r.stdout
    assert re.search(r"\bseed 3\b", r.stdout), r.stdout
    command = reproduce_line(r.stdout)
    assert command.startswith(f"ccsim run {scenario} --seed 3")
    result = read_result(tmp_path / "out")
    check_result_json(result)
    assert result["passed"] is False
    assert [c["id"] for c in result["checks"] if not c["passed"]] == [variant]

    again = run_printed_command(command, tmp_path / "again", workdir)
    assert again.returncode == EXIT_FAILED
    assert read_result(tmp_path / "again")["trace_hash"] == result["trace_hash"]

    root, cases = junit_cases(tmp_path / "out" / "junit.xml")
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == [variant]
    assert root.get("failures") == "1"


def test_reproduce_command_with_overrides_reproduces(cli, workdir, tmp_path):
    scenario = make_failing(tmp_path / "failing.yaml")
    r = cli("run", scenario, "--seed", "5", "--set", "heartbeat.interval=2m",
            "--out", tmp_path / "out", "--quiet")
    assert r.returncode == EXIT_FAILED
    command = reproduce_line(r.stdout)
    assert "heartbeat.interval=2m" in command
    again = run_printed_command(command, tmp_path / "again", workdir)
    assert again.returncode == EXIT_FAILED
    assert (read_result(tmp_path / "again")["trace_hash"] ==
            read_result(tmp_path / "out")["trace_hash"])


def test_reproduce_command_survives_a_path_with_a_space(cli, workdir, tmp_path):
    """The printed command must be pasteable into a shell as is."""
    scenario = make_failing(tmp_path / "my scenarios" / "failing.yaml")
    r = cli("run", scenario, "--seed", "3", "--out", tmp_path / "out", "--quiet")
    assert r.returncode == EXIT_FAILED
    command = reproduce_line(r.stdout)
    assert shlex.split(command)[2] == str(scenario), f"not shell-quoted: {command}"
    again = run_printed_command(command, tmp_path / "again", workdir)
    assert again.returncode == EXIT_FAILED, again.stderr
    assert (read_result(tmp_path / "again")["trace_hash"] ==
            read_result(tmp_path / "out")["trace_hash"])


# ---- suite --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory, workdir):
    base = tmp_path_factory.mktemp("suite")
    scenarios = base / "scenarios"
    scenarios.mkdir()
    (scenarios / "handful.yaml").write_text(HANDFUL.read_text())
    make_failing(scenarios / "failing.yaml")
    (scenarios / "notes.txt").write_text("not a scenario\n")
    out = base / "out"
    r = ccsim("suite", scenarios, "--seeds", "1-2", "--out", out, "--jobs", "2", cwd=workdir)
    return scenarios, out, r


def test_suite_exits_1_and_lists_failing_runs(suite_run):
    scenarios, out, r = suite_run
    assert r.returncode == EXIT_FAILED, r.stdout + r.stderr
    for seed in (1, 2):
        assert f"ccsim run {scenarios / 'failing.yaml'} --seed {seed}" in r.stdout, r.stdout
        assert f"ccsim run {scenarios / 'handful.yaml'} --seed {seed}" not in r.stdout
    assert "2 of 4 runs passed" in r.stdout
    assert r.stdout.splitlines()[-1] == f"report: {out / 'report.html'}"


def test_suite_reports_progress(suite_run):
    _, _, r = suite_run
    for k in range(1, 5):
        assert re.search(rf"^\[{k}/4\] ", r.stderr, re.M), r.stderr
    assert not re.search(r"^\[5/", r.stderr, re.M)


def test_suite_writes_every_run(suite_run):
    _, out, _ = suite_run
    for stem, passed in (("handful", True), ("failing", False)):
        for seed in (1, 2):
            run_dir = out / stem / f"seed-{seed}"
            result = read_result(run_dir)
            check_result_json(result)
            assert result["seed"] == seed and result["passed"] is passed
            assert (run_dir / "junit.xml").is_file() and (run_dir / "report.html").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["failing", "handful", "junit.xml",
                                                       "report.html"]
    assert (read_result(out / "handful" / "seed-1")["trace_hash"] !=
            read_result(out / "handful" / "seed-2")["trace_hash"])


def test_suite_runs_match_single_runs(cli, tmp_path, suite_run):
    scenarios, out, _ = suite_run
    r = cli("run", scenarios / "handful.yaml", "--seed", "2", "--out", tmp_path, "--quiet")
    assert r.returncode == EXIT_PASSED
    assert (read_result(tmp_path)["trace_hash"] ==
            read_result(out / "handful" / "seed-2")["trace_hash"])


def test_suite_junit_has_every_check_of_every_run(suite_run):
    _, out, _ = suite_run
    checks = 0
    failures = 0
    for stem in ("handful", "failing"):
        for seed in (1, 2):
            result = read_result(out / stem / f"seed-{seed}")
            checks += len(result["checks"])
            failures += sum(not c["passed"] for c in result["checks"])
    root, cases = junit_cases(out / "junit.xml")
    assert len(cases) == checks == 12
    assert len(list(root.iter("failure"))) == failures == 2
    html = (out / "report.html").read_text()
    assert "quickstart-handful" in html and "handful-made-to-fail" in html


def test_suite_with_a_bad_file_runs_nothing(cli, tmp_path):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "a-good.yaml").write_text(HANDFUL.read_text())
    bad = edited_copy(HANDFUL, scenarios / "b-bad.yaml", ("  interval: 1m", "  intervall: 1m"))
    out = tmp_path / "out"
    r = cli("suite", scenarios, "--seeds", "1-2", "--out", out)
    assert r.returncode == EXIT_BAD_INPUT
    assert f"{bad}:{line_of(bad, 'intervall')}: heartbeat.intervall" in r.stderr
    assert not (out / "a-good").exists() and not (out / "b-bad").exists()
    assert "[1/" not in r.stderr


def test_suite_set_overrides_every_run_and_its_reproduce_command(cli, tmp_path):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "handful.yaml").write_text(HANDFUL.read_text())
    out = tmp_path / "out"
    r = cli("suite", scenarios, "--seeds", "1-2", "--out", out,
            "--set", "network.small_messages=exact", "--set", "checks.0.within=1s")
    assert r.returncode == EXIT_FAILED, r.stdout + r.stderr
    for seed in (1, 2):
        result = read_result(out / "handful" / f"seed-{seed}")
        assert not result["checks"][0]["passed"], result["checks"][0]
        assert "--set network.small_messages=exact --set checks.0.within=1s" in result["reproduce"]


def test_suite_set_with_a_bad_key_runs_nothing(cli, tmp_path):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "handful.yaml").write_text(HANDFUL.read_text())
    r = cli("suite", scenarios, "--seeds", "1-2", "--out", tmp_path / "out",
            "--set", "network.small_messages=quick")
    assert r.returncode == EXIT_BAD_INPUT, r.stdout + r.stderr
    assert "network.small_messages" in r.stderr and "fast, exact" in r.stderr
    assert not (tmp_path / "out" / "handful").exists()


@pytest.mark.parametrize("seeds", ["5-1", "x", "1-", "-3", "1-2-3"])
def test_suite_bad_seed_range_exits_2(cli, tmp_path, seeds):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "handful.yaml").write_text(HANDFUL.read_text())
    r = cli("suite", scenarios, "--seeds", seeds, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT, r.stdout + r.stderr
    assert "--seeds" in r.stderr
    assert not (tmp_path / "out" / "handful").exists()


@pytest.mark.parametrize("args,named", [
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "many"], "--jobs"),
])
def test_suite_bad_jobs_exits_2(cli, tmp_path, args, named):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "handful.yaml").write_text(HANDFUL.read_text())
    r = cli("suite", scenarios, *args, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert named in r.stderr


def test_suite_missing_or_empty_dir_exits_2(cli, tmp_path):
    r = cli("suite", tmp_path / "nope", "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert str(tmp_path / "nope") in r.stderr
    (tmp_path / "empty").mkdir()
    r = cli("suite", tmp_path / "empty", "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert str(tmp_path / "empty") in r.stderr


def _limit_memory():
    # A bounded address space: a runaway allocation ends in bad_alloc instead of eating the box.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize("seeds", [f"{UINT64_MAX}-{UINT64_MAX}", f"0-{UINT64_MAX}"])
def test_suite_seed_range_at_the_top_of_uint64(cli, tmp_path, seeds):
    """The last seed is a valid seed: the range must neither wrap around nor loop forever."""
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "handful.yaml").write_text(HANDFUL.read_text())
    r = cli("suite", scenarios, "--seeds", seeds, "--out", tmp_path / "out", timeout=30,
            preexec_fn=_limit_memory)
    assert r.returncode >= 0, f"killed by signal {-r.returncode}: {r.stderr[-500:]}"
    if seeds.startswith("0-"):  # 2^64 runs: far too many
        assert r.returncode == EXIT_BAD_INPUT, r.stderr
        assert "--seeds" in r.stderr
    else:  # exactly one run
        assert r.returncode == EXIT_PASSED, r.stderr
        assert read_result(tmp_path / "out" / "handful" / f"seed-{UINT64_MAX}")["seed"] == \
            UINT64_MAX
        assert "[1/1]" in r.stderr


# ---- report -------------------------------------------------------------------------------


def test_report_merges_run_dirs(cli, tmp_path, suite_run):
    _, out, _ = suite_run
    html_path = tmp_path / "x.html"
    r = cli("report", out / "handful" / "seed-1", out / "failing" / "seed-2", "--out", html_path)
    assert r.returncode == EXIT_FAILED, r.stderr  # one of the merged runs failed
    assert "2 runs, 1 failed" in r.stdout
    html = html_path.read_text()
    assert "quickstart-handful" in html and "handful-made-to-fail" in html
    assert read_result(out / "handful" / "seed-1")["trace_hash"] in html
    assert read_result(out / "failing" / "seed-2")["trace_hash"] in html


def test_report_of_passing_runs_exits_0(cli, tmp_path, suite_run):
    _, out, _ = suite_run
    r = cli("report", out / "handful" / "seed-1", out / "handful" / "seed-2" / "result.json",
            "--out", tmp_path / "y.html")
    assert r.returncode == EXIT_PASSED, r.stderr
    assert "2 runs, 0 failed" in r.stdout
    assert (tmp_path / "y.html").is_file()


def test_report_finds_every_result_in_a_suite_dir(cli, tmp_path, suite_run):
    _, out, _ = suite_run
    html_path = tmp_path / "suite.html"
    r = cli("report", out, "--out", html_path)
    assert "4 runs, 2 failed" in r.stdout, r.stdout + r.stderr
    html = html_path.read_text()
    for stem in ("handful", "failing"):
        for seed in (1, 2):
            assert read_result(out / stem / f"seed-{seed}")["trace_hash"] in html


def test_report_of_dir_without_results_exits_2(cli, tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    r = cli("report", tmp_path / "empty", "--out", tmp_path / "x.html")
    assert r.returncode == EXIT_BAD_INPUT
    assert str(tmp_path / "empty") in r.stderr
    assert not (tmp_path / "x.html").exists()


def test_report_of_corrupt_result_exits_2(cli, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "result.json").write_text('{"scenario": "x"')
    r = cli("report", tmp_path / "run", "--out", tmp_path / "x.html")
    assert r.returncode == EXIT_BAD_INPUT
    assert "result.json" in r.stderr


def test_report_needs_out(cli, handful_seed7):
    r = cli("report", handful_seed7[0])
    assert r.returncode == EXIT_BAD_INPUT
    assert "--out" in r.stderr


def test_report_to_unwritable_path_exits_2(cli, tmp_path, handful_seed7):
    """A bad --out is bad input (exit 2 naming it), not a crash."""
    target = tmp_path / "no-such-dir" / "x.html"
    r = cli("report", handful_seed7[0], "--out", target)
    assert r.returncode >= 0, f"killed by signal {-r.returncode}: {r.stderr[-500:]}"
    if r.returncode == EXIT_BAD_INPUT:
        assert str(target) in r.stderr
    else:  # or it creates the folder
        assert r.returncode == EXIT_PASSED and target.is_file()


ONBOARDING = SOURCE_DIR / "scenarios" / "onboarding"


def test_an_onboarding_run_reports_claims_and_the_audit_trail(cli, tmp_path):
    r = cli("run", ONBOARDING / "wrong-oak-lockout.yaml", "--seed", "2", "--out", tmp_path,
            "--quiet")
    assert r.returncode == EXIT_PASSED, r.stdout + r.stderr
    result = read_result(tmp_path)
    metrics = result["metrics"]
    assert metrics["claims_refused_permission_denied"] == 50
    assert metrics["claims_refused_locked"] == 10
    assert metrics["claims_accepted"] == 10
    checks = {c["id"]: c for c in result["checks"]}
    assert checks["locks-audited"]["detail"].startswith("10 device.claim_refused entries")
    assert checks["trail-intact"]["passed"] and "entries verified" in checks["trail-intact"]["detail"]


def test_a_tier2_camera_without_its_host_names_file_line_and_key(cli, tmp_path):
    source = ONBOARDING / "tier2-through-recorder.yaml"
    bad = edited_copy(source, tmp_path / "no-via.yaml", (", via: rec-1}", "}"))
    line = line_of(bad, "model: tier2-dome, count: 40")
    r = cli("run", bad, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert f"{bad}:{line}: organizations.0.sites.0.devices.1" in r.stderr
    assert "expected via:" in r.stderr
    assert not (tmp_path / "out").exists()


def test_an_onboarding_check_that_fails_prints_the_devices_and_the_command(cli, tmp_path):
    # Fewer seats than cameras: some fail to onboard; the verdict names them and how to rerun.
    r = cli("run", ONBOARDING / "one-click.yaml", "--seed", "5", "--out", tmp_path,
            "--set", "fleet.cameras=30", "--set", "fleet.sites=3",
            "--set", "organizations.0.licenses.device-management=25")
    assert r.returncode == EXIT_FAILED
    assert "FAIL all-onboarded: 25 of 30 devices onboarded by 10m" in r.stdout
    assert ("B8A44F000019 failed (license for device-management in org-000001: all 25 seats "
            "in use) standalone") in r.stdout
    assert "FAIL none-failed: 5 of 30 devices failed; expected at most 0; for example: " \
        "B8A44F000019 failed" in r.stdout
    assert "--set organizations.0.licenses.device-management=25" in r.stdout


TASKS = SOURCE_DIR / "scenarios" / "tasks"
UPDATE_WINDOWS = SOURCE_DIR / "scenarios" / "update-windows"


def test_a_run_with_tasks_and_updates_reproduces_from_its_seed(cli, tmp_path):
    runs = {}
    for name, seed in (("first", 3), ("again", 3), ("other", 4)):
        r = cli("run", TASKS / "host-restart-mid-task.yaml", "--seed", seed, "--out",
                tmp_path / name, "--quiet")
        assert r.returncode == EXIT_PASSED, r.stdout + r.stderr
        runs[name] = read_result(tmp_path / name)
    assert runs["first"]["trace_hash"] == runs["again"]["trace_hash"]
    assert runs["first"]["metrics"] == runs["again"]["metrics"]
    assert runs["other"]["trace_hash"] != runs["first"]["trace_hash"]
    metrics = runs["first"]["metrics"]
    assert metrics["tasks_created"] == 32
    assert metrics["task_executions"] == 32  # the upgrades lost to the restart are not re-run
    assert metrics["upgrades_succeeded"] == 12


@pytest.mark.parametrize("edit, key, expected", [
    (('start: "02:30"', 'start: "25:00"'), "profiles.sunday.update_window.start",
     '"25:00"'),
    (("duration: 2h}", "duration: 0m}"), "profiles.sunday.update_window.duration", '"0m"'),
    (("time_zone: Europe/Stockholm", "time_zone: Europe/Stockholmm"),
     "organizations.0.sites.0.time_zone", "Europe/Stockholmm"),
])
def test_an_impossible_window_names_file_line_and_key(cli, tmp_path, edit, key, expected):
    bad = edited_copy(UPDATE_WINDOWS / "daylight-saving-change.yaml", tmp_path / "bad.yaml", edit)
    line = line_of(bad, edit[1])
    r = cli("run", bad, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert f"{bad}:{line}: {key}:" in r.stderr
    assert expected in r.stderr
    assert not (tmp_path / "out").exists()


def test_a_deploy_of_an_unknown_version_names_file_line_and_key(cli, tmp_path):
    bad = edited_copy(TASKS / "host-restart-mid-task.yaml", tmp_path / "bad.yaml",
                      ("version: 11.11.5, name: upgrade", "version: 11.99.0, name: upgrade"))
    line = line_of(bad, "11.99.0")
    r = cli("run", bad, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert f"{bad}:{line}: timeline.3.version:" in r.stderr
    assert "11.99.0" in r.stderr


def test_a_window_check_that_fails_names_the_devices(cli, tmp_path):
    # Checked an hour early, the Sunday window has not opened: the verdict names devices still on
    # the old version.
    r = cli("run", UPDATE_WINDOWS / "daylight-saving-change.yaml", "--seed", "2", "--out", tmp_path,
            "--set", "checks.2.at=6d", "--quiet")
    assert r.returncode == EXIT_FAILED
    assert "FAIL all-by-03z: 0 of 30 devices on 11.11.5 at 6d; expected at least 30; others: " \
        "B8A44F000000 11.11.0" in r.stdout
    assert "--set checks.2.at=6d" in r.stdout


# ---- swarm runs ---------------------------------------------------------------------------

SWARM = SOURCE_DIR / "scenarios" / "swarm" / "regions-under-fire.yaml"


def test_swarm_without_a_swarm_section_exits_2_naming_the_file(cli, tmp_path):
    r = cli("run", HANDFUL, "--swarm", "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT
    assert f"{HANDFUL}: --swarm: the scenario has no swarm: section" in r.stderr
    assert not (tmp_path / "out").exists()
    suite = cli("suite", QUICKSTART, "--swarm", "--out", tmp_path / "suite")
    assert suite.returncode == EXIT_BAD_INPUT
    assert "--swarm: the scenario has no swarm: section" in suite.stderr


def test_a_swarm_run_lists_its_faults_and_fails_its_liveness_reproducibly(cli, workdir, tmp_path):
    # One endpoint crash, and 1 s to converge after it heals: the devices it reset are still on
    # their way back (back-offs of up to 3 s, then a handshake), so liveness fails, and only it.
    scenario = edited_copy(SWARM, tmp_path / "swarm.yaml",
                           ("faults: [region_outage, endpoint_restart, platform_upgrade, partition, "
                            "loss_burst, latency_spike, jitter, throttle, power_loss, device_crash, "
                            "clock_skew, task_manager_restart]",
                            "faults: [endpoint_restart]"),
                           ("count: 4", "count: 1"), ("converge_within: 30m", "converge_within: 1s"))
    r = cli("run", scenario, "--seed", "3", "--swarm", "--out", tmp_path / "out")
    assert r.returncode == EXIT_LIVENESS, r.stdout + r.stderr
    assert r.stderr.index("[ccsim swarm] reproduce with: ccsim run ") < \
        r.stderr.index("[ccsim swarm] 1 fault drawn from the seed:")
    drawn = re.search(r"^\[ccsim swarm\]   at (\d+)s for (\d+)s: endpoint_restart at region "
                      r"(eu-west|us-east)$", r.stderr, re.M)
    assert drawn, r.stderr
    healed = int(drawn.group(1)) + int(drawn.group(2))
    failed = re.findall(r"^\s*FAIL (.*)$", r.stdout, re.M)
    assert len(failed) == 1, r.stdout
    judged = re.match(r"\(liveness\) swarm-liveness-connected: connected at ([0-9.]+)s", failed[0])
    assert judged, failed[0]
    # 1 s after the heal; the printed times are rounded to the second.
    assert abs(float(judged.group(1)) - (healed + 1)) <= 1, (failed[0], healed)
    assert re.search(r"^\s*PASS exactly-once: ", r.stdout, re.M), r.stdout
    result = read_result(tmp_path / "out")
    liveness = {c["id"] for c in result["checks"] if c.get("liveness")}
    assert liveness == {"swarm-liveness-connected", "swarm-liveness-tasks-not-dispatched",
                        "swarm-liveness-tasks-not-running"}
    command = reproduce_line(r.stdout)
    assert "--swarm" in shlex.split(command)
    again = run_printed_command(command, tmp_path / "again", workdir)
    assert again.returncode == EXIT_LIVENESS
    assert read_result(tmp_path / "again")["trace_hash"] == result["trace_hash"]
    # A suite of it fails with 4 too; with a check of its own made to fail, with 1.
    suite_dir = tmp_path / "suite"
    suite_dir.mkdir()
    (suite_dir / "swarm.yaml").write_text(scenario.read_text())
    suite = cli("suite", suite_dir, "--swarm", "--seeds", "3-3", "--out", tmp_path / "s1")
    assert suite.returncode == EXIT_LIVENESS, suite.stdout
    unsafe = cli("suite", suite_dir, "--swarm", "--seeds", "3-3", "--out", tmp_path / "s2",
                 "--set", "checks.0.at_most=29")
    assert unsafe.returncode == EXIT_FAILED, unsafe.stdout
    # Without --swarm the same file runs no drawn fault and passes.
    plain = cli("run", scenario, "--seed", "3", "--out", tmp_path / "plain", "--quiet")
    assert plain.returncode == EXIT_PASSED, plain.stdout
    assert "swarm-liveness" not in plain.stdout


def test_a_crash_of_tier2_cameras_alone_names_file_line_and_key(cli, tmp_path):
    bad = edited_copy(TASKS / "host-restart-mid-task.yaml", tmp_path / "bad.yaml",
                      ("do: restart_host, devices: {model: rec-s3008}",
                       "do: fault, kind: device_crash, devices: {model: tier2-dome}, for: 5m"))
    line = line_of(bad, "device_crash")
    r = cli("run", bad, "--out", tmp_path / "out")
    assert r.returncode == EXIT_BAD_INPUT, r.stdout + r.stderr
    assert f"{bad}:{line}: devices: selects no device of its own on the network" in r.stderr


def test_a_rollout_still_running_is_not_settled(cli, tmp_path):
    # 5 images of 150 MB over a 1 Mbps uplink take 6,000 s: at 30 minutes the rollout still runs.
    scenario = tmp_path / "slow.yaml"
    scenario.write_text("""name: rollout-running
duration: 30m
releases: [{version: 11.11.5, size: 150MB}]
profiles: {connected-lts: {mode: connected, track: lts-2024}}
organizations:
  - name: acme
    default_profile: connected-lts
    sites:
      - {name: campus, uplink: {bandwidth: 1Mbps, latency: 10ms}, devices: [{count: 5, os: 11.11.0, track: lts-2024}]}
timeline:
  - {at: 2m, do: onboard, devices: all}
  - {at: 5m, do: rollout, as: owner, name: slow, version: 11.11.5, devices: all}
checks:
  - {id: settled, expect: rollout_state, rollout: slow, state: settled}
""")
    r = cli("run", scenario, "--out", tmp_path / "out", "--quiet")
    assert r.returncode == EXIT_FAILED, r.stdout + r.stderr
    assert re.search(r"^\s*FAIL settled: rollout slow running with 0 succeeded", r.stdout, re.M), \
        r.stdout
