// The Accounts tab: the client's accounts with filters and pages, adding an
// account, and an account's page (its fields, its history, removal).

import { call, claims, session } from './api.js';
import { VOCABULARY } from './status.js';
import { badge, clearError, confirmDialog, date, field, h, logo, mount, reasonText, showError, status, toast } from './ui.js';

const PAGE_SIZE = 30;

let catalogue = null;

/** The integrations catalogue (`/api/integrations`), read once. */
export async function integrations() {
  if (!catalogue) {
    const body = await call('GET', '/api/integrations');
    catalogue = body.member || [];
  }
  return catalogue;
}

function integrationName(list, id) {
  const i = list.find((x) => x.id === id);
  return i ? i.name : id;
}

export async function accountsPage(query) {
  document.title = 'Accounts · Inbox Accounts';
  const params = new URLSearchParams(query || '');
  const page = Math.max(1, parseInt(params.get('page') || '1', 10) || 1);
  const api = new URLSearchParams();
  if (page > 1) api.set('page', page);
  for (const key of ['accountType', 'isAuthorized']) if (params.get(key)) api.set(key, params.get(key));
  const [list, body] = await Promise.all([integrations(), call('GET', `/api/accounts${String(api) ? `?${api}` : ''}`)]);

  const go = (changes) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) v ? next.set(k, v) : next.delete(k);
    location.hash = `#/accounts${String(next) ? `?${next}` : ''}`;
  };
  const platform = h(
    'select',
    { onchange: (e) => go({ accountType: e.target.value, page: '' }) },
    h('option', { value: '', text: 'All platforms' }),
    list.map((i) => h('option', { value: i.id, text: i.name, selected: params.get('accountType') === i.id })),
  );
  const state = h(
    'select',
    { onchange: (e) => go({ isAuthorized: e.target.value, page: '' }) },
    h('option', { value: '', text: 'Any status' }),
    h('option', { value: 'true', text: VOCABULARY.statuses.authorized.label, selected: params.get('isAuthorized') === 'true' }),
    h('option', { value: 'false', text: 'Not connected', selected: params.get('isAuthorized') === 'false' }),
  );
  const canAdd = (session.get().roles || []).includes('ROLE_OWNER');
  const members = body.member || [];
  const total = body.totalItems || 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  const rows = members.map((a) =>
    h(
      'tr',
      {},
      h('td', { 'data-label': 'Platform' }, h('span', { class: 'platform' }, logo(a.accountType, ''), integrationName(list, a.accountType))),
      h('td', { 'data-label': 'Account' }, h('a', { href: `#/accounts/${a.id}`, text: a.username || `${integrationName(list, a.accountType)} account` })),
      h('td', { 'data-label': 'Status' }, badge(a), a.disconnectReason ? h('span', { class: 'reason', text: reasonText(a.disconnectReason) }) : null),
      h('td', { 'data-label': 'Created' }, date(a.createdAt)),
      h('td', { 'data-label': 'Customer' }, a.customerId || '—'),
    ),
  );
  const beyond = !members.length && total > 0;
  const table = beyond
    ? h('p', { class: 'empty' }, `There is no page ${page}: the list has ${pages}. `, h('a', { href: '#/accounts', text: 'Back to the first page' }))
    : members.length
    ? h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'accounts' },
          h('caption', { class: 'visually-hidden', text: 'Connected accounts' }),
          h('thead', {}, h('tr', {}, ['Platform', 'Account', 'Status', 'Created', 'Customer'].map((t) => h('th', { scope: 'col', text: t })))),
          h('tbody', {}, rows),
        ),
      )
    : h('p', { class: 'empty', text: params.get('accountType') || params.get('isAuthorized') ? 'No account matches these filters.' : 'No accounts yet: add the first one.' });

  mount(
    h(
      'section',
      {},
      h('div', { class: 'title-row' }, h('h1', { text: 'Accounts' }), canAdd ? h('a', { class: 'button', href: '#/accounts/new', text: 'Add Account' }) : null),
      h('div', { class: 'filters' }, field('Platform', platform, 'accountType'), field('Status', state, 'isAuthorized')),
      h('p', { class: 'muted', text: `${total} account${total === 1 ? '' : 's'}` }),
      table,
      pages > 1 && !beyond
        ? h(
            'nav',
            { class: 'pager', 'aria-label': 'Pages' },
            h('button', { type: 'button', class: 'secondary', text: 'Previous', disabled: page <= 1, onclick: () => go({ page: page - 1 > 1 ? String(page - 1) : '' }) }),
            h('span', { text: `Page ${page} of ${pages}` }),
            h('button', { type: 'button', class: 'secondary', text: 'Next', disabled: page >= pages, onclick: () => go({ page: String(page + 1) }) }),
          )
        : null,
    ),
  );
}

export async function addAccountPage() {
  document.title = 'Add Account · Inbox Accounts';
  const list = await integrations();
  const choices = h(
    'fieldset',
    { class: 'platforms' },
    h('legend', { text: 'Platform' }),
    list.map((i, n) =>
      h(
        'label',
        { class: 'platform-choice' },
        h('input', { type: 'radio', name: 'integration', value: i['@id'], required: true, checked: n === 0 }),
        logo(i.id, ''),
        h('span', {}, h('strong', { text: i.name }), h('span', { class: 'muted', text: i.description })),
      ),
    ),
    h('p', { class: 'field-error', 'data-error-for': 'integration' }),
  );
  const since = h('input', { type: 'date' });
  const submit = h('button', { type: 'submit', text: 'Save and continue' });
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h('h1', { text: 'Add Account' }),
    h('p', { class: 'muted', text: 'Choose the platform. You will then complete the sign-in with it.' }),
    choices,
    field('Sync message history back to (optional)', since, 'historySyncUntil', 'Leave empty to use the platform’s default.'),
    h('div', { class: 'actions' }, h('a', { class: 'button secondary', href: '#/accounts', text: 'Cancel' }), submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    submit.disabled = true;
    const chosen = form.querySelector('input[name="integration"]:checked');
    try {
      const account = await call('POST', '/api/accounts', {
        integration: chosen ? chosen.value : null,
        historySyncUntil: since.value ? `${since.value}T00:00:00.000Z` : null,
      });
      toast('Account created: complete the sign-in.');
      location.hash = `#/accounts/${account.id}`;
    } catch (err) {
      showError(form, err);
    } finally {
      submit.disabled = false;
    }
  });
  mount(form);
}

const WRITABLE = [
  ['username', 'Display name', 'text'],
  ['description', 'Description', 'text'],
  ['avatarUrl', 'Avatar URL', 'url'],
];

export async function accountPage(id) {
  const [list, a] = await Promise.all([integrations(), call('GET', `/api/accounts/${id}`)]);
  const name = a.username || `${integrationName(list, a.accountType)} account`;
  document.title = `${name} · Inbox Accounts`;
  const s = status(a);
  const writer = (session.get().roles || []).some((r) => r === 'ROLE_OWNER' || r === 'ROLE_CUSTOMER');

  const next = a.isAuthorized
    ? null
    : h(
        'div',
        { class: `next next-${s.key}` },
        h('h2', { text: s.key === 'disconnected' ? 'Reconnect this account' : 'Complete the sign-in' }),
        h('p', { text: s.detail }),
        a.reconnectUrl ? h('a', { class: 'button', href: a.reconnectUrl, text: 'Open the connect page' }) : null,
      );

  const inputs = {};
  const fields = WRITABLE.map(([key, label, type]) => {
    inputs[key] = h('input', { type, value: a[key] || '', disabled: !writer });
    return field(label, inputs[key], key);
  });
  inputs.historySyncUntil = h('input', { type: 'date', value: a.historySyncUntil ? a.historySyncUntil.slice(0, 10) : '', disabled: !writer });
  inputs.sharePastHistory = h('input', { type: 'checkbox', checked: a.sharePastHistory, disabled: !writer });
  const save = h('button', { type: 'submit', text: 'Save changes', hidden: !writer });
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h('h2', { text: 'Details' }),
    fields,
    field('Sync message history back to', inputs.historySyncUntil, 'historySyncUntil'),
    h('div', { class: 'field check' }, h('label', {}, inputs.sharePastHistory, ' Share past history with the inbox'), h('p', { class: 'field-error', 'data-error-for': 'sharePastHistory' })),
    save,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    // Only what changed: an untouched field keeps its stored value exactly.
    const changed = {};
    for (const [key] of WRITABLE) if (inputs[key].value !== (a[key] || '')) changed[key] = inputs[key].value || null;
    if (inputs.sharePastHistory.checked !== a.sharePastHistory) changed.sharePastHistory = inputs.sharePastHistory.checked;
    const day = inputs.historySyncUntil.value;
    if (day !== (a.historySyncUntil ? a.historySyncUntil.slice(0, 10) : '')) changed.historySyncUntil = day ? `${day}T00:00:00.000Z` : null;
    if (!Object.keys(changed).length) return toast('Nothing to save: no field changed.');
    save.disabled = true;
    try {
      await call('PUT', `/api/accounts/${id}`, changed);
      toast('Changes saved.');
      await accountPage(id);
    } catch (err) {
      showError(form, err);
    } finally {
      save.disabled = false;
    }
  });

  const facts = h(
    'dl',
    { class: 'facts' },
    [
      ['Platform', integrationName(list, a.accountType)],
      ['Status', s.detail],
      ['Created', date(a.createdAt)],
      ['Disconnected', a.disconnectedAt ? date(a.disconnectedAt) : '—'],
      ['Customer', a.customerId || '—'],
      ['Account id', a.id],
    ].map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]),
  );

  const remove = writer
    ? h('button', {
        type: 'button',
        class: 'danger',
        text: 'Remove account',
        onclick: async () => {
          if (!(await confirmDialog(`Remove ${name}? Its messages stop flowing to the inbox. This cannot be undone.`, 'Remove'))) return;
          try {
            await call('DELETE', `/api/accounts/${id}`);
            toast(`${name} was removed.`);
            location.hash = '#/accounts';
          } catch (err) {
            showError(page, err);
          }
        },
      })
    : null;

  const page = h(
    'section',
    { class: 'account' },
    h('p', {}, h('a', { href: '#/accounts', text: '← Accounts' })),
    h('div', { class: 'title-row' }, h('h1', {}, logo(a.accountType, integrationName(list, a.accountType)), ' ', name), badge(a)),
    next,
    h('div', { class: 'columns' }, form, h('div', { class: 'card' }, h('h2', { text: 'About' }), facts)),
    h('section', { class: 'card' }, h('h2', { text: 'History' }), h('ol', { class: 'timeline', id: 'history' }, h('li', { text: 'Loading…' }))),
    remove ? h('div', { class: 'danger-zone' }, remove) : null,
  );
  mount(page);
  history(id, page.querySelector('#history'));
}

const EVENT_NAMES = {
  AccountConnected: 'Account added',
  AccountAuthorized: 'Sign-in completed',
  AccountDisconnected: 'Disconnected',
  AccountUpdated: 'Details changed',
  HistorySyncSet: 'History sync changed',
  AccountRemoved: 'Removed',
};

function actorName(actor, users) {
  const s = session.get();
  if (s && claims(s.token).sub === actor) return 'you';
  if (actor.startsWith('customer:')) return `customer ${actor.slice(9)}`;
  if (actor.startsWith('token:')) return 'an API key';
  return users.get(actor) || `user ${actor}`;
}

/** Usernames by id, for owners (who may list users); others see ids. */
async function usernames() {
  if (!(session.get().roles || []).includes('ROLE_OWNER')) return new Map();
  try {
    const body = await call('GET', '/api/users');
    return new Map((body.member || []).map((u) => [u.id, u.username]));
  } catch {
    return new Map();
  }
}

function changes(payload) {
  const skip = new Set(['accountId', 'clientId', 'integration', 'reconnectUrl', 'createdBy']);
  return Object.entries(payload || {})
    .filter(([k, v]) => !skip.has(k) && !k.endsWith('At') && v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/** The account's events, oldest first: who, when, what changed. */
async function history(id, list) {
  try {
    const [body, users] = await Promise.all([call('GET', `/api/accounts/${id}/events`), usernames()]);
    const events = body.member || [];
    list.replaceChildren(
      ...events.map((e) =>
        h(
          'li',
          { class: 'event', 'data-type': e.type },
          h('strong', { text: EVENT_NAMES[e.type] || e.type }),
          h('span', { class: 'muted', text: ` ${date(e.recordedAt)} by ${actorName(e.actor, users)}` }),
          changes(e.payload) ? h('p', { class: 'changes', text: changes(e.payload) }) : null,
        ),
      ),
    );
    if (!events.length) list.replaceChildren(h('li', { text: 'No events.' }));
  } catch (err) {
    list.replaceChildren(h('li', { class: 'alert', role: 'alert', text: err.message }));
  }
}
