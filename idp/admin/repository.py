"""SQL for agencies (table ``organizations``), their apps (table ``agencies``: the OIDC
clients) and which agencies each agency administrator manages (``agency_admins``).
Functions take a connection first and never commit."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from idp.db import Connection


def get_organization(conn: Connection, slug: str) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM organizations WHERE slug = %(s)s", {"s": slug}).fetchone()


def list_organizations(conn: Connection, slugs: list[str] | None = None) -> list[dict[str, Any]]:
    """Every agency, or those named in ``slugs``, by name, each with its app count."""
    return conn.execute(
        """
        SELECT o.*, (SELECT count(*) FROM agencies a WHERE a.organization = o.slug) AS apps
        FROM organizations o
        WHERE %(slugs)s::text[] IS NULL OR o.slug = ANY(%(slugs)s)
        ORDER BY o.name, o.slug
        """,
        {"slugs": slugs},
    ).fetchall()


def upsert_organization(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(
        """
        INSERT INTO organizations (slug, name, logo_uri, help_text, contacts)
        VALUES (%(slug)s, %(name)s, %(logo_uri)s, %(help_text)s, %(contacts)s)
        ON CONFLICT (slug) DO UPDATE SET
            name = excluded.name, logo_uri = excluded.logo_uri,
            help_text = excluded.help_text, contacts = excluded.contacts, updated_at = now()
        """,
        {**values, "contacts": Jsonb(values["contacts"])},
    )


def get_app(conn: Connection, client_id: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT * FROM agencies WHERE client_id = %(c)s", {"c": client_id}
    ).fetchone()


def list_apps(conn: Connection, organizations: list[str] | None = None) -> list[dict[str, Any]]:
    """Every app, or the apps of the agencies named in ``organizations``, by name."""
    return conn.execute(
        """
        SELECT * FROM agencies
        WHERE %(orgs)s::text[] IS NULL OR organization = ANY(%(orgs)s)
        ORDER BY name, client_id
        """,
        {"orgs": organizations},
    ).fetchall()


def upsert_app(conn: Connection, values: dict[str, Any]) -> None:
    """Insert an app, or replace every setting of the one with its client id."""
    conn.execute(
        """
        INSERT INTO agencies (client_id, name, organization, redirect_uris,
            post_logout_redirect_uris, token_endpoint_auth_method, jwks, jwks_uri,
            id_token_signed_response_alg, default_ial, max_ial, allowed_scopes, default_aal,
            failure_uri, backchannel_logout_uri, active)
        VALUES (%(client_id)s, %(name)s, %(organization)s, %(redirect_uris)s,
            %(post_logout_redirect_uris)s, %(token_endpoint_auth_method)s, %(jwks)s,
            %(jwks_uri)s, %(id_token_signed_response_alg)s, %(default_ial)s, %(max_ial)s,
            %(allowed_scopes)s, %(default_aal)s, %(failure_uri)s, %(backchannel_logout_uri)s,
            %(active)s)
        ON CONFLICT (client_id) DO UPDATE SET
            name = excluded.name, organization = excluded.organization,
            redirect_uris = excluded.redirect_uris,
            post_logout_redirect_uris = excluded.post_logout_redirect_uris,
            token_endpoint_auth_method = excluded.token_endpoint_auth_method,
            jwks = excluded.jwks, jwks_uri = excluded.jwks_uri,
            id_token_signed_response_alg = excluded.id_token_signed_response_alg,
            default_ial = excluded.default_ial, max_ial = excluded.max_ial,
            allowed_scopes = excluded.allowed_scopes, default_aal = excluded.default_aal,
            failure_uri = excluded.failure_uri,
            backchannel_logout_uri = excluded.backchannel_logout_uri,
            active = excluded.active, updated_at = now()
        """,
        {**values, "jwks": Jsonb(values["jwks"]) if values["jwks"] is not None else None},
    )


def agencies_of_admin(conn: Connection, account_id: str) -> list[str]:
    """The agencies (slugs) an agency administrator manages."""
    rows = conn.execute(
        "SELECT organization FROM agency_admins WHERE account_id = %(a)s ORDER BY organization",
        {"a": account_id},
    ).fetchall()
    return [str(row["organization"]) for row in rows]


def add_agency_admin(conn: Connection, account_id: str, slug: str, granted_by: str) -> bool:
    cursor = conn.execute(
        """
        INSERT INTO agency_admins (account_id, organization, granted_by)
        VALUES (%(a)s, %(o)s, %(by)s) ON CONFLICT DO NOTHING
        """,
        {"a": account_id, "o": slug, "by": granted_by},
    )
    return cursor.rowcount == 1


def remove_agency_admin(conn: Connection, account_id: str, slug: str) -> bool:
    cursor = conn.execute(
        "DELETE FROM agency_admins WHERE account_id = %(a)s AND organization = %(o)s",
        {"a": account_id, "o": slug},
    )
    return cursor.rowcount == 1


def list_agency_admins(conn: Connection, slug: str) -> list[dict[str, Any]]:
    """The administrators of an agency: ``account_id`` and ``email``."""
    return conn.execute(
        """
        SELECT a.id AS account_id, a.email FROM agency_admins s
        JOIN accounts a ON a.id = s.account_id
        WHERE s.organization = %(o)s ORDER BY lower(a.email)
        """,
        {"o": slug},
    ).fetchall()
