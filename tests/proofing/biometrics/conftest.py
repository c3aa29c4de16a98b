"""The live server's signing keys for receipts, its published JWKS, and a clock."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from idp.proofing.biometrics.receipts import ReceiptSigner
from tests.conftest import LiveServer
from tests.proofing.selfie.conftest import Clock


@pytest.fixture
def signer(live_server: LiveServer) -> ReceiptSigner:
    return ReceiptSigner(live_server.app.extensions["idp.keys"], live_server.url)


@pytest.fixture
def jwks(live_server: LiveServer) -> dict[str, Any]:
    published: dict[str, Any] = requests.get(
        f"{live_server.url}/.well-known/jwks.json", timeout=5
    ).json()
    return published


@pytest.fixture
def clock() -> Clock:
    return Clock()
