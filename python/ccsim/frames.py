"""Results as pandas frames and numpy arrays (Debian's python3-pandas and python3-numpy)."""
import pandas


def series_frame(result):
    """A run's time series, a row per sample, indexed by time_s."""
    return pandas.DataFrame(result.series).set_index("time_s")


def metrics_frame(results):
    """One row per run: scenario, seed, passed, then every metric; `.to_numpy()` for arrays."""
    rows = [{"scenario": r.scenario, "seed": r.seed, "passed": r.passed, **r.metrics}
            for r in results]
    return pandas.DataFrame(rows)
