// panva's oidc-provider as a peer for benchmarks/peer_token_endpoint.py.
//
// One client (private_key_jwt with RS256, its public JWKS given by the driver), PKCE
// required, RS256 ID tokens, the authorization code flow. State lives in memory: the
// library's own MemoryAdapter, over an unbounded store (the library's default store is
// an LRU of 1,000 entries, which would evict pre-minted codes). The interaction signs
// in one fixed account and grants the requested scopes and claims, so a cookie jar
// that follows redirects gets codes.
//
// Environment: PEER_PORT (required), PEER_CLIENT_ID, PEER_REDIRECT_URI,
// PEER_CLIENT_JWKS (JSON text of the client's public JWKS, required).
// Listens on 127.0.0.1 only. Prints "listening <issuer>" when ready.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const port = Number(process.env.PEER_PORT);
if (!port) throw new Error('PEER_PORT is required');
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.PEER_CLIENT_ID ?? 'urn:gov:benchmark:agency';
const redirectUri = process.env.PEER_REDIRECT_URI ?? 'https://agency.example.gov/callback';
const clientJwks = JSON.parse(process.env.PEER_CLIENT_JWKS);
const ACCOUNT_ID = 'benchmark-account';

// An unbounded map with the expiry semantics MemoryAdapter expects of its store.
class ExpiringStore {
  #entries = new Map();

  get(key) {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiry !== undefined && entry.expiry <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key, value, { maxAge } = {}) {
    const expiry = typeof maxAge === 'number' && Number.isFinite(maxAge)
      ? Date.now() + maxAge
      : undefined;
    this.#entries.set(key, { value, expiry });
    return this;
  }

  delete(key) {
    return this.#entries.delete(key);
  }
}

// Expired entries are dropped when read; a benchmark run is too short to need a sweep.
const store = new ExpiringStore();

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: randomUUID(),
  alg: 'RS256',
  use: 'sig',
};

const provider = new Provider(issuer, {
  adapter: (name) => new MemoryAdapter(name, store),
  clients: [
    {
      client_id: clientId,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      id_token_signed_response_alg: 'RS256',
      jwks: clientJwks,
    },
  ],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // Put the scope's claims in the ID token, as our provider does.
  conformIdTokenClaims: false,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  ttl: { AuthorizationCode: 600 },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: 'minter@example.gov', email_verified: true };
      },
    };
  },
});

// A minimal interaction: sign in the fixed account, then grant what is asked for.
provider.use(async (ctx, next) => {
  if (ctx.method !== 'GET' || !ctx.path.startsWith('/interaction/')) {
    await next();
    return;
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  let result;
  if (prompt.name === 'login') {
    result = { login: { accountId: ACCOUNT_ID } };
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    ctx.throw(400, `unexpected prompt ${prompt.name}`);
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: true,
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
