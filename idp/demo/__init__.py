"""A small agency website that signs people in through the provider, for demos and
browser tests. It uses Authlib's Flask client with ``private_key_jwt`` and PKCE, as an
agency's own site would."""
