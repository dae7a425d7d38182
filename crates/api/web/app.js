// The dashboard: log in, then the Accounts tab and Settings (API keys, users,
// webhooks). Views are chosen by the URL's fragment, so links and the back
// button work; every view only calls the public JSON API.

import { ApiError, login, logout, session } from './api.js';
import { accountPage, accountsPage, addAccountPage } from './accounts.js';
import { apiKeysPage, usersPage, webhookPage, webhooksPage } from './settings.js';
import { field, h, mount, showError } from './ui.js';

const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const VIEWS = [
  [new RegExp('^#/accounts/new$'), addAccountPage],
  [new RegExp(`^#/accounts/${UUID}$`), accountPage],
  [new RegExp('^#/accounts(?:\\?(.*))?$'), accountsPage],
  [new RegExp('^#/settings/api-keys$'), apiKeysPage],
  [new RegExp('^#/settings/users$'), usersPage],
  [new RegExp('^#/settings/webhooks$'), webhooksPage],
  [new RegExp(`^#/settings/webhooks/${UUID}$`), webhookPage],
];

let renders = 0;

async function render() {
  const s = session.get();
  if (!s) return loginPage();
  showHeader(s);
  const hash = location.hash || '#/accounts';
  for (const [pattern, view] of VIEWS) {
    const m = hash.match(pattern);
    if (!m) continue;
    document.querySelectorAll('[data-nav]').forEach((a) => {
      a.classList.toggle('current', hash.startsWith(`#/${a.dataset.nav}`));
    });
    const seq = ++renders;
    try {
      await view(...m.slice(1));
    } catch (err) {
      if (seq === renders) failed(err);
    }
    return;
  }
  location.hash = '#/accounts';
}

function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    session.clear();
    return loginPage('Your session has ended: log in again.');
  }
  mount(h('div', { class: 'alert', role: 'alert', text: err.message || String(err) }));
}

function showHeader(s) {
  document.getElementById('top').hidden = false;
  document.getElementById('who').textContent = s.username || '';
  const owner = (s.roles || []).includes('ROLE_OWNER');
  document.querySelector('[data-nav="settings"]').hidden = !owner;
}

function loginPage(message) {
  document.getElementById('top').hidden = true;
  document.title = 'Log in · Inbox Accounts';
  const username = h('input', { type: 'text', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', text: 'Log in' });
  const form = h(
    'form',
    { class: 'card login', novalidate: true },
    h('h1', { text: 'Inbox Accounts' }),
    h('p', { class: 'muted', text: 'Log in to manage your connected accounts.' }),
    message ? h('div', { class: 'alert', role: 'alert', text: message }) : null,
    field('Username', username, 'username'),
    field('Password', password, 'password'),
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      await login(username.value.trim(), password.value);
      // A new fragment renders through `hashchange`; the same one needs a call.
      if (!location.hash.startsWith('#/')) location.hash = '#/accounts';
      else await render();
    } catch (err) {
      showError(form, err);
    } finally {
      submit.disabled = false;
    }
  });
  mount(form);
  username.focus();
}

document.getElementById('logout').addEventListener('click', async () => {
  await logout();
  history.replaceState(null, '', location.pathname);
  loginPage('You are logged out.');
});
window.addEventListener('hashchange', async () => {
  await render();
  // A new view: keyboard and screen-reader users start at its content.
  document.getElementById('main').focus({ preventScroll: true });
});
render();
