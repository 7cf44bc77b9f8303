// The admin page (village admins and up): users in the caller's area —
// create (the one-time password shown once), disable/enable, reset.
// URL: #/admin[/new]

import '../words/admin.js';
import { listAll } from '../api.js';
import { h } from '../dom.js';
import { onLangChange, t } from '../i18n.js';
import { errorText } from '../errors.js';
import { ROLES } from '../roles.js';
import { navigate } from '../router.js';
import { otpBox, renderUserForm, renderUsers } from '../admin/users.js';

export async function mount(container, ctx, params) {
  const { state } = ctx;
  let users = [];
  let role = '';
  let query = '';
  let otp = null;  // {user, password} until dismissed

  const title = h('h1', { class: 'page-title' });
  const newBtn = h('button', { type: 'button', class: 'primary small', id: 'new-user', onclick: () => navigate('admin', 'new') });
  const roleSel = h('select', { id: 'user-role-filter' });
  const search = h('input', { type: 'search', id: 'user-search', class: 'search' });
  const count = h('span', { class: 'muted' });
  const notice = h('p', { class: 'notice', role: 'status', hidden: true });
  const error = h('p', { class: 'page-error', role: 'alert', hidden: true });
  const otpHost = h('div');
  const formHost = h('div');
  const list = h('div');
  roleSel.addEventListener('change', () => { role = roleSel.value; draw(); });
  search.addEventListener('input', () => { query = search.value.trim(); draw(); });
  container.replaceChildren(h('div', { class: 'page-wrap' }, h('div', { class: 'page admin-page' },
    h('div', { class: 'page-head' }, title, h('div', { class: 'toolbar' }, count, newBtn)),
    otpHost, formHost, notice, error,
    h('div', { class: 'filters-bar' }, roleSel, search), list)));

  const say = (text) => { notice.textContent = text; notice.hidden = false; error.hidden = true; };
  const fail = (text) => { error.textContent = text; error.hidden = false; notice.hidden = true; };

  function draw() {
    title.textContent = t('adm.title');
    newBtn.textContent = `＋ ${t('adm.new_user')}`;
    search.placeholder = t('adm.search');
    search.setAttribute('aria-label', t('adm.search'));
    roleSel.setAttribute('aria-label', t('adm.role'));
    roleSel.replaceChildren(h('option', { value: '' }, t('adm.all_roles')),
      ...ROLES.map((r) => h('option', { value: r, selected: r === role }, t(`role.${r}`))));
    otpHost.replaceChildren(...(otp ? [otpBox(otp.user, otp.password, () => { otp = null; draw(); })] : []));
    const shown = users.filter((u) => (!role || u.role === role)
      && (!query || u.name.includes(query) || u.phone.includes(query)));
    count.textContent = t('adm.count', { n: shown.length });
    renderUsers(list, state, shown, {
      onChanged: (u, msg) => { users = users.map((x) => (x.id === u.id ? { ...x, ...u } : x)); say(msg); draw(); },
      onOtp: (u, password) => { otp = { user: u, password }; draw(); otpHost.scrollIntoView({ block: 'nearest' }); },
      onError: fail,
    });
  }

  async function load() {
    try {
      users = await listAll('/api/v1/users');
      users.sort((a, b) => a.disabled - b.disabled || a.name.localeCompare(b.name, 'zh'));
      error.hidden = true;
    } catch (e) {
      fail(t('adm.load_failed', { message: errorText(e) }));
    }
    draw();
    document.body.dataset.adminReady = 'true';
  }

  function apply(p) {
    if (p[0] === 'new') {
      renderUserForm(formHost, state, {
        onCreated: (res) => {
          users = [res.user, ...users.filter((u) => u.id !== res.user.id)];
          otp = { user: res.user, password: res.one_time_password };
          navigate('admin');
          draw();
        },
        onCancel: () => navigate('admin'),
      });
    } else {
      formHost.replaceChildren();
    }
  }

  const offLang = onLangChange(() => { draw(); apply([]); });
  draw();
  await load();
  apply(params);
  return {
    update: apply,
    unmount() {
      offLang();
      otp = null;
      delete document.body.dataset.adminReady;
    },
  };
}
