"""What a person's browser and an agency's server do, for protocol tests over HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROOFING_VERSION = re.compile(r'name="proofing_version" value="(\d+)"')


@dataclass
class AgencyKey:
    key: RSAKey | ECKey
    alg: str

    @classmethod
    def generate(cls, alg: str = "RS256") -> AgencyKey:
        key: RSAKey | ECKey
        if alg == "RS256":
            key = RSAKey.generate_key(2048, private=True)
        else:
            key = ECKey.generate_key("P-256", private=True)
        key.ensure_kid()
        return cls(key, alg)

    def public_jwk(self) -> dict[str, Any]:
        return {**self.key.as_dict(private=False), "kid": self.key.kid, "alg": self.alg}

    def assertion(self, client_id: str, audience: str, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(16),
        }
        header = {"alg": self.alg, "kid": self.key.kid}
        header.update(overrides.pop("header", {}))
        claims.update(overrides)
        return jwt.encode(
            {k: v for k, v in header.items() if v is not None},
            {k: v for k, v in claims.items() if v is not None},
            self.key,
        )


def write_jwks(path: Path, keys: list[AgencyKey]) -> None:
    path.write_text(json.dumps({"keys": [k.public_jwk() for k in keys]}))


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(
    client_id: str, redirect_uri: str, challenge: str, /, **extra: str
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email",
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v != ""}


class Browser:
    """A person's browser, driven with requests: follows the provider's pages and stops
    at the first redirect that leaves the provider."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.http = requests.Session()

    def get(self, url: str, **params: Any) -> requests.Response:
        return self.http.get(
            urljoin(self.issuer, url), params=params, allow_redirects=False, timeout=10
        )

    def post_form(
        self, page: requests.Response, url: str, data: dict[str, str]
    ) -> requests.Response:
        match = CSRF.search(page.text)
        form = {"csrf_token": match.group(1)} if match else {}
        version = PROOFING_VERSION.search(page.text)
        if version:
            form["proofing_version"] = version.group(1)
        form.update(data)
        return self.http.post(
            urljoin(self.issuer, url), data=form, allow_redirects=False, timeout=10
        )

    def follow(self, response: requests.Response) -> requests.Response:
        while response.status_code in (301, 302, 303) and self._is_ours(response):
            response = self.http.get(
                urljoin(self.issuer, response.headers["Location"]),
                allow_redirects=False,
                timeout=10,
            )
        return response

    def _is_ours(self, response: requests.Response) -> bool:
        location = urljoin(self.issuer, response.headers["Location"])
        return location.startswith(self.issuer + "/")

    def sign_in(
        self, person: Any, page: requests.Response | None = None, steps_ahead: int = 0
    ) -> requests.Response:
        """From the sign-in page, enter the password and the current TOTP code."""
        page = page if page is not None else self.get("/sign-in")
        action = page.url if page.url.startswith(self.issuer) else self.issuer + "/sign-in"
        next_match = re.search(r'name="next" value="([^"]+)"', page.text)
        data = {"email": person.email, "password": person.password}
        if next_match:
            data["next"] = next_match.group(1).replace("&amp;", "&")
        response = self.post_form(page, urlsplit(action).path, data)
        assert response.status_code == 302, response.text[:500]
        code_page = self.follow(response)
        response = self.post_form(code_page, "/sign-in/code", {"code": person.code(steps_ahead)})
        assert response.status_code == 302, response.text[:500]
        return response

    def authorize(
        self, params: dict[str, str], person: Any, consent: bool = True, steps_ahead: int = 0
    ) -> requests.Response:
        """Run /authorize to the end: sign in if asked, consent if asked; return the
        response that leaves the provider (or the page it stopped on)."""
        response = self.follow(self.get("/authorize?" + urlencode(params)))
        return self.authorize_from_page(response, person, consent, steps_ahead)

    def authorize_from_page(
        self, response: requests.Response, person: Any, consent: bool = True, steps_ahead: int = 0
    ) -> requests.Response:
        """Continue an authorization from the page /authorize led to."""
        if response.status_code == 200 and 'action="/sign-in"' in response.text:
            response = self.follow(self.sign_in(person, response, steps_ahead))
        if response.status_code == 200 and 'name="decision"' in response.text:
            action = re.search(r'<form method="post" action="(/authorize[^"]*)"', response.text)
            assert action is not None
            response = self.post_form(
                response,
                action.group(1).replace("&amp;", "&"),
                {"decision": "allow" if consent else "deny"},
            )
        return response


def redirect_params(response: requests.Response) -> dict[str, str]:
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {k: v[0] for k, v in query.items()}


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie, dead but not yet reaped, is not alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
