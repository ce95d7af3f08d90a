"""The report's chart renderer (reports/charts.py), run as ccsim runs it: its text passed to
`/usr/bin/python3 -c`, the spec's path as the one argument.

The checks read the SVG back with xml.etree and count each line's vertices from its path's `d`
attribute against the CSV rows the test wrote, and place knees and thresholds against those
vertices, so they derive what the chart should hold a second way instead of reusing the script's
code. Run with Debian's Python: `/usr/bin/python3 -m pytest -q reports/tests/test_charts.py`.
"""

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("CCSIM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
SCRIPT = (SOURCE_DIR / "reports" / "charts.py").read_text(encoding="utf-8")
PYTHON = "/usr/bin/python3"
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
EXIT_BAD_INPUT, EXIT_NO_MATPLOTLIB = 2, 3


def write_csv(path, header, rows):
    lines = [",".join(header)] + [",".join(map(str, row)) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_charts(tmp_path, charts, env=None):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"charts": charts}))
    return subprocess.run([PYTHON, "-c", SCRIPT, str(spec)], capture_output=True, text=True,
                          timeout=120, env=env)


def chart(tmp_path, chart_id, csv, **fields):
    return {"id": chart_id, "svg": str(tmp_path / f"{chart_id}.svg"), "csv": str(csv),
            "title": chart_id, "x": "time_s", "x_label": "time (h)", "x_divisor": 3600,
            "y": [{"column": "a", "label": "alpha"}], "y_label": "devices", **fields}


def groups(svg_path):
    """id -> element, for every element of the SVG with an id."""
    root = ET.parse(svg_path).getroot()
    assert root.tag == SVG + "svg" and len(root.get("viewBox").split()) == 4
    return {element.get("id"): element for element in root.iter() if element.get("id")}


def vertices(group):
    """The (x, y) vertices of the one path in a group, read from its `d` attribute."""
    paths = list(group.iter(SVG + "path"))
    assert len(paths) == 1, f"{group.get('id')} holds {len(paths)} paths"
    tokens = re.findall(r"[A-Za-z]|-?\d+(?:\.\d+)?(?:e-?\d+)?", paths[0].get("d"))
    assert set(token for token in tokens if token.isalpha()) <= {"M", "L"}
    numbers = [float(token) for token in tokens if not token.isalpha()]
    return list(zip(numbers[0::2], numbers[1::2]))


def assert_affine(data, drawn):
    """The drawn coordinates are the data scaled and shifted: the CSV's line, point by point."""
    scale = (drawn[-1] - drawn[0]) / (data[-1] - data[0])
    for value, position in zip(data, drawn):
        assert abs(drawn[0] + (value - data[0]) * scale - position) < 0.01


# Time in seconds and two columns; a's values dip and rise so the line is not straight.
TIMES = [0, 600, 1200, 2400, 3600, 5400, 7200]
A_VALUES = [0, 3, 5, 4, 8, 2, 6]
B_VALUES = [1.5, 1.25, 1.0, 2.0, 2.5, 2.25, 3.0]


def test_each_column_is_one_line_with_a_vertex_per_row(tmp_path):
    csv = write_csv(tmp_path / "two.csv", ["time_s", "a", "b"], zip(TIMES, A_VALUES, B_VALUES))
    y = [{"column": "a", "label": "alpha"}, {"column": "b", "label": "beta"}]
    result = run_charts(tmp_path, [chart(tmp_path, "two", csv, y=y, y_divisor=1e-3)])
    assert result.returncode == 0, result.stderr
    found = groups(tmp_path / "two.svg")
    assert sorted(gid for gid in found if gid.startswith("data-")) == ["data-a", "data-b"]
    for gid, values in (("data-a", A_VALUES), ("data-b", B_VALUES)):
        drawn = vertices(found[gid])
        assert len(drawn) == len(TIMES)
        assert_affine(TIMES, [x for x, _ in drawn])
        assert_affine(values, [y for _, y in drawn])
    assert "legend_1" in found
    texts = [text.text for text in ET.parse(tmp_path / "two.svg").getroot().iter(SVG + "text")]
    assert "alpha" in texts and "beta" in texts and "two" in texts


def test_one_line_has_no_legend(tmp_path):
    csv = write_csv(tmp_path / "one.csv", ["time_s", "a"], zip(TIMES, A_VALUES))
    assert run_charts(tmp_path, [chart(tmp_path, "one", csv)]).returncode == 0
    found = groups(tmp_path / "one.svg")
    assert [gid for gid in found if gid.startswith("data-")] == ["data-a"]
    assert not any(gid.startswith("legend") for gid in found)


def test_step_draws_a_level_then_a_rise_per_row(tmp_path):
    csv = write_csv(tmp_path / "step.csv", ["time_s", "a"], zip(TIMES, A_VALUES))
    assert run_charts(tmp_path, [chart(tmp_path, "step", csv, kind="step")]).returncode == 0
    drawn = vertices(groups(tmp_path / "step.svg")["data-a"])
    assert len(drawn) == 2 * len(TIMES) - 1
    for k in range(len(TIMES) - 1):
        assert drawn[2 * k][1] == drawn[2 * k + 1][1]      # level until the next row's time
        assert drawn[2 * k + 1][0] == drawn[2 * k + 2][0]  # then straight up or down to it
    assert_affine(TIMES, [x for x, _ in drawn[0::2]])
    assert_affine(A_VALUES, [y for _, y in drawn[0::2]])


def test_group_column_splits_each_line_by_value(tmp_path):
    shares = [0.25, 0.5, 1, 0.25, 0.5, 1, 0.25]
    csv = write_csv(tmp_path / "grouped.csv", ["time_s", "a", "b", "relay_share"],
                    zip(TIMES, A_VALUES, B_VALUES, shares))
    y = [{"column": "a", "label": "alpha"}, {"column": "b", "label": "beta"}]
    result = run_charts(tmp_path, [chart(tmp_path, "grouped", csv, y=y, group="relay_share")])
    assert result.returncode == 0, result.stderr
    found = groups(tmp_path / "grouped.svg")
    ids = {0.25: "0_25", 0.5: "0_5", 1: "1"}
    expected = {f"data-{column}-{text}": [t for t, s in zip(TIMES, shares) if s == share]
                for column in ("a", "b") for share, text in ids.items()}
    assert sorted(gid for gid in found if gid.startswith("data-")) == sorted(expected)
    for gid, times in expected.items():
        drawn = vertices(found[gid])
        assert len(drawn) == len(times)
        assert_affine(times, [x for x, _ in drawn])
    texts = {text.text for text in ET.parse(tmp_path / "grouped.svg").getroot().iter(SVG + "text")}
    assert {"alpha (relay_share=0.25)", "beta (relay_share=1)"} <= texts


def test_knees_and_thresholds_sit_on_the_data_they_name(tmp_path):
    csv = write_csv(tmp_path / "marks.csv", ["time_s", "a"], zip(TIMES, A_VALUES))
    marks = chart(tmp_path, "marks", csv, y_divisor=1e-3,
                  knees=[{"x": TIMES[4], "y": A_VALUES[4], "label": "knee: 5,000 cameras"}],
                  thresholds=[{"y": A_VALUES[2], "label": "SLO: at most 2 s"}, {"y": 7}])
    assert run_charts(tmp_path, [marks]).returncode == 0
    found = groups(tmp_path / "marks.svg")
    line = vertices(found["data-a"])
    use = next(found["knee-0"].iter(SVG + "use"))
    assert (float(use.get("x")), float(use.get("y"))) == line[4]
    threshold = vertices(found["threshold-0"])
    assert len(threshold) == 2 and threshold[0][1] == threshold[1][1] == line[2][1]
    assert "threshold-1" in found and "knee-1" not in found
    assert found["knee-0-label"].find(f"{SVG}text").text == "knee: 5,000 cameras"


def test_only_data_lines_carry_data_ids(tmp_path):
    csv = write_csv(tmp_path / "ids.csv", ["time_s", "a", "b"], zip(TIMES, A_VALUES, B_VALUES))
    y = [{"column": "a"}, {"column": "b"}]
    assert run_charts(tmp_path, [chart(tmp_path, "ids", csv, y=y,
                                       knees=[{"x": 0, "y": 0}])]).returncode == 0
    found = groups(tmp_path / "ids.svg")
    for gid, element in found.items():
        if gid.startswith("data-"):
            assert gid in ("data-a", "data-b") and element.tag == SVG + "g"
    ticks = [gid for gid in found if gid.startswith(("xtick", "ytick"))]
    assert ticks, "expected matplotlib's own tick groups"


def test_same_input_gives_the_same_bytes(tmp_path):
    csv = write_csv(tmp_path / "same.csv", ["time_s", "a", "b"], zip(TIMES, A_VALUES, B_VALUES))
    charts = [chart(tmp_path, "same", csv, y=[{"column": "a"}, {"column": "b"}],
                    knees=[{"x": 3600, "y": 8, "label": "knee"}], thresholds=[{"y": 5}])]
    assert run_charts(tmp_path, charts).returncode == 0
    first = (tmp_path / "same.svg").read_bytes()
    assert run_charts(tmp_path, charts).returncode == 0
    assert (tmp_path / "same.svg").read_bytes() == first
    assert b"<dc:date>" not in first


def test_charts_in_one_page_do_not_share_referenced_ids(tmp_path):
    """Clip paths and markers are found by id (url(#p...), href="#m..."): inlined in one page, a
    chart must not pick up another's. matplotlib's other ids (patch_1) are never referenced."""
    csv = write_csv(tmp_path / "page.csv", ["time_s", "a"], zip(TIMES, A_VALUES))
    charts = [chart(tmp_path, "first", csv, kind="step"), chart(tmp_path, "second", csv)]
    assert run_charts(tmp_path, charts).returncode == 0
    referenced = []
    for name in ("first.svg", "second.svg"):
        root = ET.parse(tmp_path / name).getroot()
        referenced.append({element.get("id") for element in root.iter() if element.get("id")
                           and element.tag in (SVG + "clipPath", SVG + "path")})
    assert referenced[0] and referenced[1] and not referenced[0] & referenced[1]


def assert_refused(result, message, tmp_path):
    assert result.returncode == EXIT_BAD_INPUT
    assert message in result.stderr, result.stderr
    assert not list(tmp_path.glob("*.svg")) and not list(tmp_path.glob("*.partial"))


def test_unknown_column_names_the_chart_and_the_columns(tmp_path):
    csv = write_csv(tmp_path / "connected.csv", ["time_s", "a", "b"], [[0, 1, 2]])
    bad = chart(tmp_path, "connected", csv, y=[{"column": "foo"}])
    assert_refused(run_charts(tmp_path, [bad]),
                   f'chart "connected": column "foo" is not in {csv} (columns: time_s, a, b)',
                   tmp_path)


def test_missing_key_and_unknown_key(tmp_path):
    csv = write_csv(tmp_path / "keys.csv", ["time_s", "a"], [[0, 1]])
    missing = chart(tmp_path, "missing", csv)
    del missing["title"]
    typo = chart(tmp_path, "typo", csv, thresolds=[])
    result = run_charts(tmp_path, [missing, typo])
    assert_refused(result, 'chart "missing": missing key "title"', tmp_path)
    assert 'chart "typo": unknown key "thresolds" (known: id, svg, csv, title' in result.stderr


def test_empty_and_unreadable_csv(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    header_only = write_csv(tmp_path / "header.csv", ["time_s", "a"], [])
    charts = [chart(tmp_path, "empty", tmp_path / "empty.csv"),
              chart(tmp_path, "header-only", header_only),
              chart(tmp_path, "absent", tmp_path / "absent.csv")]
    result = run_charts(tmp_path, charts)
    assert_refused(result, f'chart "empty": {tmp_path / "empty.csv"} has no data rows', tmp_path)
    assert f'chart "header-only": {header_only} has a header but no data rows' in result.stderr
    assert (f'chart "absent": cannot read {tmp_path / "absent.csv"}: No such file or directory'
            in result.stderr)


def test_a_bad_cell_names_its_line_and_column(tmp_path):
    csv = tmp_path / "cell.csv"
    csv.write_text("time_s,a\n0,1\n60,lots\n")
    assert_refused(run_charts(tmp_path, [chart(tmp_path, "cell", csv)]),
                   f'chart "cell": {csv} line 3, column "a": "lots" is not a number', tmp_path)


def test_one_bad_chart_writes_no_chart(tmp_path):
    csv = write_csv(tmp_path / "good.csv", ["time_s", "a"], zip(TIMES, A_VALUES))
    charts = [chart(tmp_path, "good", csv), chart(tmp_path, "good", csv),
              chart(tmp_path, "bad", csv, kind="bars")]
    result = run_charts(tmp_path, charts)
    assert_refused(result, 'chart "good": a second chart with this id', tmp_path)
    assert 'chart "bad": kind "bars" is not one of line, step' in result.stderr


def test_an_unwritable_svg_leaves_nothing_behind(tmp_path):
    csv = write_csv(tmp_path / "w.csv", ["time_s", "a"], zip(TIMES, A_VALUES))
    target = chart(tmp_path, "w", csv, svg=str(tmp_path / "no-such-dir" / "w.svg"))
    assert_refused(run_charts(tmp_path, [target]),
                   f'chart "w": cannot write {tmp_path / "no-such-dir" / "w.svg"}', tmp_path)


def test_a_spec_that_is_not_json(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text("{charts: ")
    result = subprocess.run([PYTHON, "-c", SCRIPT, str(spec)], capture_output=True, text=True)
    assert result.returncode == EXIT_BAD_INPUT and f"spec {spec}:" in result.stderr


def test_without_matplotlib_it_says_how_to_install_it(tmp_path):
    shadow = tmp_path / "shadow" / "matplotlib"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no matplotlib here')\n")
    csv = write_csv(tmp_path / "m.csv", ["time_s", "a"], zip(TIMES, A_VALUES))
    result = run_charts(tmp_path, [chart(tmp_path, "m", csv)],
                        env={**os.environ, "PYTHONPATH": str(shadow.parent)})
    assert result.returncode == EXIT_NO_MATPLOTLIB
    assert result.stderr == ("charts need matplotlib: install python3-matplotlib "
                             "(tools/setup does)\n")


def test_a_long_straight_line_keeps_every_row(tmp_path):
    """matplotlib drops vertices of long lines that look straight unless told not to; the report's
    checks (and readers hovering a point) count on every row."""
    times = list(range(0, 300 * 60, 60))
    csv = write_csv(tmp_path / "long.csv", ["time_s", "a"], [(t, 2 * t) for t in times])
    assert run_charts(tmp_path, [chart(tmp_path, "long", csv)]).returncode == 0
    drawn = vertices(groups(tmp_path / "long.svg")["data-a"])
    assert len(drawn) == len(times)
    assert_affine(times, [x for x, _ in drawn])
