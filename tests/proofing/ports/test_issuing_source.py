"""The real record-check adapters against a small JSON server on 127.0.0.1, and the fakes."""

from __future__ import annotations

import time
from datetime import date

import pytest

from idp.proofing.ports.death_records import (
    DeathVerdict,
    FakeDeathRecords,
    HttpsDeathRecords,
    PersonQuery,
)
from idp.proofing.ports.issuing_source import (
    DocumentQuery,
    FakeIssuingSource,
    HttpsIssuingSource,
    SourceVerdict,
)
from idp.proofing.ports.json_http import ServiceConfig
from tests.proofing.ports.conftest import Answer, RecordsServer

QUERY = DocumentQuery(
    document_type="driving_permit",
    document_number="D1234567",
    issuer="CA",
    expiry_date=date(2030, 1, 31),
    family_name="SAMPLE",
    given_name="MICHAEL",
    birthdate=date(1961, 8, 4),
)


def test_sends_the_documented_request(records_server: RecordsServer) -> None:
    records_server.answer = lambda body: (
        200,
        {"request_id": body["request_id"], "result": "match", "reference": "DMV-42"},
        0,
    )
    result = HttpsIssuingSource(records_server.config()).check(QUERY)
    assert result.verdict is SourceVerdict.CONFIRMED and result.reference == "DMV-42"
    headers, body = records_server.received[0]
    assert headers["Authorization"] == "Bearer s3cret-token"
    assert body["document"] == {
        "type": "driving_permit",
        "number": "D1234567",
        "issuer": "CA",
        "expiry_date": "2030-01-31",
    }
    assert body["person"] == {
        "family_name": "SAMPLE",
        "given_name": "MICHAEL",
        "birthdate": "1961-08-04",
    }
    assert len(body["request_id"]) == 36


@pytest.mark.parametrize(
    ("answer", "verdict", "detail"),
    [
        (lambda b: (200, {"request_id": b["request_id"], "result": "no_match"}, 0), "mismatch", ""),
        (lambda b: (200, {"request_id": b["request_id"], "result": "not_found"}, 0), "not_found",
         ""),
        (lambda b: (200, {"request_id": b["request_id"], "result": "maybe"}, 0), "unavailable",
         "unknown result"),
        (lambda b: (200, {"request_id": "someone-else", "result": "match"}, 0), "unavailable",
         "answer does not match the request"),
        (lambda b: (200, b"<html>not json</html>", 0), "unavailable", "answer is not JSON"),
        (lambda b: (200, ["match"], 0), "unavailable", "answer does not match the request"),
        (lambda b: (500, {"error": "SAMPLE MICHAEL not processed"}, 0), "unavailable", "HTTP 500"),
        (lambda b: (302, {}, 0), "unavailable", "HTTP 302"),
        (lambda b: (200, {"request_id": b["request_id"], "result": "match"}, 1.5), "unavailable",
         "timeout"),
    ],
    ids=["no match", "not found", "unknown result", "wrong request id", "not json", "not an object",
         "server error", "redirect", "slow"],
)  # fmt: skip
def test_answers_that_are_not_a_confirmation(
    records_server: RecordsServer, answer: Answer, verdict: str, detail: str
) -> None:
    records_server.answer = answer
    started = time.monotonic()
    result = HttpsIssuingSource(records_server.config(read_timeout=0.5)).check(QUERY)
    assert result.verdict == verdict and result.detail == detail
    assert "SAMPLE" not in result.detail
    assert time.monotonic() - started < 1.4


def test_no_server_is_unavailable() -> None:
    config = ServiceConfig("http://127.0.0.1:9/none", connect_timeout=0.5, read_timeout=0.5)
    result = HttpsIssuingSource(config).check(QUERY)
    assert result.verdict is SourceVerdict.UNAVAILABLE and result.detail == "connection failed"


def test_token_is_not_in_repr() -> None:
    assert "s3cret" not in repr(ServiceConfig("https://x.example.gov", "s3cret"))


@pytest.mark.parametrize(
    ("number", "verdict"),
    [("D1234567", "confirmed"), ("F00000404", "not_found"), ("F00000409", "mismatch"),
     ("F00000408", "unavailable"), ("F00000500", "unavailable")],
)  # fmt: skip
def test_fake_issuing_source_magic_numbers(number: str, verdict: str) -> None:
    query = DocumentQuery(**{**QUERY.__dict__, "document_number": number})
    assert FakeIssuingSource().check(query).verdict == verdict


PERSON = PersonQuery("SAMPLE", "MICHAEL", date(1961, 8, 4), "CA")


def test_death_records_adapter(records_server: RecordsServer) -> None:
    records_server.answer = lambda body: (
        200,
        {"request_id": body["request_id"], "result": "deceased", "reference": "R1"},
        0,
    )
    result = HttpsDeathRecords(records_server.config()).check(PERSON)
    assert result.verdict is DeathVerdict.DECEASED and result.reference == "R1"
    assert records_server.received[0][1]["person"]["state"] == "CA"
    records_server.answer = lambda body: (
        200,
        {"request_id": body["request_id"], "result": "no_record"},
        0,
    )
    assert (
        HttpsDeathRecords(records_server.config()).check(PERSON).verdict is DeathVerdict.NO_RECORD
    )
    records_server.answer = lambda body: (503, {}, 0)
    assert (
        HttpsDeathRecords(records_server.config()).check(PERSON).verdict is DeathVerdict.UNAVAILABLE
    )


@pytest.mark.parametrize(
    ("family_name", "verdict"),
    [("SAMPLE", "no_record"), ("Decedent", "deceased"), ("UNREACHABLE", "unavailable")],
)
def test_fake_death_records(family_name: str, verdict: str) -> None:
    person = PersonQuery(family_name, "A", date(1990, 1, 1), "CA")
    assert FakeDeathRecords().check(person).verdict == verdict
