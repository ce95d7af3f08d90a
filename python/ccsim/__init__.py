"""ccsim: simulate a hybrid-cloud camera platform and its fleet, and check scenarios.

The compiled half (`ccsim._ccsim`) runs scenarios: `run`, `check`, `reproduce_command`,
`turn_credential`, `RunResult`, `CheckResult`, `ScenarioError`. The Python half adds a
`Scenario` to hold a file and its overrides (`scenario.py`), pandas frames of results
(`frames.py`), and sweeps over a grid of settings and seeds, locally or on a Dask cluster
(`sweep.py`).
"""
from ._ccsim import (CheckResult, RunResult, ScenarioError, check, reproduce_command, run,
                     turn_credential)
from .frames import metrics_frame, series_frame
from .scenario import Scenario
from .sweep import sweep

__all__ = ["CheckResult", "RunResult", "Scenario", "ScenarioError", "check", "metrics_frame",
           "reproduce_command", "run", "series_frame", "sweep", "turn_credential"]
