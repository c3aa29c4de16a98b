"""The selfie method's pages over HTTP, with the fake face engine: consent first, the
document, the selfie, every failure explained with the other ways offered, replays
refused, and the biometric lifecycle (deletion at the decision, on request, on expiry)."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from idp.proofing import outcomes, service
from idp.proofing.biometrics import lifecycle
from idp.proofing.biometrics.receipts import read_receipt
from idp.proofing.biometrics.store import RETENTION_SECONDS, utc_now
from idp.proofing.methods.selfie.consent import CONSENT_SHA256, CONSENT_TEXT, CONSENT_VERSION
from idp.proofing.methods.selfie.faces import FaceProblem, fake_face_image
from tests.conftest import LiveServer, Person, another_server, make_person
from tests.proofing.conftest import unique_licence
from tests.proofing.selfie.conftest import camera_frames, uploaded_photos
from tests.proofing.selfie.fake_engine import PROMPT
from tests.proofing.selfie.support import (
    CONSENT_HEADING,
    DOCUMENT_HEADING,
    SELFIE_HEADING,
    add_licence,
    add_selfie,
    agree,
    artefacts,
    choose_selfie,
    field,
    post_step,
    progress,
    query,
    receipts,
    run_to_selfie,
)
from tests.proofing.test_views import signed_in

SELFIE_METHODS = ("idp.proofing.methods.document", "tests.proofing.selfie.fake_engine")


@pytest.fixture(scope="module")
def selfie_server(live_server: LiveServer) -> LiveServer:
    """The provider with the document method and the selfie method on the fake engine."""
    return another_server(live_server, "127.0.0.1", proofing_methods=SELFIE_METHODS)


def jwks(server: LiveServer) -> dict[str, Any]:
    keys: dict[str, Any] = requests.get(f"{server.url}/.well-known/jwks.json", timeout=5).json()
    return keys


def counted(server: LiveServer) -> dict[tuple[str, str, str], int]:
    with server.app.extensions["idp.db"].transaction() as conn:
        rows = outcomes.list_counts(conn, date.today())
    return {(r["method"], r["outcome"], r["reason"]): int(r["count"]) for r in rows}


def record(server: LiveServer, account_id: str) -> dict[str, Any]:
    (row,) = query(server, "SELECT * FROM proofing_records WHERE account_id = %(a)s", account_id)
    return row


def test_the_consent_page_says_what_how_long_and_who_and_offers_the_other_ways_alike(
    selfie_server: LiveServer, person: Person
) -> None:
    page = choose_selfie(signed_in(selfie_server, person))
    shown = [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", page.text, re.S)]
    assert tuple(shown[: len(CONSENT_TEXT)]) == CONSENT_TEXT
    assert hashlib.sha256("\n".join(shown[: len(CONSENT_TEXT)]).encode()).hexdigest() == (
        CONSENT_SHA256
    )
    text = html.unescape(page.text)
    for words in ("face_recognition", "dlib", "15 minutes", "no one", "never stored"):
        assert words in text
    assert CONSENT_VERSION in text
    agree_button = re.search(r'<button class="([^"]+)" type="submit" name="consent"', page.text)
    other_buttons = re.findall(
        r'<button class="([^"]+)" type="submit">Choose this way instead', page.text
    )
    assert agree_button is not None and other_buttons == [agree_button.group(1)]
    assert 'name="method" value="document"' in page.text and "No face recognition" in page.text


def test_nothing_is_collected_without_consent(selfie_server: LiveServer, person: Person) -> None:
    browser = signed_in(selfie_server, person)
    page = choose_selfie(browser)
    before = progress(selfie_server, person.account_id)
    assert before is not None and before["step"] == "consent"

    refused = post_step(browser, page, "consent", {"consent_version": CONSENT_VERSION})
    assert refused.status_code == 422 and CONSENT_HEADING in refused.text
    assert "agree to have your face compared" in refused.text
    out_of_order = add_licence(browser, page, unique_licence())
    assert out_of_order.status_code == 409 and CONSENT_HEADING in out_of_order.text

    after = progress(selfie_server, person.account_id)
    assert after == before
    assert artefacts(selfie_server, person.account_id) == 0
    assert record(selfie_server, person.account_id)["consents"] == []


def test_the_consent_is_recorded_with_its_text_version(
    selfie_server: LiveServer, person: Person
) -> None:
    browser = signed_in(selfie_server, person)
    agree(browser, choose_selfie(browser))
    (consent,) = record(selfie_server, person.account_id)["consents"]
    assert consent["method"] == "selfie" and consent["subject"] == "automated_face_comparison"
    assert consent["version"] == CONSENT_VERSION and consent["sha256"] == CONSENT_SHA256
    assert consent["at"]


def test_a_matching_selfie_verifies_with_a_software_face_comparison_and_no_letter(
    selfie_server: LiveServer, person: Person
) -> None:
    browser, page = run_to_selfie(selfie_server, person, unique_licence())
    assert "slowly turn your head to your left" in page.text
    assert 'id="camera-capture"' in page.text and 'name="frame_12"' in page.text
    assert 'name="photo_3"' in page.text and "selfie.js" in page.text
    assert "Photo 2: With your head turned to your left" in page.text
    assert artefacts(selfie_server, person.account_id) == 1

    response = add_selfie(browser, page, camera_frames(PROMPT))
    assert response.headers.get("Location") == "/verify/finish", response.text[:2000]
    assert artefacts(selfie_server, person.account_id) == 0
    (receipt,) = receipts(selfie_server, person.account_id)
    assert receipt["reason"] == "decision"
    assert receipt["deleted"] == [{"kind": "document_photo", "count": 1}]
    claims = read_receipt(receipt["token"], jwks(selfie_server))
    assert claims["reason"] == "decision" and claims["sub"] == person.account_id

    finish = browser.follow(response)
    passed = counted(selfie_server).get(("selfie", "passed", ""), 0)
    key_page = browser.post_form(finish, "/verify/finish", {"password": person.password})
    assert 'id="personal-key"' in key_page.text
    assert counted(selfie_server)[("selfie", "passed", "")] == passed + 1
    verified = record(selfie_server, person.account_id)
    assert verified["outcome"] == "verified" and verified["verified_method"] == "selfie"
    (evidence,) = verified["evidence"]
    assert evidence["face_comparison"] == "software"
    assert evidence["check_methods"] == ["data", "bvr"]
    assert not query(
        selfie_server,
        "SELECT 1 FROM proofing_letters WHERE account_id = %(a)s",
        person.account_id,
    )
    with selfie_server.app.extensions["idp.db"].transaction() as conn:
        assert service.face_compared(conn, person.account_id)
        summary = service.verification_summary(conn, person.account_id)
    assert summary is not None
    assert summary["evidence"][0]["check_details"] == [
        {"check_method": "data"},
        {"check_method": "bvr"},
    ]


def test_replays_and_out_of_order_posts_are_refused_and_change_nothing(
    selfie_server: LiveServer, person: Person
) -> None:
    browser = signed_in(selfie_server, person)
    consent_page = choose_selfie(browser)
    document_page = agree(browser, consent_page)
    licence = unique_licence()
    moved = add_licence(browser, document_page, licence)
    assert moved.status_code == 302
    selfie_page = browser.follow(moved)
    before = progress(selfie_server, person.account_id)

    again = post_step(
        browser, consent_page, "consent", {"consent": "yes", "consent_version": CONSENT_VERSION}
    )
    assert again.status_code == 409 and SELFIE_HEADING in again.text
    replayed = add_licence(browser, document_page, licence)
    assert replayed.status_code == 409 and SELFIE_HEADING in replayed.text
    early = add_selfie(browser, document_page, camera_frames(PROMPT))
    assert early.status_code == 409 and SELFIE_HEADING in early.text
    assert progress(selfie_server, person.account_id) == before
    assert artefacts(selfie_server, person.account_id) == 1

    done = add_selfie(browser, selfie_page, camera_frames(PROMPT))
    assert done.headers["Location"] == "/verify/finish"
    after = progress(selfie_server, person.account_id)
    replay = add_selfie(browser, selfie_page, camera_frames(PROMPT))
    assert replay.status_code in (302, 409)
    assert progress(selfie_server, person.account_id) == after
    assert len(receipts(selfie_server, person.account_id)) == 1


FAILURES = [
    ({**uploaded_photos(PROMPT), "photo_1": b"%PDF-1.7 not a photo"}, "not a photo we can use"),
    (uploaded_photos(PROMPT, problem=FaceProblem.NO_FACE), "could not find a face"),
    (uploaded_photos(PROMPT, problem=FaceProblem.MANY_FACES), "more than one face"),
    (uploaded_photos(PROMPT, problem=FaceProblem.FACE_TOO_SMALL), "Your face is too small"),
    (uploaded_photos(PROMPT, problem=FaceProblem.FACE_BLURRY), "Your selfie is blurry"),
    (uploaded_photos(PROMPT, problem=FaceProblem.EYES_CLOSED), "Your eyes look closed"),
    (uploaded_photos(PROMPT, "somebody-else"), "does not match the photo on your ID"),
    (
        {
            name: fake_face_image(motion=PROMPT, frame=1)
            for name in ("photo_1", "photo_2", "photo_3")
        },
        "could not confirm that the camera saw you",
    ),
    ({"photo_1": fake_face_image(motion=PROMPT)}, "Add all three photos of your face"),
    (
        {f"frame_{n}": fake_face_image(frame=0) for n in range(1, 9)},
        "could not confirm that the camera saw you",
    ),
]


def test_each_failure_is_explained_and_offers_the_other_ways(
    selfie_server: LiveServer,
) -> None:
    for attempt, (images, words) in enumerate(FAILURES):
        if attempt % 4 == 0:
            person = make_person(selfie_server)
            browser, page = run_to_selfie(selfie_server, person, unique_licence())
        response = add_selfie(browser, page, images)
        assert response.status_code == 422, (words, response.text[:500])
        text = html.unescape(response.text)
        assert words in text, words
        assert SELFIE_HEADING in text
        assert 'name="method" value="document"' in response.text
        assert "Choose this way instead" in response.text


def test_selfie_attempts_are_limited_and_the_other_ways_stay_open(
    selfie_server: LiveServer, person: Person
) -> None:
    counted_before = counted(selfie_server)
    browser, page = run_to_selfie(selfie_server, person, unique_licence())
    impostor = uploaded_photos(PROMPT, "somebody-else")
    for _ in range(5):
        assert add_selfie(browser, page, impostor).status_code == 422
    limited = add_selfie(browser, page, camera_frames(PROMPT))
    assert limited.status_code == 422
    assert "tried too many times" in limited.text
    assert 'name="method" value="document"' in limited.text
    switched = browser.post_form(
        limited,
        "/verify/methods",
        {"method": "document", "proofing_version": field(limited, "proofing_version")},
    )
    assert switched.headers["Location"] == "/verify/step"
    assert DOCUMENT_HEADING in browser.follow(switched).text
    assert artefacts(selfie_server, person.account_id) == 0
    (receipt,) = receipts(selfie_server, person.account_id)
    assert receipt["reason"] == "ended"
    counted_after = counted(selfie_server)
    for key, more in (
        (("selfie", "failed", "no_match"), 5),
        (("selfie", "failed", "too_many_attempts"), 1),
        (("selfie", "switched", "document"), 1),
    ):
        assert counted_after[key] - counted_before.get(key, 0) == more, key


def test_deleting_my_biometric_data_mid_proofing(selfie_server: LiveServer, person: Person) -> None:
    key = ("selfie", "abandoned", "biometric_data_deleted")
    abandoned = counted(selfie_server).get(key, 0)
    browser, _ = run_to_selfie(selfie_server, person, unique_licence())
    account = browser.get("/account")
    assert "Delete my biometric data" in account.text
    assert "We hold 1 encrypted photo" in account.text

    deleted = browser.post_form(account, "/account/biometric-data/delete", {})
    assert deleted.status_code == 302 and deleted.headers["Location"].startswith("/account")
    assert artefacts(selfie_server, person.account_id) == 0
    now = progress(selfie_server, person.account_id)
    assert now is not None and now["method"] is None
    assert browser.get("/verify/step").headers["Location"] == "/verify/methods"
    assert counted(selfie_server)[key] == abandoned + 1

    page = browser.follow(deleted)
    assert "We deleted your biometric data" in page.text
    assert "We hold no photos" in page.text
    assert "You asked us to delete it" in page.text
    link = re.search(r'href="(/account/biometric-data/receipts/[0-9a-f-]+)"', page.text)
    assert link is not None
    download = browser.get(link.group(1))
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("application/jwt")
    assert "attachment" in download.headers["Content-Disposition"]
    claims = read_receipt(download.text, jwks(selfie_server))
    assert claims["reason"] == "request" and claims["sub"] == person.account_id
    assert claims["deleted"] == [{"kind": "document_photo", "count": 1}]

    stranger = signed_in(selfie_server, make_person(selfie_server))
    assert stranger.get(link.group(1)).status_code == 404
    assert stranger.get("/account/biometric-data/receipts/not-a-receipt").status_code == 404


def test_an_abandoned_attempt_is_deleted_after_fifteen_minutes(
    selfie_server: LiveServer, person: Person
) -> None:
    browser, page = run_to_selfie(selfie_server, person, unique_licence())
    app = selfie_server.app
    later = utc_now() + timedelta(seconds=RETENTION_SECONDS + 1)
    with app.app_context(), app.extensions["idp.db"].transaction() as conn:
        lifecycle.purge_expired(conn, service.receipt_signer(), later)
    assert artefacts(selfie_server, person.account_id) == 0
    (receipt,) = receipts(selfie_server, person.account_id)
    assert receipt["reason"] == "expired"

    response = add_selfie(browser, page, camera_frames(PROMPT))
    assert response.headers.get("Location") == "/verify/step"
    document = browser.follow(response)
    assert DOCUMENT_HEADING in document.text
    assert "We delete the photo of your ID 15 minutes after you add it" in html.unescape(
        document.text
    )
    moved = add_licence(browser, document, unique_licence())
    assert moved.status_code == 302 and SELFIE_HEADING in browser.follow(moved).text


def test_an_expired_selfie_proofing_is_cancelled_its_photo_deleted_and_counted(
    selfie_server: LiveServer, person: Person
) -> None:
    run_to_selfie(selfie_server, person, unique_licence())
    key = ("selfie", "abandoned", "expired")
    abandoned = counted(selfie_server).get(key, 0)
    app = selfie_server.app
    with app.app_context(), app.extensions["idp.db"].transaction() as conn:
        conn.execute(
            "UPDATE proofing_progress SET expires_at = now() - interval '1 second' "
            "WHERE account_id = %(a)s",
            {"a": person.account_id},
        )
        assert service.purge_expired(conn) >= 1
    assert progress(selfie_server, person.account_id) is None
    assert artefacts(selfie_server, person.account_id) == 0
    (receipt,) = receipts(selfie_server, person.account_id)
    assert receipt["reason"] == "ended"
    assert counted(selfie_server)[key] == abandoned + 1


@pytest.mark.parametrize(
    ("images", "reason"),
    [
        ({f"frame_{n}": bytes([n]) * 50 for n in range(1, 9)}, "not a photo we can use"),
        ({"frame_1": b"x" * (2 * 1024 * 1024 + 1)}, "Use a photo under 16 MB"),
        ({"photo_1": b""}, "Take a selfie with your camera, or upload three photos"),
    ],
    ids=["garbage-frames", "oversized-frame", "empty-photo"],
)
def test_bad_uploads_get_a_clear_page(
    selfie_server: LiveServer, person: Person, images: dict[str, bytes], reason: str
) -> None:
    browser, page = run_to_selfie(selfie_server, person, unique_licence())
    response = add_selfie(browser, page, images)
    assert response.status_code == 422, response.text[:500]
    assert reason in html.unescape(response.text)
    assert artefacts(selfie_server, person.account_id) == 1
