"""What the studies of this folder share: their command line (--seeds, --out and their own
options) and what they leave in --out (runs.csv, the plot, findings.txt, also printed)."""
import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")  # files only: no display


def arguments(doc, default_out, seeds_per="setting"):
    """A parser with --seeds and --out; a study adds its own options."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3,
                        help=f"seeds per {seeds_per} (default: 3)")
    parser.add_argument("--out", default=default_out,
                        help="folder for the runs, the plot and the findings "
                             "(default: %(default)s)")
    return parser


def output_folder(args):
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def finish(out, frame, figure, plot_name, text):
    """Writes the runs, the plot and the findings into `out`, and prints the findings."""
    frame.to_csv(out / "runs.csv", index=False)
    figure.tight_layout()
    figure.savefig(out / plot_name)
    (out / "findings.txt").write_text(text)
    print(text, end="")
    print(f"wrote {out / plot_name}, {out / 'findings.txt'}, {out / 'runs.csv'}")


def failed_runs(frame):
    """The findings' last lines: how many runs failed, and the command that reproduces each."""
    failed = frame[~frame["passed"]]
    return [f"Failed runs: {len(failed)}."] + [f"  failed: {row.reproduce}"
                                              for row in failed.itertuples()]
