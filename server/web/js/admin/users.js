// The users list and the new-user form of the admin page. A created user's
// (or a reset) one-time password is shown once, in a box that is gone when
// dismissed: it is never stored by the page.

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { errorText } from '../errors.js';
import { grantable, roleRank } from '../roles.js';

const LABELS = () => ({ name: t('adm.name'), phone: t('adm.phone'), role: t('adm.role'), org_unit_id: t('adm.org') });

// The one-time password box; onDone() when dismissed.
export function otpBox(user, otp, onDone) {
  const copy = h('button', { type: 'button', class: 'secondary small' }, t('adm.otp_copy'));
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(otp); copy.textContent = t('adm.otp_copied'); } catch { /* not allowed: read it */ }
  });
  return h('div', { class: 'otp-box', id: 'otp-box', role: 'status' },
    h('strong', {}, t('adm.otp_title')),
    h('p', {}, t('adm.otp_for', { name: user.name, phone: user.phone })),
    h('div', { class: 'otp-row' }, h('code', { class: 'otp', id: 'otp' }, otp), copy),
    h('button', { type: 'button', class: 'primary', id: 'otp-done', onclick: onDone }, t('adm.otp_done')));
}

// Org units a caller may put users in: their own node and below.
export function unitsInScope(state) {
  const mine = String(state.me.org_unit_id);
  return [...state.orgUnits.values()]
    .filter((o) => state.orgChain(o.id).some((c) => String(c.id) === mine))
    .sort((a, b) => state.orgChain(a.id).map((c) => c.name).join('/').localeCompare(state.orgChain(b.id).map((c) => c.name).join('/'), 'zh'));
}

export function renderUserForm(el, state, { onCreated, onCancel }) {
  const me = state.me;
  const name = h('input', { id: 'user-name', name: 'name', maxlength: 100, required: true, autocomplete: 'off' });
  const phone = h('input', { id: 'user-phone', name: 'phone', type: 'tel', inputmode: 'numeric', maxlength: 21, required: true, autocomplete: 'off' });
  const role = h('select', { id: 'user-role', name: 'role' },
    grantable(me.role).map((r) => h('option', { value: r, selected: r === 'volunteer' }, t(`role.${r}`))));
  const units = unitsInScope(state);
  const depth = (o) => state.orgChain(o.id).length - state.orgChain(me.org_unit_id).length;
  const org = h('select', { id: 'user-org', name: 'org_unit_id' },
    units.map((o) => h('option', { value: String(o.id), selected: String(o.id) === String(me.org_unit_id) }, `${'　'.repeat(Math.max(0, depth(o)))}${o.name}`)));
  const error = h('p', { class: 'error', id: 'user-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'user-create' }, t('adm.create'));
  const field = (label, input) => h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input);
  const form = h('form', { class: 'form user-form card', id: 'user-form', novalidate: true },
    h('div', { class: 'field-row' }, field(t('adm.name'), name), field(t('adm.phone'), phone)),
    h('div', { class: 'field-row' }, field(t('adm.role'), role), field(t('adm.org'), org)),
    error,
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('common.cancel'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      const res = await api('/api/v1/users', {
        method: 'POST', body: { name: name.value.trim(), phone: phone.value.trim(), role: role.value, org_unit_id: org.value },
      });
      onCreated(res);
    } catch (e) {
      error.textContent = errorText(e, { labels: LABELS() });
      submit.disabled = false;
    }
  });
  el.replaceChildren(form);
  name.focus();
}

// One row per user with disable/enable and reset (when the caller may manage that role).
export function renderUsers(el, state, users, { onChanged, onOtp, onError }) {
  const me = state.me;
  if (!users.length) {
    el.replaceChildren(h('p', { class: 'empty' }, t('adm.none')));
    return;
  }
  el.replaceChildren(h('ul', { class: 'user-list', id: 'user-list' }, users.map((u) => {
    const manageable = u.id !== me.id && roleRank(u.role) <= roleRank(me.role);
    const toggle = h('button', { type: 'button', class: u.disabled ? 'secondary small' : 'danger small', dataset: { action: u.disabled ? 'enable' : 'disable' } },
      u.disabled ? t('adm.enable') : t('adm.disable'));
    toggle.addEventListener('click', async () => {
      if (!u.disabled && toggle.dataset.armed !== 'true') {
        toggle.dataset.armed = 'true';
        toggle.textContent = t('common.confirm_again');
        return;
      }
      try {
        if (u.disabled) {
          const res = await api(`/api/v1/users/${encodeURIComponent(u.id)}`, { method: 'PUT', body: { disabled: false } });
          onChanged(res.user, t('adm.enabled_ok', { name: u.name }));
        } else {
          await api(`/api/v1/users/${encodeURIComponent(u.id)}`, { method: 'DELETE' });
          onChanged({ ...u, disabled: true }, t('adm.disabled_ok', { name: u.name }));
        }
      } catch (e) {
        onError(errorText(e));
      }
    });
    const reset = h('button', { type: 'button', class: 'secondary small', dataset: { action: 'reset' } }, t('adm.reset'));
    reset.addEventListener('click', async () => {
      try {
        const res = await api(`/api/v1/users/${encodeURIComponent(u.id)}`, { method: 'PUT', body: { reset_password: true } });
        onOtp(res.user, res.one_time_password);
      } catch (e) {
        onError(errorText(e));
      }
    });
    return h('li', { class: `user-row${u.disabled ? ' disabled' : ''}`, dataset: { userId: u.id, phone: u.phone } },
      h('div', { class: 'user-main' },
        h('strong', {}, u.name, u.id === me.id ? t('adm.you') : ''),
        h('span', { class: 'muted' }, `${u.phone} · ${t(`role.${u.role}`)} · ${state.orgName(u.org_unit_id)}`),
        u.disabled ? h('span', { class: 'chip user-off' }, t('adm.disabled')) : null),
      manageable ? h('div', { class: 'user-actions' }, u.disabled ? null : reset, toggle) : null);
  })));
}
