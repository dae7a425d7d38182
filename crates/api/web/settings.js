// Settings: API keys (the host application's server-to-server tokens), users
// and webhooks. Owners only; a secret is shown once, when it is created.

import { call } from './api.js';
import { clearError, confirmDialog, date, field, h, mount, showError, toast } from './ui.js';

const TABS = [
  ['api-keys', 'API Keys'],
  ['users', 'Users'],
  ['webhooks', 'Webhooks'],
];

function tabs(current) {
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Settings' },
    TABS.map(([id, label]) => h('a', { href: `#/settings/${id}`, text: label, class: id === current ? 'current' : '', 'aria-current': id === current ? 'page' : null })),
  );
}

/** A secret, once: with a copy button and a warning that it will not be shown again. */
function secretPanel(title, secret, note) {
  const output = h('input', { type: 'text', readOnly: true, value: secret, class: 'secret', 'aria-label': title });
  const copy = h('button', {
    type: 'button',
    class: 'secondary',
    text: 'Copy',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(secret);
        toast('Copied.');
      } catch {
        output.select();
        toast('Press Ctrl+C (⌘C) to copy.');
      }
    },
  });
  return h('div', { class: 'secret-panel', role: 'status' }, h('h3', { text: title }), h('div', { class: 'secret-row' }, output, copy), h('p', { class: 'warning', text: note }));
}

/** A form whose submit runs `action`; errors show in it. */
function form(title, fields, label, action) {
  const submit = h('button', { type: 'submit', text: label });
  const f = h('form', { class: 'card', novalidate: true }, h('h2', { text: title }), fields, submit);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(f);
    submit.disabled = true;
    try {
      await action();
    } catch (err) {
      showError(f, err);
    } finally {
      submit.disabled = false;
    }
  });
  return f;
}

function table(caption, headings, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty', text: empty });
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden', text: caption }),
      h('thead', {}, h('tr', {}, headings.map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) => h('td', { 'data-label': headings[i] }, c))))),
    ),
  );
}

/** Removes something after asking, then shows the view again. */
function removeButton(label, question, path, done, again) {
  return h('button', {
    type: 'button',
    class: 'danger small',
    text: label,
    onclick: async () => {
      if (!(await confirmDialog(question, label))) return;
      try {
        await call('DELETE', path);
        toast(done);
        await again();
      } catch (err) {
        toast(err.message);
      }
    },
  });
}

/** All members of a collection, following its pages. */
async function all(path) {
  let body = await call('GET', path);
  const members = [...(body.member || [])];
  for (let n = 0; body.view && body.view.next && n < 50; n++) {
    body = await call('GET', body.view.next);
    members.push(...(body.member || []));
  }
  return members;
}

export async function apiKeysPage(created) {
  document.title = 'API Keys · Inbox Accounts';
  const tokens = await all('/api/tokens');
  const name = h('input', { type: 'text', maxLength: 100, required: true, placeholder: 'e.g. CRM sync' });
  const create = form('Generate a new key', [field('Name', name, 'name')], 'Generate key', async () => {
    const token = await call('POST', '/api/tokens', { name: name.value });
    await apiKeysPage(token);
  });
  const rows = tokens.map((t) => [
    t.name,
    h('code', { text: `${t.hint}…` }),
    date(t.createdAt),
    t.revokedAt ? `Revoked ${date(t.revokedAt)}` : t.lastUsedAt ? `Last used ${date(t.lastUsedAt)}` : 'Never used',
    t.revokedAt ? '' : removeButton('Revoke', `Revoke “${t.name}”? Requests with it are refused at once.`, `/api/tokens/${t.id}`, 'Key revoked.', () => apiKeysPage()),
  ]);
  mount(
    h(
      'section',
      {},
      h('h1', { text: 'Settings' }),
      tabs('api-keys'),
      h('p', { class: 'muted', text: 'Keys let your application’s server call the API (account links, customer sessions). Keep them secret.' }),
      created && created.token ? secretPanel(`Your new key “${created.name}”`, created.token, 'Copy it now: it is shown only this once. Only a hash of it is kept.') : null,
      create,
      table('API keys', ['Name', 'Key', 'Created', 'Use', ''], rows, 'No API keys yet.'),
    ),
  );
}

const ROLES = [
  ['ROLE_OWNER', 'Owner: everything'],
  ['ROLE_AUDITOR', 'Auditor: read accounts and their history'],
  ['ROLE_CONNECTOR', 'Connector: reports sign-ins (a service)'],
  ['ROLE_CUSTOMER', 'Customer: only the accounts it adds'],
];

export async function usersPage() {
  document.title = 'Users · Inbox Accounts';
  const users = await all('/api/users');
  const username = h('input', { type: 'email', autocomplete: 'off', required: true });
  const password = h('input', { type: 'password', autocomplete: 'new-password', required: true });
  const role = h('select', {}, ROLES.map(([value, text]) => h('option', { value, text })));
  const create = form(
    'Add a user',
    [field('Username (email)', username, 'username'), field('Password', password, 'plainPassword', 'At least 12 characters.'), field('Role', role, 'roles')],
    'Add user',
    async () => {
      await call('POST', '/api/users', { username: username.value.trim(), plainPassword: password.value, roles: [role.value] });
      toast('User added.');
      await usersPage();
    },
  );
  const rows = users.map((u) => [
    u.username,
    u.roles.map((r) => r.replace('ROLE_', '').toLowerCase()).join(', '),
    u.enabled ? 'Enabled' : 'Disabled',
    date(u.createdAt),
    removeButton('Remove', `Remove ${u.username}? They can no longer log in.`, `/api/users/${u.id}`, 'User removed.', usersPage),
  ]);
  mount(h('section', {}, h('h1', { text: 'Settings' }), tabs('users'), create, table('Users', ['Username', 'Roles', 'State', 'Created', ''], rows, 'No users.')));
}

const EVENTS = [
  ['account.connected', 'An account is added'],
  ['account.authorized', 'A sign-in completes'],
  ['account.disconnected', 'An account is disconnected'],
  ['account.updated', 'Its details change'],
  ['account.history_sync_set', 'Its history sync changes'],
  ['account.removed', 'An account is removed'],
];

export async function webhooksPage(created) {
  document.title = 'Webhooks · Inbox Accounts';
  const endpoints = await all('/api/webhooks');
  const url = h('input', { type: 'url', required: true, placeholder: 'https://hooks.example.com/inbox' });
  const description = h('input', { type: 'text' });
  const boxes = EVENTS.map(([value, text]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value, checked: true }), ` ${text} (${value})`));
  const events = h('fieldset', {}, h('legend', { text: 'Events' }), boxes, h('p', { class: 'field-error', 'data-error-for': 'events' }));
  const create = form('Add an endpoint', [field('URL', url, 'url', 'HTTPS, reachable from the internet.'), field('Description (optional)', description, 'description'), events], 'Add endpoint', async () => {
    const chosen = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    const endpoint = await call('POST', '/api/webhooks', { url: url.value.trim(), events: chosen, description: description.value || null });
    await webhooksPage(endpoint);
  });
  const rows = endpoints.map((e) => [
    h('a', { href: `#/settings/webhooks/${e.id}`, text: e.url }),
    e.events.length === EVENTS.length ? 'All account events' : e.events.join(', '),
    e.enabled ? 'Enabled' : `Disabled${e.disabledReason ? `: ${e.disabledReason}` : ''}`,
    date(e.createdAt),
  ]);
  mount(
    h(
      'section',
      {},
      h('h1', { text: 'Settings' }),
      tabs('webhooks'),
      h('p', { class: 'muted', text: 'Each account event is sent to your endpoints, signed per Standard Webhooks, and retried until it is accepted.' }),
      created && created.secret ? secretPanel(`Signing secret of ${created.url}`, created.secret, 'Copy it now: it is shown only this once. Verify each message’s webhook-signature with it.') : null,
      create,
      table('Webhook endpoints', ['URL', 'Events', 'State', 'Created'], rows, 'No endpoints yet.'),
    ),
  );
}

export async function webhookPage(id) {
  const [e, deliveries] = await Promise.all([call('GET', `/api/webhooks/${id}`), call('GET', `/api/webhooks/${id}/deliveries`)]);
  document.title = `Webhook · Inbox Accounts`;
  const toggle = h('button', {
    type: 'button',
    class: 'secondary',
    text: e.enabled ? 'Disable' : 'Enable',
    onclick: async () => {
      try {
        await call('PUT', `/api/webhooks/${id}`, { enabled: !e.enabled });
        toast(e.enabled ? 'Endpoint disabled.' : 'Endpoint enabled.');
        await webhookPage(id);
      } catch (err) {
        toast(err.message);
      }
    },
  });
  const test = h('button', {
    type: 'button',
    class: 'secondary',
    text: 'Send a test message',
    onclick: async () => {
      test.disabled = true;
      try {
        const attempt = await call('POST', `/api/webhooks/${id}/test`, {});
        toast(attempt.status ? `Test answered ${attempt.status}.` : `Test failed: ${attempt.error || 'no answer'}.`);
        await webhookPage(id);
      } catch (err) {
        toast(err.message);
      } finally {
        test.disabled = false;
      }
    },
  });
  const rows = (deliveries.member || []).map((d) => [
    date(d.attemptedAt),
    d.type,
    String(d.attempt),
    d.status ? String(d.status) : d.error || '—',
    `${d.durationMs} ms`,
    d.state + (d.nextAttemptAt ? ` (next ${date(d.nextAttemptAt)})` : ''),
  ]);
  mount(
    h(
      'section',
      {},
      h('h1', { text: 'Settings' }),
      tabs('webhooks'),
      h('p', {}, h('a', { href: '#/settings/webhooks', text: '← Webhooks' })),
      h(
        'div',
        { class: 'card' },
        h('h2', { text: e.url }),
        h('p', { text: e.enabled ? 'Enabled' : `Disabled${e.disabledReason ? `: ${e.disabledReason}` : ''}` }),
        e.description ? h('p', { class: 'muted', text: e.description }) : null,
        h('p', { class: 'muted', text: `Events: ${e.events.join(', ')}` }),
        h('div', { class: 'actions' }, test, toggle, removeButton('Delete', `Delete the endpoint ${e.url}? Nothing more is sent to it.`, `/api/webhooks/${id}`, 'Endpoint deleted.', () => (location.hash = '#/settings/webhooks'))),
      ),
      h('h2', { text: 'Recent deliveries' }),
      table('Recent deliveries', ['When', 'Type', 'Attempt', 'Answer', 'Took', 'State'], rows, 'Nothing delivered yet.'),
    ),
  );
}
