/*
 * Inbox Accounts: the embeddable accounts widget.
 *
 *   <script src="https://YOUR-INBOX-API/embed/accounts.js"></script>
 *   <inbox-accounts token="CUSTOMER SESSION TOKEN"></inbox-accounts>
 *
 * Lists the accounts the customer added, with their status, and lets the
 * customer add, reconnect and remove them. The token is a customer session
 * (POST /api/customer_sessions, made by your server with an API key): it sees
 * only that customer's accounts. The API must list your page's origin in
 * INBOX_EMBED_ORIGINS. Optional attribute `api`: the API's URL (default: where
 * this script was loaded from). Events: `inbox-accounts-change` (detail:
 * {accounts}) and `inbox-token-expired` (set a new `token` attribute).
 * Styles live in a shadow root: nothing leaks into or out of your page.
 */
(() => {
  'use strict';
  const SCRIPT_ORIGIN = document.currentScript ? new URL(document.currentScript.src).origin : location.origin;
  const POLL_MS = 5000;

  const CSS = `
    :host { display: block; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d2330; }
    * { box-sizing: border-box; }
    .box { border: 1px solid #dde1e8; border-radius: 10px; background: #fff; padding: 1rem; }
    h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
    ul { list-style: none; margin: 0 0 1rem; padding: 0; }
    li { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem .75rem; padding: .6rem 0; border-bottom: 1px solid #eef0f4; }
    li:last-child { border-bottom: 0; }
    img { width: 24px; height: 24px; flex: none; }
    .name { flex: 1; min-width: 8rem; overflow-wrap: anywhere; }
    .name small { display: block; color: #5b6475; }
    .badge { padding: .1rem .55rem; border-radius: 999px; font-size: .8rem; font-weight: 600; white-space: nowrap; }
    .authorized { background: #e3f4e8; color: #137a3a; }
    .waiting { background: #fff4d6; color: #8a5a00; }
    .disconnected { background: #fdecea; color: #b42318; }
    .actions { display: flex; gap: .4rem; }
    button { padding: .35rem .8rem; border: 1px solid #2456d3; border-radius: 6px; background: #2456d3; color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
    button.secondary { background: #fff; color: #2456d3; }
    button.danger { background: #b42318; border-color: #b42318; color: #fff; }
    button:disabled { opacity: .55; cursor: default; }
    button:focus-visible, select:focus-visible { outline: 3px solid #9db7f5; outline-offset: 1px; }
    form { display: flex; flex-wrap: wrap; align-items: end; gap: .5rem; }
    label { display: flex; flex-direction: column; font-weight: 600; flex: 1; min-width: 10rem; }
    select { margin-top: .25rem; padding: .4rem .5rem; border: 1px solid #b9c0cc; border-radius: 6px; font: inherit; background: #fff; }
    .empty { color: #5b6475; margin: 0 0 1rem; }
    .alert { background: #fdecea; color: #b42318; padding: .5rem .75rem; border-radius: 6px; margin: 0 0 .75rem; }
    .alert:empty { display: none; }
  `;

  // The server's words for account states and disconnect reasons (`inbox_domain::status`), set when served.
  const VOCABULARY = /*VOCABULARY*/ null;
  const reasonText = (r) => VOCABULARY.reasons[r] || r.replace(/_/g, ' ');

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
    return node;
  }

  function state(a) {
    const { statuses, defaultReason } = VOCABULARY;
    if (a.isAuthorized) return ['authorized', statuses.authorized.label];
    if (a.disconnectedAt) return ['disconnected', `${statuses.disconnected.label} (${reasonText(a.disconnectReason || defaultReason)})`];
    return ['waiting', statuses.waiting.label];
  }

  class InboxAccounts extends HTMLElement {
    static get observedAttributes() {
      return ['token', 'api'];
    }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: 'open' });
      if ('adoptedStyleSheets' in this.root) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        this.root.adoptedStyleSheets = [sheet];
      } else {
        this.root.append(el('style', {}, CSS));
      }
      // Built once; a refresh replaces only the list, so focus and the chosen platform stay.
      this.alert = el('p', { class: 'alert', role: 'alert' });
      this.list = el('div', {});
      this.form = el('div', {});
      this.root.append(el('div', { class: 'box', part: 'box' }, el('h2', { text: 'Connected accounts' }), this.alert, this.list, this.form));
      this.accounts = [];
      this.integrations = null;
      this.confirming = null;
      this.generation = 0; // the latest load; older ones drop their answers
      this.watchUntil = 0; // after a connect or reconnect: keep refreshing until then
    }

    connectedCallback() {
      this.load();
    }

    disconnectedCallback() {
      this.generation++;
      clearTimeout(this.timer);
    }

    attributeChangedCallback(name, before, after) {
      if (before !== after && this.isConnected) {
        this.say('');
        this.load();
      }
    }

    get api() {
      return (this.getAttribute('api') || SCRIPT_ORIGIN).replace(/\/+$/, '');
    }

    say(message) {
      this.alert.textContent = message;
    }

    async request(method, path, body) {
      const token = this.getAttribute('token');
      if (!token) throw new Error('No customer session: set the token attribute.');
      const headers = { Authorization: `Bearer ${token}`, Accept: 'application/ld+json' };
      if (body) headers['Content-Type'] = 'application/json';
      let resp;
      try {
        resp = await fetch(this.api + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
      } catch {
        throw new Error('The accounts service cannot be reached.');
      }
      if (resp.status === 401) {
        const error = new Error('Your session has ended: reload the page.');
        error.expired = true;
        throw error;
      }
      const text = await resp.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        data = null;
      }
      if (!resp.ok) throw new Error((data && (data.detail || data.message)) || `The accounts service answered ${resp.status}.`);
      return data;
    }

    /** Every member of a collection, following its pages. */
    async all(path) {
      let body = await this.request('GET', path);
      const members = [...(body.member || [])];
      for (let n = 0; body.view && body.view.next && n < 20; n++) {
        const next = new URL(body.view.next, this.api);
        body = await this.request('GET', next.pathname + next.search);
        members.push(...(body.member || []));
      }
      return members;
    }

    async load() {
      const generation = ++this.generation;
      clearTimeout(this.timer);
      if (!this.getAttribute('token')) return this.say('No customer session: set the token attribute.');
      try {
        const integrations = this.integrations || (await this.all('/api/integrations'));
        const accounts = await this.all('/api/accounts');
        if (generation !== this.generation) return;
        this.integrations = integrations;
        this.accounts = accounts;
        this.dispatchEvent(new CustomEvent('inbox-accounts-change', { detail: { accounts }, bubbles: true, composed: true }));
      } catch (e) {
        if (generation !== this.generation) return;
        this.say(e.message);
        if (e.expired) {
          // Nothing more until the host sets a fresh token.
          this.dispatchEvent(new CustomEvent('inbox-token-expired', { bubbles: true, composed: true }));
          return;
        }
      }
      this.render();
      const waiting = this.accounts.some((a) => !a.isAuthorized && !a.disconnectedAt);
      if (this.isConnected && (waiting || Date.now() < this.watchUntil)) this.timer = setTimeout(() => this.load(), POLL_MS);
    }

    /** Opens the connect page. The window opens first, while the click still
     * allows it; the customer's token goes along in the fragment (never sent
     * to a server), and only to this API's own page. */
    openWindow() {
      const win = window.open('about:blank', '_blank');
      if (win) win.opener = null;
      return win;
    }

    connect(account, win) {
      if (!account.reconnectUrl) return;
      const url = new URL(account.reconnectUrl);
      if (url.origin === new URL(this.api).origin) url.hash = `token=${encodeURIComponent(this.getAttribute('token'))}`;
      this.watchUntil = Date.now() + 10 * 60 * 1000;
      if (win) win.location.href = url.toString();
      else this.say('Your browser blocked the new tab: allow pop-ups for this page, then choose Finish sign-in.');
    }

    async add(integration, button) {
      const win = this.openWindow();
      button.disabled = true;
      this.say('');
      try {
        this.connect(await this.request('POST', '/api/accounts', { integration }), win);
      } catch (e) {
        if (win) win.close();
        this.say(e.message);
      }
      button.disabled = false;
      await this.load();
    }

    async remove(account) {
      this.say('');
      try {
        await this.request('DELETE', `/api/accounts/${account.id}`);
      } catch (e) {
        this.say(e.message);
      }
      this.confirming = null;
      await this.load();
    }

    name(id) {
      const i = (this.integrations || []).find((x) => x.id === id);
      return i ? i.name : id;
    }

    row(a) {
      const [key, label] = state(a);
      const platform = this.name(a.accountType);
      const actions =
        this.confirming === a.id
          ? [
              el('button', { type: 'button', class: 'danger', text: 'Confirm removal', onclick: () => this.remove(a) }),
              el('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: () => ((this.confirming = null), this.render()) }),
            ]
          : [
              a.isAuthorized ? null : el('button', { type: 'button', text: key === 'disconnected' ? 'Reconnect' : 'Finish sign-in', onclick: () => this.connect(a, this.openWindow()) }),
              el('button', { type: 'button', class: 'secondary', text: 'Remove', 'aria-label': `Remove ${a.username || platform}`, onclick: () => ((this.confirming = a.id), this.render()) }),
            ];
      return el(
        'li',
        { 'data-id': a.id, 'data-state': key },
        el('img', { src: `${this.api}/dashboard/logo-${encodeURIComponent(a.accountType)}.svg`, alt: '' }),
        el('span', { class: 'name' }, a.username || `${platform} account`, el('small', { text: platform })),
        el('span', { class: `badge ${key}`, text: label }),
        el('span', { class: 'actions' }, actions),
      );
    }

    render() {
      this.list.replaceChildren(
        this.accounts.length ? el('ul', {}, this.accounts.map((a) => this.row(a))) : el('p', { class: 'empty', text: 'No accounts connected yet.' }),
      );
      if (this.integrations && !this.form.firstChild) {
        const select = el('select', { name: 'integration' }, this.integrations.map((i) => el('option', { value: i['@id'], text: i.name })));
        const button = el('button', { type: 'submit', text: 'Add account' });
        const form = el('form', {}, el('label', {}, 'Platform', select), button);
        form.addEventListener('submit', (e) => {
          e.preventDefault();
          this.add(select.value, button);
        });
        this.form.append(form);
      }
    }
  }

  if (!customElements.get('inbox-accounts')) customElements.define('inbox-accounts', InboxAccounts);
})();
