"""Draws the report's charts: one SVG file per chart of a JSON spec, each from one CSV file.

The report writer embeds this text in ccsim and runs `/usr/bin/python3 -c "<this text>" SPEC.json`,
so it is one file that imports only the standard library and matplotlib and never reads __file__.
A CSV is a header row and numeric rows. Each y entry of a chart is one line (one per distinct value
of the chart's `group` column when it has one), drawn inside the SVG group `data-COLUMN`
(`data-COLUMN-VALUE`), every CSV row a vertex, so tests and the report's checker can find the
data; knees are `knee-N` and thresholds `threshold-N`. The same spec and CSVs give the same bytes.

What it promises: a spec or CSV that fails a check writes no file at all, and every problem is
named on stderr with its chart's id (exit 2); a chart is written beside its target and renamed,
so a reader never sees half a chart. Without matplotlib it says how to install it (exit 3).
"""

import csv
import io
import json
import math
import os
import re
import sys

EXIT_BAD_INPUT = 2
EXIT_NO_MATPLOTLIB = 3
CHARTS_MAX = 200
CSV_ROWS_MAX = 1_000_000
LINES_PER_CHART_MAX = 64
FIGURE_SIZE_INCHES = (8, 3)
FONT_POINTS, LEGEND_FONT_POINTS = 9, 8
# Margins come from label lengths instead of matplotlib's layout engines, which draw every chart
# twice (half the run time). Text stays text in the SVG, so the viewer's font sets the real width
# anyway: an estimate with some room to spare is as exact as a measurement.
CHARACTER_WIDTH_EM = 0.62
LEGEND_SHARE_MAX = 0.4
ID_PATTERN = re.compile(r"[a-z0-9-]+")
# Okabe and Ito's palette, which readers with colour blindness tell apart too; yellow last,
# since it is faint on white.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
GROUP_DASHES = ["-", "--", ":", "-."]
KINDS = {"line": "default", "step": "steps-post"}

# Field -> type, for each object of the spec; a type is a Python type or "number".
CHART_FIELDS = {"id": str, "svg": str, "csv": str, "title": str, "x": str, "x_label": str,
                "x_divisor": "number", "y": list, "y_label": str, "y_divisor": "number",
                "kind": str, "group": str, "knees": list, "thresholds": list}
CHART_REQUIRED = {"id", "svg", "csv", "title", "x", "y"}
Y_FIELDS, Y_REQUIRED = {"column": str, "label": str}, {"column"}
KNEE_FIELDS, KNEE_REQUIRED = {"x": "number", "y": "number", "label": str}, {"x", "y"}
THRESHOLD_FIELDS, THRESHOLD_REQUIRED = {"y": "number", "label": str}, {"y"}


class SpecError(Exception):
    """A problem with the spec or a CSV: the caller's to fix, reported, never a crash."""


def import_matplotlib():
    """matplotlib, set up for small, deterministic SVG; exits 3 without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("svg")
        import matplotlib.figure
    except ImportError:
        sys.stderr.write("charts need matplotlib: install python3-matplotlib (tools/setup does)\n")
        sys.exit(EXIT_NO_MATPLOTLIB)
    matplotlib.rcParams.update({
        "svg.fonttype": "none",           # text as <text>, not glyph paths: a tenth of the size
        "path.simplify": False,           # every CSV row stays a vertex the checks can count
        "text.parse_math": False,         # a label with "$" is text, not mathtext
        "axes.formatter.useoffset": False,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "font.size": FONT_POINTS,
    })
    return matplotlib


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_fields(value, fields, required, where):
    """Holds value to be an object with every required key, no other key, each of its type."""
    if not isinstance(value, dict):
        raise SpecError(f"{where}: must be an object, not {json.dumps(value)}")
    for key in sorted(required - value.keys()):
        raise SpecError(f'{where}: missing key "{key}"')
    for key, item in value.items():
        if key not in fields:
            raise SpecError(f'{where}: unknown key "{key}" (known: {", ".join(fields)})')
        kind = fields[key]
        if not (is_number(item) if kind == "number" else isinstance(item, kind)):
            name = "a finite number" if kind == "number" else f"a {kind.__name__}"
            raise SpecError(f'{where}: "{key}" must be {name}, not {json.dumps(item)}')


def check_chart(chart, where):
    """Checks one chart's spec and returns it with every default filled in."""
    check_fields(chart, CHART_FIELDS, CHART_REQUIRED, where)
    if not ID_PATTERN.fullmatch(chart["id"]):
        raise SpecError(f'{where}: id "{chart["id"]}" must match [a-z0-9-]+')
    if not chart["y"]:
        raise SpecError(f"{where}: y must list at least one column")
    for n, entry in enumerate(chart["y"]):
        check_fields(entry, Y_FIELDS, Y_REQUIRED, f"{where}: y[{n}]")
    for n, knee in enumerate(chart.get("knees", [])):
        check_fields(knee, KNEE_FIELDS, KNEE_REQUIRED, f"{where}: knees[{n}]")
    for n, threshold in enumerate(chart.get("thresholds", [])):
        check_fields(threshold, THRESHOLD_FIELDS, THRESHOLD_REQUIRED, f"{where}: thresholds[{n}]")
    for key in ("x_divisor", "y_divisor"):
        if chart.get(key) == 0:
            raise SpecError(f'{where}: "{key}" must not be 0')
    if chart.get("kind", "line") not in KINDS:
        raise SpecError(f'{where}: kind "{chart["kind"]}" is not one of {", ".join(KINDS)}')
    return {"x_label": chart["x"], "y_label": "", "x_divisor": 1, "y_divisor": 1, "kind": "line",
            "knees": [], "thresholds": [], **chart}


def read_csv(path, where):
    """The header and the data rows of a CSV file, every row as wide as the header."""
    try:
        with open(path, newline="", encoding="utf-8") as file:
            rows = [row for row in csv.reader(file) if row]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise SpecError(f"{where}: cannot read {path}: {getattr(error, 'strerror', None) or error}")
    if len(rows) < 2:
        raise SpecError(f"{where}: {path} has {'a header but ' if rows else ''}no data rows")
    if len(rows) - 1 > CSV_ROWS_MAX:
        raise SpecError(f"{where}: {path} has {len(rows) - 1} rows, more than {CSV_ROWS_MAX}")
    header = [name.strip() for name in rows[0]]
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise SpecError(f"{where}: {path} line {line} has {len(row)} fields, "
                            f"the header {len(header)}")
    return header, rows[1:]


def column(table, name, where):
    """One column's values as floats."""
    path, header, rows = table
    if name not in header:
        raise SpecError(f'{where}: column "{name}" is not in {path} (columns: {", ".join(header)})')
    index = header.index(name)
    values = []
    for line, row in enumerate(rows, start=2):
        try:
            values.append(float(row[index]))
        except ValueError:
            raise SpecError(f'{where}: {path} line {line}, column "{name}": '
                            f'"{row[index]}" is not a number') from None
    return values


def number_text(value):
    return str(int(value)) if value.is_integer() else repr(value)


def sanitized(text):
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def lines_of(chart, table, where):
    """The lines to draw as (gid, label, group index, xs, ys), divisors applied."""
    xs = [value / chart["x_divisor"] for value in column(table, chart["x"], where)]
    groups = column(table, chart["group"], where) if "group" in chart else None
    if groups and any(math.isnan(value) for value in groups):
        raise SpecError(f'{where}: group column "{chart["group"]}" has a value that is not '
                        "a number")
    lines = []
    for entry in chart["y"]:
        ys = [value / chart["y_divisor"] for value in column(table, entry["column"], where)]
        label, gid = entry.get("label", entry["column"]), "data-" + sanitized(entry["column"])
        if groups is None:
            lines.append((gid, label, 0, xs, ys))
            continue
        for index, group in enumerate(sorted(set(groups))):
            rows = [row for row, value in enumerate(groups) if value == group]
            text = number_text(group)
            lines.append((f"{gid}-{sanitized(text)}", f"{label} ({chart['group']}={text})", index,
                          [xs[row] for row in rows], [ys[row] for row in rows]))
    return check_lines(lines, where)


def check_lines(lines, where):
    if len(lines) > LINES_PER_CHART_MAX:
        raise SpecError(f"{where}: {len(lines)} lines, more than {LINES_PER_CHART_MAX}")
    gids = [line[0] for line in lines]
    for gid in sorted({gid for gid in gids if gids.count(gid) > 1}):
        raise SpecError(f'{where}: two lines would both be drawn as "{gid}"')
    return lines


def prepare(chart, index, ids_seen):
    """Checks a chart and reads its data: (chart with defaults, lines)."""
    chart_id = chart.get("id") if isinstance(chart, dict) else None
    where = f'chart "{chart_id}"' if isinstance(chart_id, str) else f"chart #{index}"
    chart = check_chart(chart, where)
    if chart_id in ids_seen:
        raise SpecError(f"{where}: a second chart with this id")
    ids_seen.add(chart_id)
    table = (chart["csv"],) + read_csv(chart["csv"], where)
    return chart, lines_of(chart, table, where)


def draw_lines(axes, chart, lines):
    groups = len({line[2] for line in lines}) if "group" in chart else 0
    for n, (gid, label, group, xs, ys) in enumerate(lines):
        style = {"color": PALETTE[n % len(PALETTE)], "linestyle": "-"}
        if groups:  # one colour per y entry, one dash per group value: both stay apart
            style = {"color": PALETTE[(n // groups) % len(PALETTE)],
                     "linestyle": GROUP_DASHES[group % len(GROUP_DASHES)]}
        axes.plot(xs, ys, drawstyle=KINDS[chart["kind"]], gid=gid, label=label, linewidth=1.4,
                  marker="o" if len(xs) == 1 else "", **style)


def draw_marks(axes, chart):
    """Knees as circled points with their label, thresholds as dashed lines labelled at right."""
    for n, knee in enumerate(chart["knees"]):
        at = (knee["x"] / chart["x_divisor"], knee["y"] / chart["y_divisor"])
        axes.plot(*at, gid=f"knee-{n}", marker="o", markersize=8, markerfacecolor="none",
                  markeredgecolor="#333333", markeredgewidth=1.4, linestyle="none")
        axes.annotate(knee.get("label", ""), at, xytext=(6, 6), textcoords="offset points",
                      gid=f"knee-{n}-label", color="#333333")
    for n, threshold in enumerate(chart["thresholds"]):
        y = threshold["y"] / chart["y_divisor"]
        axes.axhline(y, gid=f"threshold-{n}", color="#777777", linestyle="--", linewidth=1)
        axes.annotate(threshold.get("label", ""), (1, y), xycoords=("axes fraction", "data"),
                      xytext=(-4, 3), textcoords="offset points", ha="right", va="bottom",
                      gid=f"threshold-{n}-label", color="#555555")


def text_inches(characters, points):
    return characters * CHARACTER_WIDTH_EM * points / 72


def margins(axes, legend_labels):
    """Figure fractions that leave room for the y tick labels, the axis labels and the legend."""
    width, height = FIGURE_SIZE_INCHES
    ticks = axes.yaxis.get_major_formatter().format_ticks(axes.get_yticks())
    left = text_inches(max(map(len, ticks), default=1), FONT_POINTS) + 0.45
    right = 0.15
    if legend_labels:
        legend = text_inches(max(map(len, legend_labels)), LEGEND_FONT_POINTS) + 0.55
        right = min(legend, width * LEGEND_SHARE_MAX)
    return {"left": left / width, "right": 1 - right / width, "bottom": 0.5 / height,
            "top": 1 - 0.3 / height}


def draw(matplotlib, chart, lines):
    """One chart as SVG bytes."""
    figure = matplotlib.figure.Figure(figsize=FIGURE_SIZE_INCHES)
    axes = figure.add_subplot()
    draw_lines(axes, chart, lines)
    draw_marks(axes, chart)
    axes.set_title(chart["title"], loc="left", fontsize=10)
    axes.set_xlabel(chart["x_label"])
    axes.set_ylabel(chart["y_label"])
    axes.grid(True, color="#e0e0e0", linewidth=0.6)
    axes.set_axisbelow(True)
    if len(lines) > 1:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False,
                    fontsize=LEGEND_FONT_POINTS)
    figure.subplots_adjust(**margins(axes, [line[1] for line in lines] if len(lines) > 1 else []))
    # Clip path and marker ids hash the salt: fixed, so the bytes repeat; the chart's own, so the
    # ids differ between charts inlined in one HTML page.
    out = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "ccsim-chart-" + chart["id"]}):
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def write_beside_then_rename(path, data):
    partial = f"{path}.{os.getpid()}.partial"
    try:
        with open(partial, "wb") as file:
            file.write(data)
        os.replace(partial, path)
    except OSError:
        if os.path.exists(partial):
            os.unlink(partial)
        raise


def load_spec(path):
    try:
        with open(path, encoding="utf-8") as file:
            spec = json.load(file)
    except (OSError, ValueError) as error:
        raise SpecError(f"spec {path}: {getattr(error, 'strerror', None) or error}")
    charts = spec.get("charts") if isinstance(spec, dict) else None
    if not isinstance(charts, list) or not 0 < len(charts) <= CHARTS_MAX:
        raise SpecError(f'spec {path}: needs a "charts" list of 1 to {CHARTS_MAX} charts')
    return charts


def prepare_all(spec_path):
    """Every chart checked and its data read before any is drawn: (prepared charts, problems)."""
    try:
        charts = load_spec(spec_path)
    except SpecError as error:
        return [], [str(error)]
    prepared, problems, ids_seen = [], [], set()
    for index, chart in enumerate(charts):
        try:
            prepared.append(prepare(chart, index, ids_seen))
        except SpecError as error:
            problems.append(str(error))
    return prepared, problems


def main(arguments):
    if len(arguments) != 1:
        sys.stderr.write("usage: python3 -c \"<charts.py>\" SPEC.json\n")
        return EXIT_BAD_INPUT
    matplotlib = import_matplotlib()
    prepared, problems = prepare_all(arguments[0])
    for chart, lines in prepared if not problems else []:
        try:
            write_beside_then_rename(chart["svg"], draw(matplotlib, chart, lines))
        except OSError as error:
            problems.append(f'chart "{chart["id"]}": cannot write {chart["svg"]}: '
                            f"{error.strerror or error}")
    for problem in problems:
        sys.stderr.write(problem + "\n")
    return EXIT_BAD_INPUT if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
