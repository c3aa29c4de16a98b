"""The real address-source adapter against a small JSON server on 127.0.0.1, and the fake."""

from __future__ import annotations

import dataclasses
import time
from datetime import date

import pytest

from idp.proofing.ports.address_source import (
    AddressQuery,
    AddressResult,
    AddressVerdict,
    FakeAddressSource,
    HttpsAddressSource,
)
from idp.proofing.protocol import PostalAddress
from tests.proofing.ports.conftest import TOKEN, Answer, RecordsServer

ADDRESS = PostalAddress(
    street_lines=("2345 ANYWHERE STREET", "APT 4"),
    city="YOUR CITY",
    state="CA",
    postal_code="95818",
)
QUERY = AddressQuery(
    family_name="SAMPLE",
    given_name="MICHAEL",
    middle_name="JOHN",
    birthdate=date(1961, 8, 4),
    address=ADDRESS,
)


def _answer(result: str, reference: str | None = None, delay: float = 0) -> Answer:
    return lambda body: (
        200,
        {"request_id": body["request_id"], "result": result, "reference": reference},
        delay,
    )


def test_sends_the_documented_request(records_server: RecordsServer) -> None:
    records_server.answer = _answer("confirmed", "ADDR-42")
    result = HttpsAddressSource(records_server.config()).confirm(QUERY)
    assert result.verdict is AddressVerdict.CONFIRMED and result.reference == "ADDR-42"
    headers, body = records_server.received[0]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert body["person"] == {
        "family_name": "SAMPLE",
        "given_name": "MICHAEL",
        "middle_name": "JOHN",
        "birthdate": "1961-08-04",
    }
    assert body["address"] == {
        "street_lines": ["2345 ANYWHERE STREET", "APT 4"],
        "city": "YOUR CITY",
        "state": "CA",
        "postal_code": "95818",
        "country": "US",
    }
    assert len(body["request_id"]) == 36


def test_an_unknown_middle_name_is_sent_as_null(records_server: RecordsServer) -> None:
    records_server.answer = _answer("confirmed")
    query = dataclasses.replace(QUERY, middle_name=None)
    assert HttpsAddressSource(records_server.config()).confirm(query).reference is None
    assert records_server.received[0][1]["person"]["middle_name"] is None


@pytest.mark.parametrize(
    ("answer", "verdict", "reference", "detail"),
    [
        (_answer("confirmed", "A-1"), "confirmed", "A-1", ""),
        (_answer("not_confirmed", "A-2"), "not_confirmed", "A-2", ""),
        (_answer("confirmed", delay=1.5), "unavailable", None, "timeout"),
        (lambda b: (500, {"error": "SAMPLE MICHAEL not processed"}, 0), "unavailable", None,
         "HTTP 500"),
        (lambda b: (200, b"<html>SAMPLE</html>", 0), "unavailable", None, "answer is not JSON"),
        (lambda b: (200, {"request_id": "someone-else", "result": "confirmed"}, 0), "unavailable",
         None, "answer does not match the request"),
        (_answer("match"), "unavailable", None, "unknown result"),
        (_answer("CONFIRMED"), "unavailable", None, "unknown result"),
    ],
    ids=["confirmed", "not confirmed", "slow", "server error", "not json", "wrong request id",
         "unknown result", "result in capitals"],
)  # fmt: skip
def test_answers(
    records_server: RecordsServer, answer: Answer, verdict: str, reference: str | None, detail: str
) -> None:
    records_server.answer = answer
    started = time.monotonic()
    result = HttpsAddressSource(records_server.config(read_timeout=0.5)).confirm(QUERY)
    assert (result.verdict, result.reference, result.detail) == (verdict, reference, detail)
    assert "SAMPLE" not in result.detail
    assert time.monotonic() - started < 1.4


def test_no_server_is_unavailable() -> None:
    config = dataclasses.replace(
        RecordsServer(url="http://127.0.0.1:9/none").config(), connect_timeout=0.5
    )
    result = HttpsAddressSource(config).confirm(QUERY)
    assert result.verdict is AddressVerdict.UNAVAILABLE and result.detail == "connection failed"


def test_token_is_not_in_repr(records_server: RecordsServer) -> None:
    source = HttpsAddressSource(records_server.config())
    assert TOKEN not in repr(source) and TOKEN not in repr(source.config)


@pytest.mark.parametrize(
    ("street_lines", "postal_code", "verdict"),
    [
        (("2345 ANYWHERE STREET",), "95818", "confirmed"),
        (("2345 ANYWHERE STREET",), "00000", "not_confirmed"),
        (("2345 ANYWHERE STREET",), "99999", "unavailable"),
        (("1 UNCONFIRMED ROAD",), "95818", "not_confirmed"),
        (("2345 ANYWHERE STREET", "c/o unconfirmed"), "95818", "not_confirmed"),
        (("1 UNCONFIRMED ROAD",), "99999", "unavailable"),
    ],
)
def test_fake_address_source_magic_values(
    street_lines: tuple[str, ...], postal_code: str, verdict: str
) -> None:
    address = PostalAddress(street_lines, "YOUR CITY", "CA", postal_code)
    query = dataclasses.replace(QUERY, address=address)
    assert FakeAddressSource().confirm(query).verdict == verdict


def test_fake_address_source_records_queries_and_numbers_references() -> None:
    source = FakeAddressSource()
    other = dataclasses.replace(QUERY, family_name="OTHER")
    results = [source.confirm(QUERY), source.confirm(other)]
    assert [r.reference for r in results] == ["fake-address-1", "fake-address-2"]
    assert source.queries == [QUERY, other]


def test_fake_address_source_timeout_waits_for_the_delay() -> None:
    address = dataclasses.replace(ADDRESS, postal_code=FakeAddressSource.TIMEOUT_POSTAL_CODE)
    started = time.monotonic()
    result = FakeAddressSource(delay=0.2).confirm(dataclasses.replace(QUERY, address=address))
    assert result == AddressResult(AddressVerdict.UNAVAILABLE, detail="timeout")
    assert time.monotonic() - started >= 0.2
