"""The web pages of `llm-atlas serve` in a real browser: Debian's headless Chromium, driven by Selenium.

The test opens the query page, runs a saved query from the list and waits for its rows in YASGUI's table,
then opens an entity page and follows a link to a related entity. Every request the browser makes must go
to the local server (read from Chromium's network log), and the console must show no error. It skips, with
the reason, where Chromium, its driver or Selenium is missing (.ci/run installs them:
``apt-get install -y chromium chromium-driver`` and ``pip install -e '.[test]'``).
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from llm_atlas import Atlas
from llm_atlas.serve import AtlasServer

from .conftest import make_checkout, require

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)), None) or shutil.which("chromium")
CHROMEDRIVER = "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else shutil.which("chromedriver")
WAIT = 30  # seconds any one step may take

try:
    import selenium  # noqa: F401

    HAVE_SELENIUM = True
except ImportError:  # pragma: no cover
    HAVE_SELENIUM = False

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def chromium_and_selenium():
    """Skip on a machine without them; fail in CI, which has them."""
    require(HAVE_SELENIUM, "selenium (pip install -e '.[test]')")
    require(bool(CHROMIUM and CHROMEDRIVER), "Chromium and its driver (apt-get install -y chromium chromium-driver)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = make_checkout(tmp_path_factory.mktemp("browser") / "atlas")
    srv = AtlasServer(Atlas.open(root), port=0, timeout=10, workers=2).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: never download a driver or a browser
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
                     "--metrics-recording-only", "--window-size=1400,1000",
                     # nothing but this machine resolves: a request elsewhere fails rather than leaves
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    yield driver
    driver.quit()


def requested_urls(driver) -> list[str]:
    """The network requests since the last call (the browser's own chrome:// pages are not network)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(("chrome:", "chrome-untrusted:", "about:", "data:", "blob:")):
                urls.append(url)
    return urls


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def test_query_page_runs_a_saved_query(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    requested_urls(browser), console_errors(browser)  # start both logs afresh
    browser.get(server.url + "/query")
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-queries-loaded"))
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".yasqe .CodeMirror"))
    browser.find_element(By.CSS_SELECTOR, 'button.saved-query[data-name="study-sample"]').click()
    WebDriverWait(browser, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr")) >= 2)
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr")]
    assert len(rows) == 2
    assert "Alpha Lab" in rows[0] and "Europe" in rows[0] and "Beta Corp" in rows[1]
    # the tab is named after the query and queried this server's endpoint
    tab_names = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".tabsList .tab")]
    assert any("study-sample" in name for name in tab_names)
    browser.save_screenshot(str(tmp_path / "query.png"))
    urls = requested_urls(browser)
    assert any(u.startswith(server.url + "/sparql") for u in urls)
    outside = [u for u in urls if not u.startswith(server.url + "/")]
    assert not outside, f"the query page asked another origin: {outside}"
    assert not console_errors(browser)


def test_entity_page_links_to_related_entities(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    requested_urls(browser), console_errors(browser)
    browser.get(server.url + "/organization/alpha-lab")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Alpha Lab"
    facts = browser.find_element(By.CSS_SELECTOR, "#facts").text
    assert "continent" in facts and "slide 11" in facts and "paraphrased" in facts
    link = browser.find_element(By.CSS_SELECTOR, '#referenced-by a[href="/project/alpha"]')
    link.click()
    WebDriverWait(browser, WAIT).until(lambda d: d.current_url == server.url + "/project/alpha")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Alpha"
    # and on, through a fact of the project, to the organisation that leads it
    browser.find_element(By.CSS_SELECTOR, '#facts a[href="/organization/alpha-lab"]').click()
    WebDriverWait(browser, WAIT).until(lambda d: d.current_url == server.url + "/organization/alpha-lab")
    outside = [u for u in requested_urls(browser) if not u.startswith(server.url + "/")]
    assert not outside, f"an entity page asked another origin: {outside}"
    assert not console_errors(browser)


def test_ontology_page_opens(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.url + "/ontology/Organization")  # a term IRI: its section of the documentation
    assert browser.current_url == server.url + "/ontology/#Organization"
    assert "LLM Atlas ontology" in browser.find_element(By.TAG_NAME, "body").text
    assert not console_errors(browser)
