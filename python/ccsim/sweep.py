"""Sweeps: a scenario run for every combination of a grid of settings and every seed, on a local
pool or on a Dask cluster, gathered into one pandas frame."""
import itertools
import os
import socket
from concurrent.futures import ThreadPoolExecutor

import pandas

from . import _ccsim
from .scenario import Scenario

# Runs one sweep may ask for: a grid that large is a mistake, not a study.
SWEEP_RUNS_MAX = 100_000


def _run_one(task):
    """One run of a sweep, where a worker runs it: a row, whatever happens. Module-level so a
    Dask worker can unpickle it by name."""
    path, overrides, seed, driver, settings, keep_series = task
    row = {**settings, "seed": seed, "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        r = _ccsim.run(path, seed=seed, overrides=overrides, driver=driver)
    except Exception as error:  # a bad value in the grid, or the harness: carried, not raised
        return {**row, "passed": False, "error": str(error),
                "reproduce": _ccsim.reproduce_command(path, seed, overrides, driver)}
    row = {**row, "passed": r.passed, "error": None, "reproduce": r.reproduce,
           "failed_checks": ",".join(c.id for c in r.checks if not c.passed),
           "wall_time_s": r.wall_time_s, **r.metrics}
    if keep_series:
        row["series"] = r.series
    return row


def _tasks(scenario, grid, seeds, driver, keep_series):
    keys = list(grid)
    for values in itertools.product(*(grid[key] for key in keys)):
        settings = dict(zip(keys, values))
        for seed in seeds:
            yield (scenario.path, {**scenario.overrides, **settings}, seed, driver, settings,
                   keep_series)


def sweep(scenario, grid=None, seeds=range(1, 6), client=None, jobs=None, driver="sim",
          series=False):
    """Runs `scenario` (a Scenario or a path) for every combination of `grid` ({dotted key:
    [values]}) and every seed of `seeds`; returns one frame, a row per run in grid then seed
    order: the grid's keys, seed, passed, error (None, or why the run could not run), reproduce
    (the command line), failed_checks, the worker that ran it, then every metric.

    Runs go to a local pool of `jobs` threads (default: the CPU count), each run its own process,
    or, given a `distributed.Client`, to its cluster, which is how a study outgrows one machine
    (the workers must import ccsim: PYTHONPATH=build/python). With `series`, each row also
    carries its run's time series ({column: [values]}) in a column `series`."""
    if not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    grid = dict(grid or {})
    tasks = list(_tasks(scenario, grid, list(seeds), driver, series))
    if len(tasks) > SWEEP_RUNS_MAX:
        raise ValueError(f"the sweep asks for {len(tasks)} runs; expected at most {SWEEP_RUNS_MAX}")
    if client is None:
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            rows = list(pool.map(_run_one, tasks))
    else:
        rows = client.gather(client.map(_run_one, tasks, pure=False))
    return pandas.DataFrame(rows)
