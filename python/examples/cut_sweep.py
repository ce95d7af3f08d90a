#!/usr/bin/python3
"""Example experiment: how does the fleet ride out a network cut, across fleet sizes and seeds?

Runs scenarios/quickstart/network-cut.yaml for a few fleet sizes and seeds and prints, per run,
the verdict, how many cameras the platform saw drop and come back, and how many connection
attempts the cut cost. Every row reproduces from its seed with the printed command.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/cut_sweep.py [--seeds 3]
"""
import argparse
import pathlib

import ccsim

SCENARIO = pathlib.Path(__file__).resolve().parents[2] / "scenarios" / "quickstart" / "network-cut.yaml"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per fleet size (default: 3)")
    parser.add_argument("--sizes", default="200,1000,2000",
                        help="comma-separated camera counts (default: %(default)s)")
    args = parser.parse_args()
    print(f"{'cameras':>8} {'seed':>4} {'verdict':>7} {'dropped':>7} {'back':>5} "
          f"{'attempts':>8} {'wall s':>6}")
    for cameras in (int(n) for n in args.sizes.split(",")):
        for seed in range(1, args.seeds + 1):
            # Ten sites whatever the size, so the cut (five sites) is always half the fleet.
            r = ccsim.run(str(SCENARIO), seed=seed,
                          overrides={"fleet.cameras": cameras, "fleet.sites": 10})
            m = r.metrics
            print(f"{cameras:>8} {seed:>4} {'pass' if r.passed else 'FAIL':>7} "
                  f"{m['disconnects_detected']:>7} {m['reconnects']:>5} "
                  f"{m['connects_requested'] - cameras:>8} {r.wall_time_s:>6.2f}")
            if not r.passed:
                print(f"  reproduce: {r.reproduce}")


if __name__ == "__main__":
    main()
