// A panel over the page for one thing (a round, a form, a hazard): a side
// drawer on a laptop, the whole view on a phone (app's pages.css). Closing it
// goes back to the page's URL, so the phone's back button closes it too.

import { h } from './dom.js';
import { t } from './i18n.js';

// Returns {el, body, setTitle(text)}; onClose() when its ✕ is pressed.
export function drawer(id, onClose) {
  const title = h('h2', { class: 'drawer-title' });
  const close = h('button', { type: 'button', class: 'drawer-close', 'aria-label': t('common.close'), onclick: onClose }, '✕');
  const body = h('div', { class: 'drawer-body' });
  const el = h('section', { class: 'drawer', id, role: 'dialog', 'aria-labelledby': `${id}-title` },
    h('header', { class: 'drawer-head' }, close, title), body);
  title.id = `${id}-title`;
  return { el, body, setTitle: (s) => { title.textContent = s; } };
}
