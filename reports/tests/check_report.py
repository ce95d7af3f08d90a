"""Opens a report (one local HTML file) in Debian's headless Chromium and lists what a reader
would find wrong with it: a blank page, a console error, anything fetched beyond the file itself
(the report must read offline, without scripts), a `figure.chart` whose inline SVG holds no data
line. It also measures the page's load time, its size and its number of charts.

As a module: `with ReportBrowser() as browser: check = browser.check(path, screenshot)`, or
`check_report(path)` for one file. As a command:
    /usr/bin/python3 reports/tests/check_report.py REPORT.html [--screenshot OUT.png]
exits 0 when the report has no problem, 1 listing every problem, 2 when it cannot check at all
(no such file, Chromium or chromedriver missing).

It drives Chromium through Debian's python3-selenium and chromium-driver, both installed by
tools/setup: the driver is named by path, so selenium never looks one up online. Host names
resolve to nothing, so a report that reaches for the network fails fast offline and on line.
"""

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGUMENTS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",
]
WINDOW_WIDTH_PX = 1280
WINDOW_HEIGHT_PX_MIN, WINDOW_HEIGHT_PX_MAX = 800, 16000  # the screenshot spans the page, to this
PAGE_LOAD_TIMEOUT_S = 60
# Blank: fewer than this share of the screenshot's pixels differ from its most common colour. A
# heading alone on an empty page is ten times above it (0.5% at 1280 x 800), a word alone below.
BLANK_INK_SHARE_MAX = 0.0005
LOCAL_SCHEMES = ("data:", "about:", "blob:")

# For each figure.chart: its name, and the most vertices of any path in a g[id^="data-"] of its
# inline SVG. A vertex is a coordinate pair of the path's `d`.
CHARTS_SCRIPT = """
const NUMBER = /[-+]?(\\d+\\.?\\d*|\\.\\d+)(e[-+]?\\d+)?/gi;
return Array.from(document.querySelectorAll("figure.chart")).map((figure, index) => {
  const caption = figure.querySelector("figcaption");
  const name = figure.id || (caption && caption.textContent.trim()) || "#" + (index + 1);
  let vertices_max = 0;
  for (const path of figure.querySelectorAll('svg g[id^="data-"] path')) {
    const numbers = (path.getAttribute("d") || "").match(NUMBER) || [];
    vertices_max = Math.max(vertices_max, Math.floor(numbers.length / 2));
  }
  return {name: name, vertices_max: vertices_max};
});
"""
LOAD_END_SCRIPT = """
const navigation = performance.getEntriesByType("navigation")[0];
return navigation ? navigation.loadEventEnd : 0;
"""


@dataclass
class ReportCheck:
    """What opening one report found; `problems` is empty for a good report."""
    path: Path
    file_bytes: int
    load_ms: float = 0.0
    charts: int = 0
    problems: list = field(default_factory=list)

    def summary(self):
        verdict = "ok" if not self.problems else f"{len(self.problems)} problem(s)"
        return (f"{self.path}: {verdict}; {self.file_bytes} bytes, {self.charts} charts, "
                f"loaded in {self.load_ms:.0f} ms")


class ReportBrowser:
    """One headless Chromium, with a fresh profile, for checking any number of reports."""

    def __enter__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self._profile = tempfile.TemporaryDirectory(prefix="ccsim-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in CHROMIUM_ARGUMENTS + [f"--window-size={WINDOW_WIDTH_PX},"
                                              f"{WINDOW_HEIGHT_PX_MIN}",
                                              f"--user-data-dir={self._profile.name}"]:
            options.add_argument(argument)
        # The browser log holds console messages and failed loads; the performance log every
        # request the page makes, the ones that succeed too.
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        try:
            self._driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER),
                                            options=options)
        except Exception:
            self._profile.cleanup()
            raise
        self._driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
        return self

    def __exit__(self, *exception):
        self._driver.quit()
        self._profile.cleanup()

    def check(self, path, screenshot=None):
        """Opens path and returns what it found; saves the full-page screenshot if asked."""
        path = Path(path).resolve()
        report = ReportCheck(path=path, file_bytes=path.stat().st_size)
        self._driver.set_window_size(WINDOW_WIDTH_PX, WINDOW_HEIGHT_PX_MIN)
        self._driver.get("about:blank")
        self._drain_logs()  # what an earlier page left behind is not this page's
        self._driver.get(path.as_uri())
        report.load_ms = self._load_end_ms()
        report.problems += self._console_problems() + self._fetch_problems(path.as_uri())
        charts = self._driver.execute_script(CHARTS_SCRIPT)
        report.charts = len(charts)
        report.problems += [f'chart "{chart["name"]}" has no data: no g[id^="data-"] path with '
                            f'2 or more vertices in its svg' for chart in charts
                            if chart["vertices_max"] < 2]
        report.problems += self._blank_problems(screenshot)
        return report

    def _drain_logs(self):
        self._driver.get_log("browser")
        self._driver.get_log("performance")

    def _load_end_ms(self):
        # get() returns once the load event has fired; its end is stamped just after.
        for _ in range(50):
            load_end_ms = self._driver.execute_script(LOAD_END_SCRIPT)
            if load_end_ms > 0:
                return load_end_ms
            time.sleep(0.02)
        return 0.0

    def _console_problems(self):
        problems = []
        for entry in self._driver.get_log("browser"):
            if entry["level"] == "SEVERE":
                kind = "failed load" if entry.get("source") == "network" else "console error"
                problems.append(f"{kind}: {entry['message']}")
        return problems

    def _fetch_problems(self, page_url):
        problems = []
        for entry in self._driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] != "Network.requestWillBeSent":
                continue
            url = message["params"]["request"]["url"]
            if url != page_url and not url.startswith(LOCAL_SCHEMES):
                problems.append(f"fetches {url} (a report must hold everything it shows)")
        return problems

    def _blank_problems(self, screenshot):
        height = self._driver.execute_script("return document.documentElement.scrollHeight")
        height = max(WINDOW_HEIGHT_PX_MIN, min(int(height), WINDOW_HEIGHT_PX_MAX))
        self._driver.set_window_size(WINDOW_WIDTH_PX, height)
        png = self._driver.get_screenshot_as_png()
        if screenshot:
            Path(screenshot).write_bytes(png)
        share, colour = dominant_colour_share(png)
        if share > 1 - BLANK_INK_SHARE_MAX:
            return [f"blank page: {share:.3%} of the screenshot is one colour (#{colour})"]
        return []


def dominant_colour_share(png):
    """The share of pixels the most common colour covers, and that colour as hex."""
    import io
    from PIL import Image
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
    count, colour = max(colours)
    return count / (rgb.width * rgb.height), "%02x%02x%02x" % colour


def check_report(path, screenshot=None):
    """Checks one report in a browser of its own."""
    with ReportBrowser() as browser:
        return browser.check(path, screenshot)


def main(arguments):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="the report's HTML file")
    parser.add_argument("--screenshot", type=Path, help="where to save a full-page PNG")
    options = parser.parse_args(arguments)
    if not options.report.is_file():
        print(f"check_report: no such file {options.report}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        report = check_report(options.report, options.screenshot)
    except Exception as error:  # selenium's own messages say which binary or driver failed
        print(f"check_report: cannot open Chromium ({CHROMIUM}, {CHROMEDRIVER}): {error}",
              file=sys.stderr)
        return 2
    print(report.summary() + f"; checked in {time.monotonic() - started:.1f} s")
    for problem in report.problems:
        print(f"  {problem}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
