"""The workbench in a real browser: `slasim app` started on a free port, Debian's chromium driven
by Selenium (the system's chromedriver, no browser download), the What-if page loaded, a desk's
staff moved, Run pressed, the results table seen to change; a screenshot kept as an artifact."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if server.poll() is not None:
            pytest.fail(f"slasim app ended early (exit {server.returncode})")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"slasim app did not answer at {url} within {seconds} s")


@pytest.fixture
def server(tmp_path):
    """`slasim app scenarios/minimal.yaml` on a free port, in its own process group (ended
    with everything it started when the test ends)."""
    port = free_port()
    env = {**os.environ, "SLASIM_LANG": "en"}
    command = [sys.executable, "-m", "slasim", "app", str(ROOT / "scenarios" / "minimal.yaml")]
    with open(tmp_path / "server.log", "wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def browser():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
        )
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, find, seconds: float = 40):
    """The first non-empty result of `find(driver)` within `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = find(driver)
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"not found within {seconds} s: {find.__doc__}")


def set_number(driver, label: str, value: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def field(d):
        """a number input"""
        return d.find_elements(By.CSS_SELECTOR, f'input[aria-label="{label}"]')

    (box,) = wait_for(driver, field)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.ENTER)
    wait_for(driver, lambda d: box.get_attribute("value") == str(value) or None)


def results_table(driver) -> str:
    """The results table (the first one on the page), as shown."""
    from selenium.webdriver.common.by import By

    def table(d):
        """the results table"""
        tables = d.find_elements(By.CSS_SELECTOR, '[data-testid="stTable"] table')
        return tables[0].text if tables else None

    return wait_for(driver, table)


def press_run(driver) -> None:
    from selenium.webdriver.common.by import By

    def button(d):
        """the Run button"""
        return d.find_elements(By.XPATH, "//button[.//p[normalize-space()='Run']]")

    wait_for(driver, button)[0].click()


def test_moving_a_desks_staff_changes_the_results(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(server)
    wait_for(browser, lambda d: d.find_elements(By.XPATH, "//h2[contains(., 'What if')]"))
    set_number(browser, "Replications", 2)
    set_number(browser, "window", 3)
    press_run(browser)
    first = results_table(browser)
    assert "red card" in first and "lead time" in first
    set_number(browser, "window", 1)
    wait_for(browser, lambda d: "press Run" in d.page_source or None)  # old figures hidden
    press_run(browser)
    second = results_table(browser)
    assert second != first
    keep(browser, tmp_path / "workbench-what-if.png")
    # the same page in Chinese: the switch, the glossary's terms, and CJK glyphs that render
    (chinese,) = browser.find_elements(By.XPATH, "//label[.//p[normalize-space()='中文']]")
    chinese.click()
    wait_for(browser, lambda d: d.find_elements(By.XPATH, "//h2[contains(., '假设分析')]"))
    wait_for(browser, lambda d: "红牌" in d.page_source or None)
    assert not tofu(browser, "假设分析红牌")
    keep(browser, tmp_path / "workbench-what-if-zh.png")


def keep(browser, shot: Path) -> None:
    """A screenshot in the test's folder, and in $SLASIM_ARTIFACTS when set."""
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    artifacts = os.environ.get("SLASIM_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / shot.name)


def tofu(browser, text: str) -> bool:
    """Whether `text`, drawn in the page's heading font, looks like characters no font has (the
    private-use U+E000…, drawn as empty boxes): then the CJK font is missing."""
    script = """
        const [text, missing] = arguments;
        const canvas = document.createElement('canvas');
        canvas.width = 400; canvas.height = 60;
        const pen = canvas.getContext('2d');
        pen.font = getComputedStyle(document.querySelector('h2')).font;
        const drawn = (t) => { pen.clearRect(0, 0, 400, 60); pen.fillText(t, 0, 45);
                               return canvas.toDataURL(); };
        return drawn(text) === drawn(missing);
    """
    missing = "".join(chr(0xE000 + i) for i in range(len(text)))
    return browser.execute_script(script, text, missing)
