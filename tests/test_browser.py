"""The dashboard and the report in a real browser.

Dashboard: starts ``homesim dashboard`` on a free localhost port and drives Debian's
headless Chromium with Selenium: the page loads, sliders show their values and units,
a lever moves, a week runs and the plots follow, "Run to the end" finishes, the
difference column updates, and a model that fails shows a message. Report: a
comparison's page opens with the verdict and the main table on the first screen, and
prints to A4. ``scripts/install-browser.sh`` installs what this needs; where no browser
can be had the tests skip and say why. Screenshots (and the printed report) are saved
to test-artifacts/.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.test_dashboard import small_scenario

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MISSING = [m for m in ("solara", "altair", "selenium") if importlib.util.find_spec(m) is None]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="no chromium/chromedriver: run scripts/install-browser.sh",
    ),
    pytest.mark.skipif(
        bool(MISSING), reason=f"{', '.join(MISSING)} not installed: run scripts/install-browser.sh"
    ),
]

CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1300",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard server exited with code {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"dashboard server did not listen on port {port} in {timeout} s")


def serve(tmp_path: Path, page: str | None = None, plans: Path | None = None):
    """A dashboard server on a free localhost port, for a small scenario: ``homesim
    dashboard`` (with ``--plans`` when given), or solara serving ``page`` (a
    module:Page) with the same settings."""
    from sim.commands.dashboard import server_command, server_env

    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(small_scenario().raw), encoding="utf-8")
    port = free_port()
    if page is None:
        cmd, env = (
            [
                sys.executable,
                "-m",
                "sim.cli",
                "dashboard",
                str(scenario),
                "--port",
                str(port),
                "--seed",
                "3",
                *(["--plans", str(plans)] if plans is not None else []),
            ],
            None,
        )
    else:
        cmd = server_command("127.0.0.1", port)
        cmd[cmd.index("sim.dashboard:Page")] = page
        env = server_env(str(scenario), 3, None)
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    try:
        wait_for_port(port, proc, timeout=120)  # a loaded machine starts slowly
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the command and the server it started
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def server(tmp_path):
    yield from serve(tmp_path)


@pytest.fixture
def plan_server(tmp_path):
    from tests.test_dashboard import make_plan_folder

    folder = make_plan_folder(tmp_path)
    yield from serve(tmp_path, plans=folder.parent)


@pytest.fixture
def failing_server(tmp_path):
    yield from serve(tmp_path, "tests.failing_dashboard:Page")


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="homesim-chromium-")
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_until(predicate, timeout: float, what: str):
    """Poll ``predicate`` until it gives a true value, and return it.

    ``timeout`` (seconds) is only an upper bound, raised to 60 s at least: the test
    suite runs beside other work on a 2-core machine, where the dashboard's answer to a
    click can take far longer than its usual second.
    """
    timeout = max(timeout, 60)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _helpers(browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def text(css: str) -> str:
        try:
            found = browser.find_elements(By.CSS_SELECTOR, css)
            return found[0].text if found else ""
        except StaleElementReferenceException:  # redrawn while read: read again
            return ""

    def plots() -> list[str]:
        try:
            return [
                img.get_attribute("src") or ""
                for img in browser.find_elements(By.CSS_SELECTOR, ".homesim-plot img")
            ]
        except StaleElementReferenceException:
            return []

    def button(label: str):
        return next(
            b
            for b in browser.find_elements(By.TAG_NAME, "button")
            if b.text.strip().lower() == label
        )

    return text, plots, button


def totals(browser) -> dict[str, list[str]]:
    """The totals table: what -> [with levers, baseline, difference]."""
    from selenium.webdriver.common.by import By

    rows = browser.find_elements(By.CSS_SELECTOR, "#homesim-totals tr")
    cells = [[c.text for c in r.find_elements(By.TAG_NAME, "td")] for r in rows]
    return {c[0]: c[1:] for c in cells if c}


def _number(text: str) -> int:
    return int(text.replace(",", "").replace("+", ""))


def test_dashboard_in_browser(server, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from sim.scenario.labels import DOTTED_KEY

    text, plots, button = _helpers(browser)
    browser.get(server)
    wait_until(lambda: "Week 0 of 52" in text("#homesim-week"), 90, "the running totals")
    wait_until(lambda: len(plots()) == 3 and all(plots()), 15, "three plots")
    assert browser.title == "homesim"
    body = browser.find_element(By.TAG_NAME, "body").text
    for mesa_words in ("Play Interval", "Render Interval", "Use Threads", "runs on Solara"):
        assert mesa_words not in body
    assert DOTTED_KEY.search(body) is None and "housing_first" not in body

    # every slider shows its value and unit above it; starter homes start at 5 places
    def lever_labels() -> list[str]:
        return [x.text for x in browser.find_elements(By.CSS_SELECTOR, ".homesim-lever")]

    sliders = browser.find_elements(By.CSS_SELECTOR, "[role=slider]")
    labels = wait_until(lever_labels, 10, "the levers")
    assert len(labels) == len(sliders) >= 5
    assert all(x.split(":")[1].strip() for x in labels)  # a value (and unit) after the name
    assert "Starter homes: 5 places" in labels
    thumb = sliders[labels.index("Starter homes: 5 places")]
    assert thumb.get_attribute("aria-valuenow") == "5"
    browser.execute_script("arguments[0].focus();", thumb)  # as a keyboard user would
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT * 3).perform()
    wait_until(
        lambda: "Starter homes: 8 places" in lever_labels(),
        5,
        "the slider's label to show 8 places",
    )
    ActionChains(browser).send_keys(Keys.TAB).perform()  # leave the slider

    # the pathway menu shows words
    menu = next(
        s
        for s in browser.find_elements(By.CSS_SELECTOR, ".v-select")
        if "Housing pathway" in s.text
    )
    menu.find_element(By.CSS_SELECTOR, ".v-select__slot").click()

    def items() -> set[str]:
        try:
            return {
                i.text
                for i in browser.find_elements(By.CSS_SELECTOR, ".v-menu__content .v-list-item")
                if i.text
            }
        except StaleElementReferenceException:  # the menu redrawn while read
            return set()

    words = {"none", "staircase model", "Housing First"}
    wait_until(lambda: words <= items(), 10, "the menu's items in words")
    assert not any("_" in x for x in items())
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()

    # Reset rebuilds the model with the levers' values; the new value reaches the server
    # over the page's websocket, so a Reset pressed before it arrives is pressed again
    changed = "Levers changed: Places: starter homes, places = 8"
    for _ in range(5):
        button("reset").click()
        try:
            wait_until(
                lambda: changed in text("#homesim-totals + p"),
                3,
                "the model to be rebuilt with 8 starter homes",
            )
            break
        except AssertionError:
            continue
    assert changed in text("#homesim-totals + p")
    before = plots()

    button("step").click()
    wait_until(lambda: "Week 1 of 52" in text("#homesim-week"), 15, "one week to run")
    after = wait_until(
        lambda: plots() if plots() != before and all(plots()) else None, 15, "the plots to redraw"
    )
    assert len(after) == 3 and all(a != b for a, b in zip(after, before, strict=True))
    assert "difference" in text("#homesim-totals")

    start = time.monotonic()
    button("run to the end").click()
    wait_until(lambda: "Week 52 of 52" in text("#homesim-week"), 60, "the run to the end")
    seconds = time.monotonic() - start
    t = totals(browser)
    with_levers, baseline, difference = t["homeless now"]
    assert _number(difference) == _number(with_levers) - _number(baseline)
    assert "starter homes" in t and "cost so far, discounted" in t

    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    (ARTIFACTS / "dashboard_run_to_end_seconds.txt").write_text(f"{seconds:.2f}\n")


def test_failing_model_shows_a_message(failing_server, browser):
    from selenium.webdriver.common.by import By

    text, _, button = _helpers(browser)
    browser.get(failing_server)
    wait_until(lambda: "Week 0 of 52" in text("#homesim-week"), 90, "the running totals")
    button("step").click()
    message = wait_until(lambda: text(".homesim-error"), 15, "the error message")
    assert "The model stopped with an error" in message and "team" in message
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Traceback" not in body and "Starter homes" in body  # the page is still there
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard_error.png"))


def _choose(browser, label: str, item: str) -> None:
    """Pick the item holding ``item`` from the menu labelled ``label``."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    menu = wait_until(
        lambda: next(
            (s for s in browser.find_elements(By.CSS_SELECTOR, ".v-select") if label in s.text),
            None,
        ),
        15,
        f"the menu '{label}'",
    )
    menu.find_element(By.CSS_SELECTOR, ".v-select__slot").click()

    def entry():
        try:
            return next(
                (
                    i
                    for i in browser.find_elements(
                        By.CSS_SELECTOR, ".menuable__content__active .v-list-item"
                    )
                    if item in i.text
                ),
                None,
            )
        except StaleElementReferenceException:
            return None

    wait_until(entry, 10, f"the item '{item}'").click()


def test_plans_tab_opens_a_point_as_the_scenario(plan_server, browser):
    """The Plans tab draws the plan's frontier; a point picked in its menu opens as the
    scenario of the Levers tab (its values on the sliders, the plan's base as the
    baseline); a folder that is not a plan's shows a message."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    text, _, button = _helpers(browser)
    browser.get(plan_server)
    wait_until(lambda: "Week 0 of 52" in text("#homesim-week"), 90, "the running totals")
    tab = next(t for t in browser.find_elements(By.CSS_SELECTOR, ".v-tab") if t.text == "PLANS")
    tab.click()
    frontier = wait_until(
        lambda: [
            i.get_attribute("src")
            for i in browser.find_elements(By.CSS_SELECTOR, ".homesim-frontier img")
        ],
        30,
        "the frontier",
    )
    assert len(frontier) == 1 and frontier[0]
    # the plan's title and the recommended plan's note may render after the figure
    wait_until(
        lambda: (
            "Plan: small_plan" in (body := browser.find_element(By.TAG_NAME, "body").text)
            and "recommended" in body
        ),
        30,
        "the plan's title and its recommended plan",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard_plans.png"))

    # open the plan with 1.5 homes a week and 10 starter homes from 2016
    point = "homes assigned a week 1.5, starter homes 10 from 2016"
    _choose(browser, "Plan to open", point)
    wait_until(
        lambda: (
            [
                i.get_attribute("src")
                for i in browser.find_elements(By.CSS_SELECTOR, ".homesim-frontier img")
            ]
            != frontier
        ),
        15,
        "the frontier to mark the chosen point",
    )
    button("open as scenario").click()
    opened = wait_until(lambda: text(".homesim-opened"), 30, "the opened plan's note")
    assert "Opened from the plan 'small_plan'" in opened and point in opened

    def lever_labels() -> list[str]:
        return [x.text for x in browser.find_elements(By.CSS_SELECTOR, ".homesim-lever")]

    labels = wait_until(lever_labels, 10, "the levers")
    assert "Homes assigned by the municipality: 1.5 homes a week" in labels
    notes = " ".join(n.text for n in browser.find_elements(By.CSS_SELECTOR, ".homesim-note"))
    assert "10 places from 2016-01-01" in notes
    button("run to the end").click()
    wait_until(lambda: "Week 104 of 104" in text("#homesim-week"), 90, "the run to the end")
    t = totals(browser)
    with_plan, baseline, difference = t["homeless now"]
    assert _number(difference) == _number(with_plan) - _number(baseline)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard_plan_opened.png"))

    # a folder that is not a plan's results is a message in the tab, not a traceback
    next(t for t in browser.find_elements(By.CSS_SELECTOR, ".v-tab") if t.text == "PLANS").click()
    field = wait_until(
        lambda: next(
            (
                f
                for f in browser.find_elements(By.CSS_SELECTOR, ".homesim-plan-folder input")
                if f.is_displayed()
            ),
            None,
        ),
        15,
        "the folder field",
    )
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys("/no/such/plan")
    field.send_keys(Keys.ENTER)
    message = wait_until(
        lambda: "/no/such/plan" in text(".homesim-plan-error") and text(".homesim-plan-error"),
        15,
        "the folder's message",
    )
    assert "no such folder" in message
    assert "Traceback" not in browser.find_element(By.TAG_NAME, "body").text
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard_plan_error.png"))


def test_report_first_screen_in_browser(tmp_path, browser):
    """The report of a comparison: verdict and main table on the first screen of a
    laptop-sized window; the page prints to an A4 PDF."""
    import base64

    from selenium.webdriver.common.by import By

    from sim.cli import main

    out = tmp_path / "compare"
    assert (
        main(
            [
                "compare",
                str(ROOT / "scenarios" / "randers_baseline.yaml"),
                str(ROOT / "scenarios" / "randers_housing_first.yaml"),
                "-n",
                "2",
                "--years",
                "1",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    browser.set_window_size(1366, 900)
    browser.get((out / "report.html").as_uri())
    height = browser.execute_script("return window.innerHeight")
    for css in ("#verdict", "#main-table"):
        box = browser.find_element(By.CSS_SELECTOR, css).rect
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (css, box, height)
    verdict = browser.find_element(By.CSS_SELECTOR, "#verdict").text
    assert "homeless days" in verdict and "DKK" in verdict
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "report_first_screen.png"))
    pdf = browser.execute_cdp_cmd(
        "Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True}
    )
    data = base64.b64decode(pdf["data"])
    assert data.startswith(b"%PDF")
    (ARTIFACTS / "report.pdf").write_bytes(data)
