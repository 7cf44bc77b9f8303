// The admin page (village admins and up): users of the caller's area —
// create (the one-time password shown once), disable/enable, reset — and,
// when patrold has the teams/sites admin routes, teams and sites.
// URL: #/admin[/users|teams|sites][/new|/ID]

import '../words/admin.js';
import { api, listAll } from '../api.js';
import { h } from '../dom.js';
import { onLangChange, t } from '../i18n.js';
import { errorText } from '../errors.js';
import { ROLES } from '../roles.js';
import { navigate } from '../router.js';
import { renderSiteForm, renderSites } from '../admin/sites.js';
import { renderTeamForm, renderTeams } from '../admin/teams.js';
import { otpBox, renderUserForm, renderUsers } from '../admin/users.js';

const SECTIONS = ['users', 'teams', 'sites'];

// Whether this patrold manages teams and sites (GET /api/v1/teams answers).
async function hasTeamRoutes() {
  try {
    await api('/api/v1/teams?limit=1');
    return true;
  } catch {
    return false;
  }
}

export async function mount(container, ctx, params) {
  const { state } = ctx;
  let users = [];
  let teams = [];
  let sites = [];
  let section = 'users';
  let role = '';
  let query = '';
  let otp = null;  // {user, password} until dismissed
  const more = await hasTeamRoutes();

  const title = h('h1', { class: 'page-title' });
  const newBtn = h('button', { type: 'button', class: 'primary small', id: 'new-item', onclick: () => navigate('admin', section, 'new') });
  const tabs = h('div', { class: 'seg', role: 'tablist', hidden: !more }, SECTIONS.map((s) => h('button', {
    type: 'button', role: 'tab', class: 'seg-btn', id: `adm-tab-${s}`, dataset: { section: s }, onclick: () => navigate('admin', s),
  })));
  const roleSel = h('select', { id: 'user-role-filter' });
  const search = h('input', { type: 'search', id: 'user-search', class: 'search' });
  const count = h('span', { class: 'muted', id: 'adm-count' });
  const notice = h('p', { class: 'notice', role: 'status', hidden: true });
  const error = h('p', { class: 'page-error', role: 'alert', hidden: true });
  const otpHost = h('div');
  const formHost = h('div');
  const filterBar = h('div', { class: 'filters-bar' }, roleSel, search);
  const list = h('div');
  roleSel.addEventListener('change', () => { role = roleSel.value; draw(); });
  search.addEventListener('input', () => { query = search.value.trim(); draw(); });
  container.replaceChildren(h('div', { class: 'page-wrap' }, h('div', { class: 'page admin-page' },
    h('div', { class: 'page-head' }, title, h('div', { class: 'toolbar' }, count, newBtn)),
    tabs, otpHost, formHost, notice, error, filterBar, list)));

  const say = (text) => { notice.textContent = text; notice.hidden = false; error.hidden = true; };
  const fail = (text) => { error.textContent = text; error.hidden = false; notice.hidden = true; };
  const found = (x) => !query || x.name.includes(query) || (x.phone ?? '').includes(query) || (x.address ?? '').includes(query);

  function draw() {
    title.textContent = t(`adm.title.${section}`);
    newBtn.textContent = `＋ ${t(`adm.new_${{ users: 'user', teams: 'team', sites: 'site' }[section]}`)}`;
    for (const b of tabs.children) {
      b.textContent = t(`adm.${b.dataset.section}`);
      b.setAttribute('aria-selected', String(b.dataset.section === section));
    }
    search.placeholder = section === 'users' ? t('adm.search') : t('adm.search_name');
    search.setAttribute('aria-label', search.placeholder);
    roleSel.hidden = section !== 'users';
    roleSel.setAttribute('aria-label', t('adm.role'));
    roleSel.replaceChildren(h('option', { value: '' }, t('adm.all_roles')),
      ...ROLES.map((r) => h('option', { value: r, selected: r === role }, t(`role.${r}`))));
    otpHost.replaceChildren(...(otp ? [otpBox(otp.user, otp.password, () => { otp = null; draw(); })] : []));
    if (section === 'teams') {
      const shown = teams.filter(found);
      count.textContent = t('adm.count_n', { n: shown.length });
      renderTeams(list, state, shown, { onOpen: (x) => navigate('admin', 'teams', x.id) });
      return;
    }
    if (section === 'sites') {
      const shown = sites.filter(found);
      count.textContent = t('adm.count_n', { n: shown.length });
      renderSites(list, state, shown, { onOpen: (x) => navigate('admin', 'sites', x.id) });
      return;
    }
    const shown = users.filter((u) => (!role || u.role === role) && found(u));
    count.textContent = t('adm.count', { n: shown.length });
    renderUsers(list, state, shown, {
      onChanged: (u, msg) => { users = users.map((x) => (x.id === u.id ? { ...x, ...u } : x)); say(msg); draw(); },
      onOtp: (u, password) => { otp = { user: u, password }; draw(); otpHost.scrollIntoView({ block: 'nearest' }); },
      onError: fail,
    });
  }

  async function load() {
    try {
      const [us, ts, ss] = await Promise.all([
        listAll('/api/v1/users'),
        more ? listAll('/api/v1/teams') : [],
        more ? listAll('/api/v1/sites') : [],
      ]);
      users = us.sort((a, b) => a.disabled - b.disabled || a.name.localeCompare(b.name, 'zh'));
      teams = ts.sort((a, b) => a.name.localeCompare(b.name, 'zh'));
      sites = ss.sort((a, b) => a.name.localeCompare(b.name, 'zh'));
      error.hidden = true;
    } catch (e) {
      fail(t('adm.load_failed', { message: errorText(e) }));
    }
    draw();
    document.body.dataset.adminReady = 'true';
  }

  // After a team or site changed: the other pages read them from State.
  const saved = (kind) => (x) => {
    if (kind === 'teams') { teams = [x, ...teams.filter((y) => y.id !== x.id)]; state.teams.set(x.id, x); }
    if (kind === 'sites') { sites = [x, ...sites.filter((y) => y.id !== x.id)]; state.sites.set(x.id, { ...state.sites.get(x.id), ...x }); }
    say(t('adm.saved'));
    navigate('admin', kind);
  };
  const deleted = (kind) => (x) => {
    if (kind === 'teams') { teams = teams.filter((y) => y.id !== x.id); state.teams.delete(x.id); }
    if (kind === 'sites') { sites = sites.filter((y) => y.id !== x.id); state.sites.delete(x.id); }
    say(t('adm.deleted'));
    navigate('admin', kind);
  };

  function apply(p) {
    const parts = p[0] === 'new' ? ['users', 'new'] : p;  // #/admin/new: a new user
    section = more && SECTIONS.includes(parts[0]) ? parts[0] : 'users';
    const id = parts[1] ?? null;
    const back = () => navigate('admin', section);
    draw();
    if (!id) {
      formHost.replaceChildren();
    } else if (section === 'users' && id === 'new') {
      renderUserForm(formHost, state, {
        onCreated: (res) => {
          users = [res.user, ...users.filter((u) => u.id !== res.user.id)];
          otp = { user: res.user, password: res.one_time_password };
          navigate('admin', 'users');
          draw();
        },
        onCancel: back,
      });
    } else if (section === 'teams') {
      renderTeamForm(formHost, state, id === 'new' ? null : teams.find((x) => x.id === id) ?? null, users,
        { onSaved: saved('teams'), onDeleted: deleted('teams'), onCancel: back });
    } else if (section === 'sites') {
      renderSiteForm(formHost, state, id === 'new' ? null : sites.find((x) => x.id === id) ?? null,
        { onSaved: saved('sites'), onDeleted: deleted('sites'), onCancel: back });
    }
    if (id) formHost.scrollIntoView({ block: 'nearest' });
  }

  const offLang = onLangChange(() => apply([section]));
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
