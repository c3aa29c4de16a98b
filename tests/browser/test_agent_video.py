"""A live video call between a person and a proofing agent, in two Chromium contexts with
fake cameras and microphones, against ``idp serve`` with two single-threaded workers.

The agent signs in with a security key (Chromium's virtual authenticator); the person
comes from the demo agency's "facial match" button. The browsers connect peer to peer,
with the signalling relayed by the provider through short polling; the test reads each
side's ``RTCPeerConnection`` statistics to see video frames decoded both ways. It then
drops the connection (an ICE restart, and the person's page loaded again) and checks
that the call comes back, and the agent decides: verified, back at the agency with a
facial-match ``acr``; or not verified, with the reason and the other ways.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from idp.oidc.assurance import LG_FACIAL_REQUIRED
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    BrokenResources,
    DemoAgency,
    Screenshots,
    start_demo_agency,
)
from tests.browser.test_demo_agency import claims, sign_in_at_provider
from tests.browser.test_verified_sign_in import consent_to_verify, expect_signed_in
from tests.browser.webauthn import (
    VirtualAuthenticator,
    enter_password,
    sign_in_with_code,
    sign_out,
)
from tests.conftest import LiveServer, Person, _free_port, make_person
from tests.proofing.agent.support import clear_queue, query
from tests.test_serving import (
    Served,
    _wait_until_serving,
    _wait_until_workers_ready,
    start_serving,
    stop_serving,
)

FACIAL_MATCH_BUTTON = "Sign in with a facial match"
CONNECTED = 30_000
# Every RTCPeerConnection a page makes, for the test to read its statistics.
RECORD_PEER_CONNECTIONS = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) { return; }
  window.__peerConnections = [];
  function Recorded(...args) {
    const pc = new Native(...args);
    window.__peerConnections.push(pc);
    return pc;
  }
  Recorded.prototype = Native.prototype;
  window.RTCPeerConnection = Recorded;
})();
"""
FRAMES_DECODED = """
async () => {
  const open = window.__peerConnections.filter((pc) => pc.connectionState === "connected");
  if (!open.length) { return -1; }
  const stats = await open[open.length - 1].getStats();
  let frames = 0;
  stats.forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") {
      frames += report.framesDecoded || 0;
    }
  });
  return frames;
}
"""
ICE_UFRAG = """
(which) => {
  const pc = window.__peerConnections[window.__peerConnections.length - 1];
  const sdp = (which === "local" ? pc.localDescription : pc.remoteDescription).sdp;
  return sdp.match(/a=ice-ufrag:(\\S+)/)[1];
}
"""


@dataclass
class ServedIdp:
    url: str
    served: Served
    server: LiveServer  # the operator CLI's view of it


@dataclass
class AgentDesk:
    person: Person
    page: Page
    context: BrowserContext


@pytest.fixture(scope="module")
def video_chromium(chromium: Browser) -> Iterator[Browser]:
    """Chromium with its fake camera and microphone, allowed without asking."""
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def served_idp(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedIdp]:
    """``idp serve`` with two workers on ``localhost`` (WebAuthn refuses an address),
    on the session's database."""
    port = _free_port()
    url = f"http://localhost:{port}"
    served = start_serving(
        live_server, tmp_path_factory.mktemp("served"), workers=2, port=port, IDP_ISSUER=url
    )
    try:
        _wait_until_serving(served)
        _wait_until_workers_ready(served, 2)
        server = LiveServer(url, live_server.app, live_server.data_dir, live_server.database_url)
        yield ServedIdp(url, served, server)
    finally:
        stop_serving(served)


@pytest.fixture(scope="module")
def facial_agency(served_idp: ServedIdp, tmp_path_factory: pytest.TempPathFactory) -> DemoAgency:
    return start_demo_agency(served_idp.server, tmp_path_factory.mktemp("video-agency"))


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.add_init_script(RECORD_PEER_CONNECTIONS)
    return context


@pytest.fixture(scope="module")
def agent_desk(video_chromium: Browser, served_idp: ServedIdp) -> Iterator[AgentDesk]:
    """A proofing agent who set up a security key, was granted the role, and signed in
    with the key."""
    context = new_context(video_chromium)
    page = context.new_page()
    key = VirtualAuthenticator(page, "usb")
    person = make_person(served_idp.server)
    sign_in_with_code(page, served_idp.url, person)
    page.goto(served_idp.url + "/account/factors/security-key/new")
    page.get_by_role("button", name="Set up security key").click()
    expect(page.get_by_text("Your new sign-in method is ready.")).to_be_visible()
    assert len(key.credentials()) == 1
    granted = served_idp.server.run_cli("staff", "grant", person.email, "agent")
    assert granted.exit_code == 0, granted.output
    sign_out(page)
    enter_password(page, person)
    expect(page.get_by_role("heading", name=re.compile("^Use your security key"))).to_be_visible()
    page.locator("#passkey-start").click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    yield AgentDesk(person, page, context)
    context.close()


@pytest.fixture
def person_page(video_chromium: Browser, broken_resources: BrokenResources) -> Iterator[Page]:
    context = new_context(video_chromium)
    page = context.new_page()
    page.on("response", broken_resources.watch)
    yield page
    context.close()


def frames_decoded(page: Page) -> int:
    found: int = page.evaluate(FRAMES_DECODED)
    return found


def expect_video_flowing(page: Page, label: str) -> None:
    """The connection is up and the other side's video frames keep being decoded."""
    expect(page.locator("#call-state")).to_have_attribute(
        "data-state", "connected", timeout=CONNECTED
    )
    deadline = time.monotonic() + CONNECTED / 1000
    while frames_decoded(page) <= 10 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    before = frames_decoded(page)
    page.wait_for_timeout(1500)
    after = frames_decoded(page)
    assert after > before > 10, f"{label}: frames decoded {before} then {after}"


def to_waiting_room(
    page: Page, agency: DemoAgency, person: Person, first_name: str, shots: Screenshots
) -> None:
    """From the agency's facial-match button to the queue, through the camera check."""
    page.goto(agency.url + "/")
    page.get_by_role("button", name=FACIAL_MATCH_BUTTON, exact=True).click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    sign_in_at_provider(page, person, shots)
    consent_to_verify(page, shots)
    expect(page.get_by_role("heading", name="Choose how to verify your identity")).to_be_visible()
    card = page.locator("li.usa-card", has_text="Verify with an agent by video")
    expect(card).to_contain_text("A person compares your face, not software")
    shots.take(page, "methods")
    card.get_by_role("button", name="Choose this way").click()

    expect(page.get_by_role("heading", name="Verify with an agent by video")).to_be_visible()
    expect(page.get_by_text("Nothing is recorded")).to_be_visible()
    page.get_by_label("Your first name").fill(first_name)
    page.get_by_label("Last name").fill("Lovelace")
    shots.take(page, "person-explanation")
    page.get_by_role("button", name="Continue to the camera check").click()

    expect(page.get_by_role("heading", name="Check your camera and microphone")).to_be_visible()
    expect(page.locator("#join-button")).to_be_disabled()
    page.get_by_role("button", name="Check my camera and microphone").click()
    expect(page.locator("#join-button")).to_be_enabled()
    expect(page.locator("#check-status")).to_contain_text("work")
    shots.take(page, "person-camera-check")
    page.get_by_role("button", name="Join the line").click()
    expect(page.get_by_role("heading", name="You are in line")).to_be_visible()
    expect(page.locator("#queue-place")).to_have_text("You are next")
    shots.take(page, "person-waiting-room")


def agent_takes(desk: AgentDesk, url: str, first_name: str, shots: Screenshots) -> str:
    page = desk.page
    page.goto(url + "/agent")
    expect(page.get_by_role("heading", name="Video verification queue")).to_be_visible()
    expect(page.locator("#waiting-rows")).to_contain_text(first_name)
    shots.take(page, "agent-queue")
    page.get_by_role("button", name="Take the next person").click()
    expect(page.get_by_role("heading", name=f"Call with {first_name}")).to_be_visible()
    match = re.search(r"/agent/calls/([0-9a-f-]{36})$", page.url)
    assert match, page.url
    return match.group(1)


def fill_identity(page: Page, number: str) -> None:
    page.get_by_label("Document", exact=True).select_option("driving_permit")
    fields = {
        "First name": "Ada", "Date of birth": "1985-12-10", "Document number": number,
        "Issued by (state, or USA)": "VA", "Expiration date": "2035-06-30",
        "Street address": "1600 Example Avenue", "City": "Richmond", "State": "VA",
        "ZIP code": "23219",
    }  # fmt: skip
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)


def answer_checklist(page: Page, answers: dict[str, str]) -> None:
    for item, answer in answers.items():
        page.locator(f"label[for={item}-{answer}]").click()


ALL_YES = dict.fromkeys(
    ("id_genuine", "face_matches", "challenge_answered", "details_confirmed"), "yes"
)


def test_a_video_call_with_an_agent_verifies_for_an_agency(
    person_page: Page,
    agent_desk: AgentDesk,
    served_idp: ServedIdp,
    facial_agency: DemoAgency,
    live_server: LiveServer,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    clear_queue(live_server)
    page, desk, shots = person_page, agent_desk, screenshots
    person = make_person(served_idp.server)
    to_waiting_room(page, facial_agency, person, "Ada", shots)

    call_id = agent_takes(desk, served_idp.url, "Ada", shots)
    expect(desk.page.locator("#challenge")).to_have_text(re.compile(r"^[a-z]+ \d\d [a-z]+ [a-z]+$"))
    expect(desk.page.get_by_label("Last name", exact=True)).to_have_value("Lovelace")
    expect(page.get_by_role("heading", name="Your call with an agent")).to_be_visible()
    expect_video_flowing(page, "the person's browser")
    expect_video_flowing(desk.page, "the agent's browser")
    shots.take(page, "person-call")
    shots.take(desk.page, "agent-call")

    number = f"D{secrets.randbelow(10**7):07d}"
    fill_identity(desk.page, number)
    answer_checklist(desk.page, ALL_YES)
    desk.page.locator("label[for=decision-verified]").click()
    shots.take(desk.page, "agent-checklist")
    desk.page.get_by_role("button", name="Record the decision").click()
    expect(desk.page.get_by_role("heading", name="Decision recorded: Verified")).to_be_visible()

    expect(page.get_by_role("heading", name="An agent verified your identity")).to_be_visible()
    shots.take(page, "person-outcome-verified")
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Re-enter your password")).to_be_visible()
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Save your personal key")).to_be_visible()
    page.locator("label[for=saved]").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name=f"Continue to {facial_agency.name}")).to_be_visible()
    page.get_by_role("button", name="Agree and continue").click()
    expect_signed_in(page, facial_agency, shots)

    id_token = claims(page, "#id-token-claims")
    userinfo = claims(page, "#userinfo-claims")
    assert id_token["acr"] == LG_FACIAL_REQUIRED
    assert userinfo["family_name"] == "Lovelace" and userinfo["birthdate"] == "1985-12-10"
    verification = userinfo["verified_claims"]["verification"]
    assert verification["verification_process"] == "agent"
    [evidence] = verification["evidence"]
    assert [c["check_method"] for c in evidence["check_details"]] == ["vri", "data", "pvr"]

    (review,) = query(live_server, "SELECT * FROM agent_reviews WHERE call_id = %(c)s", c=call_id)
    assert str(review["agent_id"]) == desk.person.account_id and review["decision"] == "verified"
    assert query(live_server, "SELECT id FROM agent_signals WHERE call_id = %(c)s", c=call_id) == []
    assert broken_resources.responses == []


def test_a_dropped_connection_comes_back_and_a_rejection_is_explained(
    person_page: Page,
    agent_desk: AgentDesk,
    served_idp: ServedIdp,
    facial_agency: DemoAgency,
    live_server: LiveServer,
    screenshots: Screenshots,
) -> None:
    clear_queue(live_server)
    page, desk, shots = person_page, agent_desk, screenshots
    person = make_person(served_idp.server)
    to_waiting_room(page, facial_agency, person, "Grace", shots)
    call_id = agent_takes(desk, served_idp.url, "Grace", shots)
    expect_video_flowing(page, "the person's browser")
    expect_video_flowing(desk.page, "the agent's browser")

    # The video froze: the person asks to reconnect, and the agent's browser restarts
    # ICE on the same connection (new ICE credentials, no new connection).
    before = desk.page.evaluate(ICE_UFRAG, "local")
    connections = page.evaluate("window.__peerConnections.length")
    page.get_by_role("button", name="Video frozen? Reconnect").click()
    desk.page.wait_for_function(f"({ICE_UFRAG})('local') !== {before!r}", timeout=CONNECTED)
    page.wait_for_function(f"({ICE_UFRAG})('remote') !== {before!r}", timeout=CONNECTED)
    assert page.evaluate("window.__peerConnections.length") == connections
    expect_video_flowing(page, "the person's browser, after the ICE restart")
    expect_video_flowing(desk.page, "the agent's browser, after the ICE restart")

    # The person's page is lost and loaded again: the call, and the place, are kept.
    agent_connections = desk.page.evaluate("window.__peerConnections.length")
    page.reload()
    expect(page.get_by_role("heading", name="Your call with an agent")).to_be_visible()
    expect_video_flowing(page, "the person's browser, loaded again")
    desk.page.wait_for_function(f"window.__peerConnections.length > {agent_connections}")
    expect_video_flowing(desk.page, "the agent's browser, after the person came back")
    (call,) = query(
        live_server, "SELECT status, agent_id::text FROM agent_calls WHERE id = %(c)s", c=call_id
    )
    assert call == {"status": "in_call", "agent_id": desk.person.account_id}
    shots.take(desk.page, "agent-call-after-reconnect")

    answer_checklist(desk.page, {**ALL_YES, "challenge_answered": "no"})
    desk.page.locator("label[for=decision-rejected]").click()
    desk.page.get_by_label("Reason (when not verified)").select_option("challenge_failed")
    desk.page.get_by_role("button", name="Record the decision").click()
    expect(desk.page.get_by_role("heading", name="Decision recorded: Not verified")).to_be_visible()

    expect(page.get_by_role("heading", name="We could not verify your identity")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("said the words they asked for")
    expect(page.get_by_role("link", name=f"Go back to {facial_agency.name}")).to_be_visible()
    shots.take(page, "person-outcome-rejected")
