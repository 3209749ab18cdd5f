"""The explorer widget proven in a real browser (issue 25, item 4).

Voilà renders ``experiments/notebooks/explorer.ipynb`` on 127.0.0.1 (a free port, a ``python3``
kernelspec of this interpreter, this checkout first on ``PYTHONPATH``); Debian's headless Chromium,
driven by Selenium through Debian's ``/usr/bin/chromedriver`` (given explicitly, so nothing is
downloaded), opens the page, waits for the widget and its picture, moves the γ slider with the keyboard
and then the ``update`` dropdown, and after each move waits until the picture (an ``<img>`` in the
widget) changes and checks that the control shows the new value. Screenshots of the widget before and
after go to a folder the test prints (pytest's temporary folder); with ``BROWSER_ARTIFACTS=1`` they are
also copied to ``tests/browser/artifacts/``.

Skipped, with the reason, where Chromium, ChromeDriver, Selenium or Voilà is missing, unless
``REQUIRE_BROWSER=1``: then a missing piece is a failure (CI sets it after installing the browser).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "experiments" / "notebooks" / "explorer.ipynb"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BINARY", "/usr/bin/chromedriver")
# Flags for Chromium as root on a closed network: without the background-networking ones it keeps
# trying to reach Google's hosts (refused here, many at a time).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1100")
SERVER_TIMEOUT = 120  # s until Voilà prints its address
# s until the page shows the widget's picture (Voilà runs the whole notebook first)
RENDER_TIMEOUT = float(os.environ.get("BROWSER_RENDER_TIMEOUT", 300))
REDRAW_TIMEOUT = 120  # s until the picture changes after a control moved


def _missing(what: str):
    """Fail when REQUIRE_BROWSER=1, else skip, with the same reason."""
    reason = f"{what} (install: apt-get install chromium chromium-driver; pip install '.[test]')"
    if REQUIRED:
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _require_tools():
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            _missing(f"{path} is absent (Debian package {package})")
    for module in ("selenium", "voila"):
        try:
            __import__(module)
        except ImportError:
            _missing(f"the Python package {module} is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(condition, timeout: float, what: str, log=None, driver=None, folder=None):
    """Poll ``condition()`` until it returns something truthy (returned) or ``timeout`` s pass (fail,
    naming ``what``, with the end of the server's log when one is given, and the page's screenshot,
    HTML and console saved in ``folder`` when a ``driver`` is given)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    tail = "" if log is None else "\n--- end of the Voila log ---\n" + log.read_text(errors="replace")[-3000:]
    if driver is not None and folder is not None:
        driver.save_screenshot(str(folder / "timeout.png"))
        (folder / "timeout.html").write_text(driver.page_source, encoding="utf-8")
        try:
            console = "\n".join(str(e) for e in driver.get_log("browser"))
        except Exception as exc:  # noqa: BLE001 - the console is a diagnostic only
            console = f"(no console log: {exc})"
        (folder / "timeout_console.txt").write_text(console, encoding="utf-8")
        tail += f"\n--- the page's screenshot, HTML and console are in {folder} ---\n{console[-2000:]}"
    pytest.fail(f"timed out after {timeout} s waiting for {what}{tail}", pytrace=False)


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    """Voilà serving the explorer notebook on 127.0.0.1; yields its URL; the server is stopped after."""
    _require_tools()
    from ipykernel.kernelspec import install

    home = tmp_path_factory.mktemp("voila")
    install(kernel_name="python3", prefix=str(home / "kernel"))
    env = dict(os.environ, MPLBACKEND="Agg",
               JUPYTER_PATH=os.pathsep.join(filter(None, [str(home / "kernel" / "share" / "jupyter"),
                                                          os.environ.get("JUPYTER_PATH")])),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    port = _free_port()
    log = home / "voila.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "voila", "--no-browser", f"--port={port}",
                                 "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--show_tracebacks=True",
                                 str(NOTEBOOK)], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        def listening():
            if proc.poll() is not None:
                pytest.fail(f"Voila exited with code {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}",
                            pytrace=False)
            return url in log.read_text(errors="replace")
        _wait_for(listening, SERVER_TIMEOUT, f"Voila to listen on {url}", log)
        yield url, log
    finally:
        # SIGTERM lets Voila shut its kernels down; a kernel also exits when its parent is gone.
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(voila_url, tmp_path_factory):
    """Debian's headless Chromium through Debian's chromedriver (both paths explicit)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for failure reports
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _control(driver, label: str):
    """The widget (the ``widget-inline-hbox`` element) whose description label reads ``label``."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.XPATH, f"//label[contains(@class, 'widget-label') and normalize-space(.)='{label}']"
                                           "/ancestor::div[contains(@class, 'widget-inline-hbox')][1]")
    return found[0] if found else None


def _outer_box(control):
    """The outermost widget element (box, tab, ...) around ``control``: the explorer widget."""
    from selenium.webdriver.common.by import By

    return control.find_element(By.XPATH, "ancestor::div[contains(concat(' ', normalize-space(@class), ' '), "
                                          "' jupyter-widgets ')][last()]")


def _picture(box):
    """``src`` of the largest loaded ``<img>`` in ``box`` (the explorer's figure), or None. An inline PNG
    (``data:``) shown in an Output widget, or a ``blob:`` URL of an ``ipywidgets.Image``: either way a
    new picture has a new ``src``."""
    return box.parent.execute_script(
        "let best = null, area = 0;"
        "for (const img of arguments[0].querySelectorAll('img')) {"
        "  const a = img.naturalWidth * img.naturalHeight;"
        "  if (img.complete && a > area) { area = a; best = img.src; } }"
        "return best;", box)


def _gammas_in_text(box):
    """Every number written as ``γ=x`` or ``γ = x`` in the widget's visible text (a numbers table beside
    the picture, where there is one; the readouts of the sliders are not written that way)."""
    return [float(x.rstrip(".")) for x in re.findall(r"γ\s*=\s*([0-9]*\.?[0-9]+)", box.get_attribute("innerText"))]


def _shoot(box, folder: Path, name: str) -> Path:
    path = folder / name
    box.parent.execute_script("arguments[0].scrollIntoView(true);", box)
    assert box.screenshot(str(path)), f"Chromium did not write the screenshot {path}"
    return path


def test_explorer_redraws_in_chromium(voila_url, browser, tmp_path):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    url, log = voila_url
    print(f"\nscreenshots in {tmp_path}")
    browser.set_page_load_timeout(RENDER_TIMEOUT)
    browser.get(url)
    gamma = _wait_for(lambda: _control(browser, "γ"), RENDER_TIMEOUT, "the explorer's γ slider", log,
                      browser, tmp_path)
    box = _outer_box(gamma)
    first = _wait_for(lambda: _picture(box), RENDER_TIMEOUT, "the explorer's first picture", log,
                      browser, tmp_path)
    assert first.startswith(("data:image/png", "blob:")), f"the picture is not a PNG or blob: {first[:80]!r}"
    shots = [_shoot(box, tmp_path, "explorer_0_start.png")]

    # 1. γ slider: one PageDown on its handle moves it by 5 steps of 0.01 (noUiSlider's keyboard).
    from selenium.webdriver.common.by import By

    before = float(gamma.find_element(By.CSS_SELECTOR, ".widget-readout").text)
    gamma.find_element(By.CSS_SELECTOR, "[role=slider]").send_keys(Keys.PAGE_DOWN)
    second = _wait_for(lambda: (p := _picture(box)) and p != first and p, REDRAW_TIMEOUT,
                       "the picture to change after the γ slider moved", log, browser, tmp_path)
    gamma = _control(browser, "γ")  # found again: the view may have redrawn its parts
    shown = float(gamma.find_element(By.CSS_SELECTOR, ".widget-readout").text)
    steps = (before - shown) / 0.01  # the slider's step
    assert 0.99 < steps < 10.01 and abs(steps - round(steps)) < 0.01, \
        f"the γ readout went {before} -> {shown}, not down by one to ten steps of 0.01"
    if _gammas_in_text(box):  # numbers shown beside the picture follow the slider too
        _wait_for(lambda: all(abs(g - shown) < 1e-9 for g in _gammas_in_text(box)), REDRAW_TIMEOUT,
                  f"the numbers beside the picture to show γ = {shown} (at the redraw: {_gammas_in_text(box)})",
                  log, browser, tmp_path)
    shots.append(_shoot(box, tmp_path, "explorer_1_gamma.png"))

    # 2. update dropdown: another update redraws again.
    update = Select(_control(browser, "update").find_element(By.TAG_NAME, "select"))
    old_update = update.first_selected_option.get_attribute("value")
    new_update = next(o.get_attribute("value") for o in update.options if o.get_attribute("value") != old_update)
    update.select_by_value(new_update)
    third = _wait_for(lambda: (p := _picture(box)) and p not in (first, second) and p, REDRAW_TIMEOUT,
                      f"the picture to change after the update became {new_update!r}", log, browser, tmp_path)
    assert update.first_selected_option.get_attribute("value") == new_update
    again = float(_control(browser, "γ").find_element(By.CSS_SELECTOR, ".widget-readout").text)
    assert again == shown, f"the γ readout went {shown} -> {again} although only the update moved"
    assert third.startswith(("data:image/png", "blob:")), f"the new picture's src is {third[:80]!r}"
    shots.append(_shoot(box, tmp_path, "explorer_2_update.png"))

    if os.environ.get("BROWSER_ARTIFACTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        for shot in shots:
            shutil.copy(shot, ARTIFACTS / shot.name)
        print(f"screenshots copied to {ARTIFACTS}")
