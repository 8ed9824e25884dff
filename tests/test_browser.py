"""The dashboard in a real browser: the page loads, a lever moves, a week runs, plots follow.

Starts ``homesim dashboard`` on a free localhost port and drives Debian's headless
Chromium with Selenium. ``scripts/install-browser.sh`` installs what this needs; where
no browser can be had the test skips and says why. A screenshot is saved to
test-artifacts/dashboard.png.
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
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason="no chromium/chromedriver: run scripts/install-browser.sh"),
    pytest.mark.skipif(bool(MISSING), reason=f"{', '.join(MISSING)} not installed: run "
                       "scripts/install-browser.sh"),
]

CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1500,1300")


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


@pytest.fixture
def server(tmp_path):
    """A dashboard server on a free localhost port, for a small scenario."""
    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(small_scenario().raw), encoding="utf-8")
    port = free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "dashboard", str(scenario), "--port", str(port),
         "--seed", "3"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        wait_for_port(port, proc, timeout=45)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the command and the server it started
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


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
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_dashboard_in_browser(server, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def text(css: str) -> str:
        try:
            found = browser.find_elements(By.CSS_SELECTOR, css)
            return found[0].text if found else ""
        except StaleElementReferenceException:  # redrawn while read: read again
            return ""

    def plots() -> list[str]:
        try:
            return [img.get_attribute("src") or "" for img in
                    browser.find_elements(By.CSS_SELECTOR, ".vue-grid-item img")]
        except StaleElementReferenceException:
            return []

    def button(label: str):
        return next(b for b in browser.find_elements(By.TAG_NAME, "button")
                    if b.text.strip().lower() == label)

    browser.get(server)
    wait_until(lambda: "Week 0 of 52" in text("#homesim-week"), 30, "the running totals")
    wait_until(lambda: len(plots()) == 3 and all(plots()), 15, "three plots")

    # the starter homes slider: 5 places in the scenario, three steps to the right
    slider = wait_until(lambda: next(
        (s for s in browser.find_elements(By.CSS_SELECTOR, ".v-input")
         if "Starter homes" in s.text), None), 10, "the starter homes slider")
    thumb = slider.find_element(By.CSS_SELECTOR, "[role=slider]")
    assert thumb.get_attribute("aria-valuenow") == "5"
    browser.execute_script("arguments[0].focus();", thumb)  # as a keyboard user would
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT * 3).perform()
    wait_until(lambda: thumb.get_attribute("aria-valuenow") == "8", 5, "the slider to move")

    ActionChains(browser).send_keys(Keys.TAB).perform()  # leave the slider
    # Reset rebuilds the model with the levers' values; the new value reaches the server
    # over the page's websocket, so a Reset pressed before it arrives is pressed again
    rebuilt = False
    for _ in range(5):
        button("reset").click()
        try:
            wait_until(lambda: "places.starter.capacity = 8" in text("#homesim-totals + p"),
                       3, "the model to be rebuilt with 8 starter homes")
            rebuilt = True
            break
        except AssertionError:
            continue
    assert rebuilt, "Reset did not rebuild the model with 8 starter homes"
    before = plots()

    button("step").click()
    wait_until(lambda: "Week 1 of 52" in text("#homesim-week"), 15, "one week to run")
    after = wait_until(lambda: plots() if plots() != before and all(plots()) else None, 15,
                       "the plots to redraw")
    assert len(after) == 3 and all(a != b for a, b in zip(after, before, strict=True))
    totals = text("#homesim-totals")
    assert "homeless now" in totals and "starter" in totals

    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
