"""The demo agency site: a "Sign in" button, the callback, the claims, and sign-out."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from flask import Flask, redirect, render_template, request, session, url_for
from joserfc.jwk import RSAKey

AUTH_ONLY = "urn:acr.login.gov:auth-only"
VERIFIED = "urn:acr.login.gov:verified"
FACIAL_MATCH = "urn:acr.login.gov:verified-facial-match-required"
LEVELS = {"verified": VERIFIED, "facial-match": FACIAL_MATCH}
ASSERTION_LIFETIME = 60  # seconds; the provider accepts at most 300


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):  # type: ignore[misc]
    """Authlib's ``private_key_jwt``, with assertions that live a minute rather than
    Authlib's default hour."""

    def sign(self, auth: Any, token_endpoint: str) -> str:
        assertion: str = private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            claims=self.claims,
            header=self.headers,
            alg=self.alg,
            expires_in=ASSERTION_LIFETIME,
        )
        return assertion


def create_agency_app(
    issuer: str, client_id: str, private_key: RSAKey, base_url: str, name: str = "Demo Agency"
) -> Flask:
    app = Flask(__name__, template_folder="../templates")
    app.config.update(
        SECRET_KEY=secrets.token_urlsafe(32),
        SESSION_COOKIE_NAME="agency_session",
        AGENCY_NAME=name,
    )
    oauth = OAuth(app)
    token_endpoint = f"{issuer}/token"
    oauth.register(
        "idp",
        client_id=client_id,
        client_secret=private_key,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        token_endpoint_auth_method="private_key_jwt",  # noqa: S106 - a method name
        client_auth_methods=[ShortLivedPrivateKeyJWT(token_endpoint, alg="RS256")],
        client_kwargs={"scope": "openid email", "code_challenge_method": "S256"},
    )

    @app.get("/")
    def index() -> Any:
        return render_template(
            "demo/index.html", user=session.get("user"), error=request.args.get("error")
        )

    @app.post("/sign-in")
    def sign_in() -> Any:
        acr_values = LEVELS.get(request.form.get("level", ""), AUTH_ONLY)
        verified = acr_values != AUTH_ONLY
        return oauth.idp.authorize_redirect(
            f"{base_url}/callback",
            nonce=secrets.token_urlsafe(32),
            acr_values=acr_values,
            scope="openid email profile birthdate address" if verified else "openid email",
        )

    @app.get("/callback")
    def callback() -> Any:
        if "error" in request.args:
            description = request.args.get("error_description", "")
            return redirect(url_for("index", error=f"{request.args['error']}: {description}"))
        try:
            token = oauth.idp.authorize_access_token()
            userinfo = oauth.idp.userinfo(token=token)
        except OAuthError as exc:
            return redirect(url_for("index", error=f"{exc.error}: {exc.description}"))
        session["user"] = {"id_token": dict(token["userinfo"]), "userinfo": dict(userinfo)}
        session["id_token"] = token["id_token"]
        return redirect(url_for("index"))

    @app.post("/sign-out")
    def sign_out() -> Any:
        id_token = session.pop("id_token", None)
        session.clear()
        query = {"post_logout_redirect_uri": f"{base_url}/", "state": secrets.token_urlsafe(24)}
        if id_token:
            query["id_token_hint"] = id_token
        else:
            query["client_id"] = client_id
        return redirect(f"{issuer}/logout?{urlencode(query)}")

    return app
