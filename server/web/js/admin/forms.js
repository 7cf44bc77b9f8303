// Small pieces the admin forms share: a labelled field, a two-tap delete
// button, and the save/error cycle of a form posting to the API.

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { errorText } from '../errors.js';

export function field(label, input) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input);
}

// A button that asks for a second tap, then runs act() (errors to onError).
export function deleteButton(id, label, act, onError) {
  const b = h('button', { type: 'button', class: 'danger', id }, label);
  b.addEventListener('click', async () => {
    if (b.dataset.armed !== 'true') {
      b.dataset.armed = 'true';
      b.textContent = t('common.confirm_again');
      return;
    }
    try { await act(); } catch (e) { onError(errorText(e)); }
  });
  return b;
}

// Wires form's submit: body() -> METHOD path; onSaved(answer); errors shown in `error`.
export function onSubmit(form, { submit, error, labels, method, path, body, onSaved }) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      onSaved(await api(path(), { method: method(), body: body() }));
    } catch (e) {
      error.textContent = errorText(e, { labels: labels() });
      submit.disabled = false;
    }
  });
}
