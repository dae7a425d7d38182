// Small DOM helpers: elements are built with text nodes only (no HTML from
// data), forms show the API's violations next to their fields.

import { VOCABULARY } from './status.js';

/** `h('p', {class: 'x', onclick: f}, 'text', child)`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key in el && key !== 'list' && key !== 'form') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces the page's main content. */
export function mount(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes);
}

let uid = 0;

/** A labelled form field with a place for its error: `name` is the API's property path. */
export function field(label, input, name, hint) {
  input.id = input.id || `f${++uid}`;
  input.name = input.name || name;
  const error = h('p', { class: 'field-error', id: `${input.id}-error`, 'data-error-for': name });
  input.setAttribute('aria-describedby', error.id);
  const help = hint ? h('p', { class: 'hint', id: `${input.id}-hint`, text: hint }) : null;
  if (help) input.setAttribute('aria-describedby', `${help.id} ${error.id}`);
  return h('div', { class: 'field' }, h('label', { for: input.id, text: label }), input, help, error);
}

/** Shows an error: the message in the form's alert, each violation next to its field. */
export function showError(container, err) {
  clearError(container);
  let alert = container.querySelector(':scope > .alert');
  if (!alert) {
    alert = h('div', { class: 'alert', role: 'alert' });
    container.prepend(alert);
  }
  const placed = [];
  for (const v of err.violations || []) {
    const slot = container.querySelector(`[data-error-for="${CSS.escape(v.propertyPath)}"]`);
    if (slot) {
      slot.textContent = v.message;
      const input = slot.id && container.querySelector(`[aria-describedby~="${CSS.escape(slot.id)}"]`);
      if (input) input.setAttribute('aria-invalid', 'true');
      placed.push(v);
    }
  }
  alert.textContent = placed.length && placed.length === err.violations.length ? 'Please correct the highlighted fields.' : err.message;
  alert.hidden = false;
}

export function clearError(container) {
  for (const el of container.querySelectorAll('[data-error-for]')) el.textContent = '';
  for (const el of container.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const alert = container.querySelector(':scope > .alert');
  if (alert) alert.hidden = true;
}

/** A short confirmation, at the bottom of the screen. */
export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.classList.add('shown');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove('shown'), 4000);
}

/** Asks before something that cannot be undone; resolves to true if confirmed. */
export function confirmDialog(question, action) {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-q' },
      h('p', { id: 'confirm-q', text: question }),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: () => dialog.close('cancel') }),
        h('button', { type: 'button', class: 'danger', text: action, onclick: () => dialog.close('ok') }),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function date(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The integrations whose logos the dashboard serves. */
const LOGOS = ['whatsapp', 'linkedin', 'telegram', 'instagram', 'x', 'gmail', 'outlook'];

export function logo(id, name) {
  if (!LOGOS.includes(id)) return h('span', { class: 'logo logo-none', 'aria-hidden': 'true' });
  return h('img', { class: 'logo', src: `/dashboard/logo-${id}.svg`, alt: name ?? id, width: 24, height: 24 });
}

/** What an account's state means to a person, in the words the server gives
 * every page and the widget (`/dashboard/status.js`). */
export function status(account) {
  const key = account.isAuthorized ? 'authorized' : account.disconnectedAt ? 'disconnected' : 'waiting';
  const words = VOCABULARY.statuses[key];
  const reason = reasonText(account.disconnectReason || VOCABULARY.defaultReason);
  return { key, label: words.label, detail: words.detail.replace('{reason}', reason) };
}

export function reasonText(reason) {
  return VOCABULARY.reasons[reason] || reason.replace(/_/g, ' ');
}

export function badge(account) {
  const s = status(account);
  return h('span', { class: `badge badge-${s.key}`, title: s.detail, text: s.label });
}
