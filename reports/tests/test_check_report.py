"""The report checker (reports/tests/check_report.py) against small pages written by hand: it
passes a good one and names the problem of each bad one. One headless Chromium serves them all.

Run with Debian's Python: `/usr/bin/python3 -m pytest -q reports/tests/test_check_report.py`.
Needs chromium, chromium-driver, python3-selenium and python3-pil (tools/setup installs them).
"""

import os
import subprocess
from pathlib import Path

import pytest

import check_report

PYTHON = "/usr/bin/python3"
CHECKER = Path(check_report.__file__)

# A chart as the report inlines one: an svg in a figure.chart, its line in a data- group.
DATA_CHART = """<figure class="chart" id="chart-connected">
<figcaption>Devices connected</figcaption>
<svg viewBox="0 0 20 10" width="400" height="200" xmlns="http://www.w3.org/2000/svg">
<g id="data-x"><path d="M 0 0 L 10 10 L 20 5" fill="none" stroke="#0072B2" stroke-width="0.5"/></g>
</svg></figure>"""
EMPTY_CHART = """<figure class="chart" id="chart-empty"><figcaption>Nothing yet</figcaption>
<svg viewBox="0 0 20 10" width="400" height="200" xmlns="http://www.w3.org/2000/svg">
<g id="axes_1"><path d="M 0 10 L 20 10" stroke="black"/></g><g id="data-x"><path d="M 5 5"/></g>
</svg></figure>"""


def page(body):
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>report</title>
<style>body {{ font-family: sans-serif; }}</style></head><body>
<h1>ccsim capacity report</h1><p>Every device connected within two seconds.</p>
{body}</body></html>"""


@pytest.fixture(scope="module")
def browser():
    for path in (check_report.CHROMIUM, check_report.CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is not installed (tools/setup installs chromium, chromium-driver)")
    with check_report.ReportBrowser() as opened:
        yield opened


def check(browser, tmp_path, html, screenshot=None):
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    return browser.check(path, screenshot)


def test_a_good_report_passes_and_is_measured(browser, tmp_path):
    html = page(DATA_CHART)
    report = check(browser, tmp_path, html, tmp_path / "shot.png")
    assert report.problems == []
    assert report.charts == 1
    assert report.file_bytes == len(html.encode())
    assert 0 < report.load_ms < 60_000
    assert (tmp_path / "shot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_blank_page(browser, tmp_path):
    report = check(browser, tmp_path, "<!doctype html><html><body></body></html>")
    assert len(report.problems) == 1
    assert report.problems[0].startswith("blank page: 100.000% of the screenshot is one colour")
    assert report.charts == 0


def test_a_console_error(browser, tmp_path):
    report = check(browser, tmp_path,
                   page(DATA_CHART + '<script>console.error("no rows for chart");</script>'))
    assert len(report.problems) == 1
    assert report.problems[0].startswith("console error: ")
    assert "no rows for chart" in report.problems[0]


def test_an_uncaught_exception_is_a_console_error(browser, tmp_path):
    report = check(browser, tmp_path, page(DATA_CHART + "<script>draw_missing();</script>"))
    assert [problem for problem in report.problems if "draw_missing is not defined" in problem]


def test_an_external_image(browser, tmp_path):
    report = check(browser, tmp_path,
                   page(DATA_CHART + '<img src="http://example.invalid/x.png" alt="">'))
    assert sorted(report.problems) == sorted([
        "fetches http://example.invalid/x.png (a report must hold everything it shows)",
        "failed load: http://example.invalid/x.png - Failed to load resource: "
        "net::ERR_NAME_NOT_RESOLVED"])


def test_a_file_beside_the_report_is_a_fetch_too(browser, tmp_path):
    (tmp_path / "style.css").write_text("h1 { color: #333; }")
    report = check(browser, tmp_path,
                   page(DATA_CHART).replace("</head>", '<link rel="stylesheet" href="style.css">'
                                                       "</head>"))
    assert report.problems == [f"fetches {(tmp_path / 'style.css').as_uri()} "
                               "(a report must hold everything it shows)"]


def test_a_chart_without_data(browser, tmp_path):
    report = check(browser, tmp_path, page(DATA_CHART + EMPTY_CHART))
    assert report.charts == 2
    assert report.problems == ['chart "chart-empty" has no data: no g[id^="data-"] path with '
                               "2 or more vertices in its svg"]


def test_one_page_after_another_keeps_problems_apart(browser, tmp_path):
    assert check(browser, tmp_path, page(DATA_CHART + "<script>oops()</script>")).problems
    assert check(browser, tmp_path, page(DATA_CHART)).problems == []


def test_the_command_line(tmp_path):
    good, bad = tmp_path / "good.html", tmp_path / "bad.html"
    good.write_text(page(DATA_CHART))
    bad.write_text(page(EMPTY_CHART + '<script>console.error("x")</script>'))
    passed = subprocess.run([PYTHON, str(CHECKER), str(good), "--screenshot",
                             str(tmp_path / "good.png")], capture_output=True, text=True)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert f"{good}: ok; {good.stat().st_size} bytes, 1 charts, loaded in " in passed.stdout
    assert (tmp_path / "good.png").is_file()
    failed = subprocess.run([PYTHON, str(CHECKER), str(bad)], capture_output=True, text=True)
    assert failed.returncode == 1
    assert "2 problem(s)" in failed.stdout and 'chart "chart-empty" has no data' in failed.stdout
    missing = subprocess.run([PYTHON, str(CHECKER), str(tmp_path / "none.html")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file" in missing.stderr
