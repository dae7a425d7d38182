// A real OpenID provider for the tests: panva's oidc-provider with one static
// client, PKCE required, refresh-token rotation, revocation and introspection.
// Its interaction route approves without a person (or declines, for the
// login_hint `deny@example.test`). As at Google, offline_access (a refresh
// token) is granted only with prompt=consent: oidc-provider's own rule.
//
// Prints `listening on http://127.0.0.1:PORT` once it answers.
// Environment: OIDC_MODULES (its node_modules), PORT (default: any free one),
// ACCESS_TOKEN_TTL (seconds, default 3600).
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.env.OIDC_MODULES;
const { default: Provider } = await import(pathToFileURL(join(modules, 'oidc-provider/lib/index.js')).href);

export const CLIENT_ID = 'inbox-accounts';
export const CLIENT_SECRET = 'inbox-accounts-test-secret';
const DENY = 'deny@example.test';

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const accessTtl = Number(process.env.ACCESS_TOKEN_TTL || 3600);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      // Native: a loopback redirect URI matches on any port (RFC 8252 §7.3),
      // so the tests' servers on free ports all sign in.
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/oauth/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [{ ...key, kid: 'test-key', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: ['oidc-test-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: sub, email_verified: true, name: `Test ${sub.split('@')[0]}`, picture: 'https://example.test/avatar.png' };
      },
    };
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
  },
  rotateRefreshToken: true,
  ttl: { AccessToken: accessTtl, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 86400, RefreshToken: 86400 },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.proxy = false;

// The grants people gave, by person: `POST /test/revoke/{person}` withdraws
// them, as a person does in their account's security settings.
const grants = new Map();
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/test\/revoke\/([^/]+)$/);
  if (!m || ctx.method !== 'POST') return next();
  const person = decodeURIComponent(m[1]);
  for (const id of grants.get(person) || []) {
    const grant = await provider.Grant.find(id);
    if (grant) await grant.destroy();
  }
  grants.delete(person);
  ctx.status = 204;
});

// An outage of the token endpoint: `POST /test/outage/{n}` makes its next n
// requests answer 503, as a provider's bad minute does.
let outage = 0;
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/test\/outage\/(\d+)$/);
  if (m && ctx.method === 'POST') {
    outage = Number(m[1]);
    ctx.status = 204;
    return;
  }
  if (ctx.path === '/token' && outage > 0) {
    outage -= 1;
    ctx.status = 503;
    ctx.body = { error: 'temporarily_unavailable' };
    return;
  }
  return next();
});

// The person at the provider: signs in as the login_hint (or a default user)
// and grants every scope asked for, or declines.
provider.use(async (ctx, next) => {
  if (!/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const hint = details.params.login_hint || 'person@example.test';
  if (hint === DENY) {
    const result = { error: 'access_denied', error_description: 'The person declined.' };
    return provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: hint, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  grants.set(hint, [...(grants.get(hint) || []), grantId]);
  const result = { login: { accountId: hint }, consent: { grantId } };
  return provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

server.on('request', provider.callback());
console.log(`listening on ${issuer}`);
