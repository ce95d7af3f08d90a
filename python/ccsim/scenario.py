"""A scenario file and the overrides a study puts on it, as `ccsim run FILE --set key=value`."""
import copy

from . import _ccsim


class Scenario:
    """A scenario file with overrides. Every change is checked at once by loading the file as a
    run would, so bad input raises `ccsim.ScenarioError` with the command line's message.

        s = ccsim.Scenario.load("scenarios/quickstart/network-cut.yaml")
        s["fleet.cameras"] = 5000      # any dotted key, as --set takes it
        s.duration = "2h"              # a top-level key, as an attribute
        r = s.run(seed=3)
    """

    def __init__(self, path, overrides=None):
        object.__setattr__(self, "path", str(path))
        object.__setattr__(self, "overrides", dict(overrides or {}))
        object.__setattr__(self, "_facts", _ccsim.check(self.path, self.overrides))

    @classmethod
    def load(cls, path, overrides=None):
        """The scenario at `path`, with `overrides` ({dotted key: value}) applied."""
        return cls(path, overrides)

    def with_overrides(self, **keys):
        """A copy with more overrides; dotted keys go through a dict: `**{"fleet.cameras": 10}`."""
        return Scenario(self.path, {**self.overrides, **keys})

    def __setitem__(self, key, value):
        self._set(key, value)

    def __getitem__(self, key):
        return self.overrides[key]

    def __setattr__(self, name, value):
        if name.startswith("_") or name in ("path", "overrides"):
            raise AttributeError(f"{name} cannot be set; use scenario[key] = value")
        self._set(name, value)

    def _set(self, key, value):
        overrides = {**self.overrides, key: value}
        facts = _ccsim.check(self.path, overrides)  # raises before anything changes
        object.__setattr__(self, "overrides", overrides)
        object.__setattr__(self, "_facts", facts)

    @property
    def name(self):
        return self._facts["name"]

    @property
    def devices(self):
        return self._facts["devices"]

    @property
    def duration_s(self):
        return self._facts["duration_s"]

    def run(self, seed=1, driver="sim", clock="paused"):
        """Runs it with `seed` in a child process; a RunResult."""
        return _ccsim.run(self.path, seed=seed, overrides=self.overrides, driver=driver,
                          clock=clock)

    def reproduce_command(self, seed=1, driver="sim"):
        return _ccsim.reproduce_command(self.path, seed, self.overrides, driver)

    def __copy__(self):
        return Scenario(self.path, copy.copy(self.overrides))

    def __repr__(self):
        return f"<Scenario {self.name} ({self.path}) overrides={self.overrides}>"
