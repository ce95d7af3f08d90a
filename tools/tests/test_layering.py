"""The design's layering, held by a test: folders depend downwards only, and no cycle hides behind
a header. Each folder sits on a layer; a source file may include its own folder's headers and
those of folders on lower layers, nothing beside or above it (ARCHITECTURE.md: core/proto <-
platform, devices <- the scenario model <- sim, net <- the scenario engine <- reports,
conformance <- tools, python). Tests are held to the same rule but for the fixtures they share.

Run with Debian's Python: `/usr/bin/python3 -m pytest -q tools/tests/test_layering.py`.
"""

import os
import re
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("CCSIM_SOURCE_DIR", Path(__file__).resolve().parents[2]))

# Folder -> layer. A folder under another (scenarios/model) is a folder of its own.
LAYERS = {
    "core": 0, "proto": 0,
    "platform": 1, "devices": 1,
    "scenarios/model": 2,
    "sim": 3, "net": 3, "global_store": 3,
    "scenarios": 4,
    "reports": 5, "conformance": 5,
    "tools": 6, "python": 6,
}
# Tests may use another layer-1 folder's nodes as peers of the one they test (the platform node's
# tests talk to a device agent), never a driver, the engine or a tool.
TEST_PEERS = {("platform", "devices")}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def folder_of(relative):
    parts = Path(relative).parts
    if len(parts) > 2 and "/".join(parts[:2]) in LAYERS:
        return "/".join(parts[:2])
    return parts[0] if parts[0] in LAYERS else None


def sources():
    for folder in LAYERS:
        for path in sorted((SOURCE_DIR / folder).glob("*")):
            if path.suffix in (".h", ".cpp", ".hpp"):
                yield path


def includes(path):
    for target in INCLUDE.findall(path.read_text(errors="ignore")):
        folder = folder_of(target)
        if folder is not None:
            yield target, folder


def forbidden(path):
    source = folder_of(path.relative_to(SOURCE_DIR).as_posix())
    is_test = "_test" in path.name
    for target, folder in includes(path):
        if folder == source:
            continue
        if is_test and (source, folder) in TEST_PEERS:
            continue
        if LAYERS[folder] >= LAYERS[source]:
            yield f"{path.relative_to(SOURCE_DIR)} includes {target}: {source} (layer " \
                  f"{LAYERS[source]}) may not include {folder} (layer {LAYERS[folder]})"


def test_every_folder_includes_only_folders_below_it():
    problems = [problem for path in sources() for problem in forbidden(path)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("source,target", [
    ("platform/x.cpp", "sim/simulated_driver.h"),
    ("devices/x.h", "scenarios/run.h"),
    ("devices/x.h", "net/real_driver.h"),
    ("sim/x.cpp", "net/driver_loop.h"),
    ("net/x.cpp", "sim/simulated_driver.h"),
    ("scenarios/model/x.h", "scenarios/run.h"),
    ("reports/x.cpp", "tools/anything.h"),
    ("scenarios/x.cpp", "python/anything.h"),
])
def test_the_rule_refuses_what_the_design_forbids(tmp_path, source, target, monkeypatch):
    monkeypatch.setattr(__import__(__name__), "SOURCE_DIR", tmp_path)
    file = tmp_path / source
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(f'#include "{target}"\n')
    assert list(forbidden(file)), f"{source} including {target} should be refused"


def test_the_rule_lets_a_driver_include_the_scenario_model(tmp_path, monkeypatch):
    monkeypatch.setattr(__import__(__name__), "SOURCE_DIR", tmp_path)
    file = tmp_path / "sim" / "x.cpp"
    file.parent.mkdir(parents=True)
    file.write_text('#include "scenarios/model/driver.h"\n#include "platform/platform_node.h"\n')
    assert not list(forbidden(file))
