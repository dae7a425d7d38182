// Calls to this product's public JSON API (same origin). The login's tokens live
// in sessionStorage: they end with the tab, and other sites' scripts cannot
// read them. An expired access token is renewed once with the refresh token.

const KEY = 'inbox.session';

export const session = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY));
    } catch {
      return null;
    }
  },
  set(value) {
    sessionStorage.setItem(KEY, JSON.stringify(value));
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

/** An answer that is not a success, in words: the problem's `detail`, the
 * login's `message`, or what happened on the way. */
export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.violations = (body && Array.isArray(body.violations) && body.violations) || [];
  }
}

function describe(status, body) {
  if (body && typeof body === 'object') {
    const text = body.detail || body.message || body.description || body.title;
    if (text) return String(text);
  }
  if (status === 0) return 'The server cannot be reached. Check your connection and try again.';
  if (status === 401) return 'Your session has ended: log in again.';
  if (status === 403) return 'Your role does not allow this.';
  if (status === 404) return 'Not found: it may have been removed.';
  return `The server answered with status ${status}.`;
}

/** The claims of a JWT (read, not verified: the API verifies it). */
export function claims(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export async function login(username, password) {
  const body = await call('POST', '/authentication/login_check', { username, password }, { auth: false });
  const c = claims(body.token);
  session.set({ token: body.token, refresh: body.refresh_token, username: c.username, roles: c.roles || [] });
}

export async function logout() {
  const s = session.get();
  session.clear();
  if (s && s.refresh) {
    await call('POST', '/api/token/invalidate', { refresh_token: s.refresh }, { auth: false }).catch(() => {});
  }
}

let refreshing = null;

function refresh() {
  const s = session.get();
  if (!s || !s.refresh) return Promise.reject(new ApiError(401, null));
  refreshing =
    refreshing ||
    call('POST', '/api/token/refresh', { refresh_token: s.refresh }, { auth: false })
      // A logout while this was under way wins: nothing is written back.
      .then((b) => session.get() && session.set({ ...s, token: b.token, refresh: b.refresh_token }))
      .finally(() => {
        refreshing = null;
      });
  return refreshing;
}

/** Whether the access token is about to expire: renewed before it does, so
 * no request is refused for it (a quarter of its life, at most 30 s, ahead). */
function expiring(token) {
  try {
    const { iat, exp } = claims(token);
    return Date.now() / 1000 > exp - Math.min(30, (exp - iat) / 4);
  } catch {
    return false;
  }
}

/** One API call: the parsed JSON answer, or an ApiError. */
export async function call(method, path, body, { auth = true, retry = true } = {}) {
  const headers = { Accept: 'application/ld+json, application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && session.get() && session.get().refresh && expiring(session.get().token)) {
    await refresh().catch(() => {}); // if it fails, the call's 401 says so
  }
  const s = session.get();
  if (auth && s) headers.Authorization = `Bearer ${s.token}`;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, null);
  }
  if (resp.status === 401 && auth && retry && s && s.refresh) {
    try {
      await refresh();
    } catch {
      session.clear();
      throw new ApiError(401, null);
    }
    return call(method, path, body, { auth, retry: false });
  }
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}
