// The connect page an account's `reconnectUrl` opens: the account, its state,
// and what the person must do next. The sign-in itself happens with the
// channel's connector (QR code, OAuth), which reports it to the API; this page
// polls the account and says "Connected" once it has.
//
// Credentials: a token in the fragment (`#token=…`, never sent to a server:
// the embedded widget opens the page so), else the dashboard's login.

import { ApiError, call, session } from './api.js';
import { h, logo, mount, reasonText, status } from './ui.js';
import { VOCABULARY } from './status.js';

const POLL_MS = 3000;
const [, , integration, id] = location.pathname.split('/');
const TOKEN_KEY = `inbox.connect.${id}`;

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

/** The account: with the handed-over token, else with the dashboard's login
 * (renewed by its refresh token when it expires). */
async function account() {
  const token = handedOver();
  if (!token) return call('GET', `/api/accounts/${id}`);
  let resp;
  try {
    resp = await fetch(`/api/accounts/${id}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/ld+json' } });
  } catch {
    throw new ApiError(0, null);
  }
  const body = await resp.json().catch(() => null);
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
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
  const body = a.isAuthorized
    ? [h('p', { text: `Your ${name} account is connected: its messages now reach your inbox. You can close this page.` })]
    : [
        h('h2', { text: s.key === 'disconnected' ? 'To reconnect' : 'To finish' }),
        h('ol', {}, steps(name).map((t) => h('li', { text: t }))),
        h(
          'p',
          { class: 'muted' },
          `The sign-in happens with the ${name} connector, not on this page: Inbox Accounts never sees your password. `,
          'As soon as the connector reports the sign-in, this page says “Connected” by itself.',
        ),
      ];
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
  } catch (err) {
    if (err.status === 401) return problem('Your session has ended. Open this page again from where you added the account.');
    if (err.status === 404 || err.status === 403) return problem('This account does not exist, or it is not yours.');
    setTimeout(poll, POLL_MS); // unreachable or busy: try again
    return;
  }
  show(a);
  if (!a.isAuthorized) setTimeout(poll, POLL_MS);
}

poll();
