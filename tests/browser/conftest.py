"""A real headless Chromium, driven with Playwright, and the demo agency site registered
with the live provider, so tests can click through sign-in as a person would.

Every test gets a fresh browser context (no cookies) and saves a full-page screenshot
of each page it visits, into ``IDP_SCREENSHOT_DIR`` or a temporary folder; the folder
is printed at the end of the run.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey
from playwright.sync_api import Browser, Page, Response, sync_playwright

from idp.demo.agency import create_agency_app
from tests.conftest import LiveServer, _free_port, serve
from tests.support import AgencyKey, write_jwks

CHROMIUM = os.environ.get("IDP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AGENCY_NAME = "Department of Demonstration Benefits"
SCREENSHOT_DIR = pytest.StashKey[Path]()
FAILED = pytest.StashKey[bool]()


@dataclass
class DemoAgency:
    url: str
    client_id: str
    name: str


@dataclass
class Screenshots:
    """Numbered full-page screenshots of one test's pages."""

    folder: Path
    count: int = 0

    def take(self, page: Page, label: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.count:02d}-{label}.png"
        page.screenshot(path=path, full_page=True)
        return path


@dataclass
class BrokenResources:
    """Responses of 400 or more for anything a page loaded (styles, scripts, images)."""

    responses: list[str] = field(default_factory=list)

    def watch(self, response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.responses.append(f"{response.status} {response.url}")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        # `make test` installs Chromium; a missing browser must not pass silently.
        pytest.fail(f"no Chromium at {CHROMIUM}; install Debian's chromium or set IDP_CHROMIUM")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def broken_resources() -> BrokenResources:
    return BrokenResources()


@pytest.fixture
def page(
    chromium: Browser,
    broken_resources: BrokenResources,
    screenshots: Screenshots,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("response", broken_resources.watch)
    yield page
    if request.node.stash.get(FAILED, False):
        screenshots.take(page, "failed")
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("IDP_SCREENSHOT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    pytestconfig.stash[SCREENSHOT_DIR] = folder
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture
def screenshots(screenshot_dir: Path, request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(screenshot_dir / re.sub(r"[^\w.-]", "_", request.node.name))


@pytest.fixture(scope="session")
def demo_agency(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> DemoAgency:
    """The demo agency site on its own port, registered with a fresh RSA key."""
    return start_demo_agency(live_server, tmp_path_factory.mktemp("demo-agency"))


def start_demo_agency(live_server: LiveServer, folder: Path) -> DemoAgency:
    """Serve a demo agency site for ``live_server`` and register it there."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    client_id = f"urn:gov:test:demo-{secrets.token_hex(4)}"
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    jwks_file = folder / "jwks.json"
    write_jwks(jwks_file, [AgencyKey(key, "RS256")])
    options = {
        "--client-id": client_id,
        "--name": AGENCY_NAME,
        "--redirect-uri": f"{url}/callback",
        "--post-logout-redirect-uri": f"{url}/",
        "--jwks-file": str(jwks_file),
        "--max-ial": "2",  # its "Sign in with a verified identity" button asks for IAL2
    }
    result = live_server.run_cli("clients", "add", *(x for pair in options.items() for x in pair))
    assert result.exit_code == 0, result.output
    serve(create_agency_app(live_server.url, client_id, key, url, name=AGENCY_NAME), port)
    return DemoAgency(url, client_id, AGENCY_NAME)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    folder = terminalreporter.config.stash.get(SCREENSHOT_DIR, None)
    if folder is not None:
        terminalreporter.write_line(f"browser screenshots saved in {folder}")
