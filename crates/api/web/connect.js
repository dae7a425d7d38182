// The connect page an account's `reconnectUrl` opens: the account, its state,
// and what the person must do next. Where this server signs the integration in
// itself (`signIn: "oauth"`), a button starts the sign-in at the provider, which
// sends the browser back here (`?signIn=connected`, or `failed&reason=…`).
// Otherwise the channel's connector (QR code, phone code) signs in and reports
// it to the API; this page polls the account and says "Connected" once it has.
//
// Credentials: a token in the fragment (`#token=…`, never sent to a server:
// the embedded widget opens the page so), else the dashboard's login.

import { ApiError, call, session } from './api.js';
import { h, logo, mount, reasonText, status } from './ui.js';
import { VOCABULARY } from './status.js';

const POLL_MS = 3000;
const [, , integration, id] = location.pathname.split('/');
const TOKEN_KEY = `inbox.connect.${id}`;
// How a sign-in at the provider ended, when it sent the browser back here.
const returned = new URLSearchParams(location.search);
const outcome = returned.get('signIn') && { result: returned.get('signIn'), reason: returned.get('reason') };
let hosted = null; // whether this server signs the integration in (read once)

const STEPS = {
  whatsapp: [
    'Open WhatsApp on your phone.',
    'Go to Settings → Linked devices → Link a device.',
    'Scan the QR code the WhatsApp connector shows you.',
  ],
  telegram: ['Enter your phone number in the Telegram connector’s sign-in.', 'Type the code Telegram sends you (and your password, if you set one).'],
};

function steps(name) {
  return (
    STEPS[integration] || [
      `Sign in with ${name} in the window the ${name} connector opens.`,
      'Allow access to your messages when asked.',
    ]
  );
}

/** The token handed over in the fragment (kept for reloads), if any. */
function handedOver() {
  const fragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fragment) {
    sessionStorage.setItem(TOKEN_KEY, fragment);
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** A call with the handed-over token, else with the dashboard's login
 * (renewed by its refresh token when it expires). */
async function request(method, path) {
  const token = handedOver();
  if (!token) return call(method, path);
  let resp;
  try {
    resp = await fetch(path, { method, headers: { Authorization: `Bearer ${token}`, Accept: 'application/ld+json' } });
  } catch {
    throw new ApiError(0, null);
  }
  const body = await resp.json().catch(() => null);
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

const account = () => request('GET', `/api/accounts/${id}`);

/** Starts the sign-in at the provider: the browser goes there, and comes back here. */
async function signIn(button) {
  button.disabled = true;
  try {
    const started = await request('POST', `/api/accounts/${id}/sign-in`);
    location.assign(started.authorizationUrl);
  } catch (err) {
    button.disabled = false;
    button.after(h('div', { class: 'alert', role: 'alert', text: err.message }));
  }
}

const NAMES = { whatsapp: 'WhatsApp', linkedin: 'LinkedIn', telegram: 'Telegram', instagram: 'Instagram', x: 'X', gmail: 'Gmail', outlook: 'Outlook' };

function show(a) {
  const name = NAMES[a.accountType] || a.accountType;
  const s = status(a);
  const state = {
    authorized: `${s.label}${a.username ? ` as ${a.username}` : ''}`,
    waiting: s.label,
    disconnected: `${s.label}: ${reasonText(a.disconnectReason || VOCABULARY.defaultReason)}`,
  }[s.key];
  const failed = outcome && outcome.result === 'failed' && !a.isAuthorized;
  const notice = failed
    ? h('div', { class: 'alert', role: 'alert', id: 'sign-in-outcome', text: `The sign-in did not finish: ${VOCABULARY.signInFailures[outcome.reason] || 'it ended early'}.` })
    : null;
  const viaConnector = [
    h('h2', { text: s.key === 'disconnected' ? 'To reconnect' : 'To finish' }),
    h('ol', {}, steps(name).map((t) => h('li', { text: t }))),
    h(
      'p',
      { class: 'muted' },
      `The sign-in happens with the ${name} connector, not on this page: Inbox Accounts never sees your password. `,
      'As soon as the connector reports the sign-in, this page says “Connected” by itself.',
    ),
  ];
  const here = [
    h('p', { text: `${name} asks you to sign in and to allow access to your messages; then it sends you back here.` }),
    h('button', { type: 'button', id: 'sign-in', onclick: (e) => signIn(e.currentTarget) }, `Sign in with ${name}`),
    h('p', { class: 'muted', text: `Your password goes to ${name} only, never to Inbox Accounts.` }),
  ];
  const body = a.isAuthorized
    ? [h('p', { text: `Your ${name} account is connected: its messages now reach your inbox. You can close this page.` })]
    : [notice, hosted ? here : viaConnector];
  document.title = `${state} · ${name} · Inbox Accounts`;
  mount(
    h(
      'div',
      { class: 'card' },
      h('h1', {}, logo(a.accountType, name), ` Connect your ${name} account`),
      h('p', { class: 'muted', text: a.username || `Account ${a.id}` }),
      h('p', { class: `state state-${s.key}`, role: 'status', 'aria-live': 'polite', id: 'state', 'data-state': s.key, text: state }),
      body,
    ),
  );
}

function problem(text) {
  mount(h('div', { class: 'card' }, h('h1', { text: 'Connect your account' }), h('div', { class: 'alert', role: 'alert', text }), h('p', {}, h('a', { href: '/dashboard', text: 'Go to the dashboard' }))));
}

async function poll() {
  if (!handedOver() && !session.get()) {
    return problem('Open this page from your dashboard, or from the inbox where you added the account.');
  }
  let a;
  try {
    a = await account();
    if (hosted === null) hosted = (await request('GET', `/api/integrations/${encodeURIComponent(a.accountType)}`)).signIn === 'oauth';
  } catch (err) {
    if (err.status === 401) return problem('Your session has ended. Open this page again from where you added the account.');
    if (err.status === 404 || err.status === 403) return problem('This account does not exist, or it is not yours.');
    setTimeout(poll, POLL_MS); // unreachable or busy: try again
    return;
  }
  show(a);
  // A sign-in held here waits for the person's click, not for a connector.
  if (!a.isAuthorized && !hosted) setTimeout(poll, POLL_MS);
}

poll();
