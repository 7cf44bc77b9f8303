// The login form: phone + password; "keep me signed in" chooses localStorage.

import { ApiError, login } from '../api.js';
import { h } from '../dom.js';
import { onLangChange, t } from '../i18n.js';

export function mount(container, { onLoggedIn }) {
  const phone = h('input', {
    id: 'phone', name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'username',
    required: true, maxlength: 20,
  });
  const password = h('input', {
    id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const remember = h('input', { id: 'remember', type: 'checkbox' });
  const error = h('div', { id: 'login-error', class: 'error', role: 'alert' });
  const submit = h('button', { id: 'login-submit', type: 'submit', class: 'primary' });
  const labels = {
    title: h('h1'), phone: h('label', { for: 'phone' }), password: h('label', { for: 'password' }),
    remember: h('label', { for: 'remember', class: 'check' }, remember, h('span')),
  };
  const form = h('form', { id: 'login-form', class: 'login-card', novalidate: true },
    labels.title, labels.phone, phone, labels.password, password, labels.remember, submit, error);

  const words = () => {
    labels.title.textContent = t('login.title');
    labels.phone.textContent = t('login.phone');
    labels.password.textContent = t('login.password');
    labels.remember.querySelector('span').textContent = t('login.remember');
    submit.textContent = t('login.submit');
  };
  words();
  const off = onLangChange(words);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    if (!phone.value.trim() || !password.value) {
      (phone.value.trim() ? password : phone).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t('login.busy');
    try {
      await login(phone.value.trim(), password.value, remember.checked);
      off();
      onLoggedIn();
    } catch (e) {
      const known = { 0: 'error.network', 401: 'login.invalid', 429: 'login.throttled' };
      error.textContent = e instanceof ApiError && known[e.status] ? t(known[e.status]) : e.message;
      submit.disabled = false;
      words();
    }
  });
  container.replaceChildren(h('div', { class: 'login-page' }, form));
  phone.focus();
  return { unmount: off };
}
