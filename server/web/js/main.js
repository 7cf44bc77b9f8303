// Boot: language, login, then the shared context (state + live feed + SOS
// alarm) and the router that mounts one view module at a time.
// New pages register here: register(name, {title, load: () => import(…), nav: true}).

import * as api from './api.js';
import { h } from './dom.js';
import { currentLang, onLangChange, setLang, setTimeZone, t, translate } from './i18n.js';
import { LiveClient } from './live.js';
import { roleRank } from './roles.js';
import { register, routeDef, routeNames, start, stop } from './router.js';
import { SosAlarm } from './sos.js';
import { State } from './state.js';

register('map', { title: 'nav.map', load: () => import('./views/map.js'), nav: true });
register('calendar', { title: 'nav.calendar', load: () => import('./views/calendar.js'), nav: true });
register('hazards', { title: 'nav.hazards', load: () => import('./views/hazards.js'), nav: true });
register('overview', { title: 'nav.overview', load: () => import('./views/overview.js'), nav: true });
register('admin', { title: 'nav.admin', load: () => import('./views/admin.js'), nav: true, allow: (me) => roleRank(me?.role) >= roleRank('village_admin') });

const $ = (id) => document.getElementById(id);
let ctx = null;
let activeRoute = null;

function renderHeader() {
  $('lang').textContent = t('lang.switch');
  $('lang').title = t('lang.switch_title');
  $('logout').textContent = t('logout');
  // The pages: in the top bar on a laptop, a bottom tab bar on a phone
  // (app.css shows one of the two), so every page is one tap away.
  const names = routeNames().filter((n) => routeDef(n).nav && (!routeDef(n).allow || routeDef(n).allow(ctx?.state?.me)));
  const links = (cls) => names.map((n) => h('a', {
    href: `#/${n}`, class: `${cls}${n === activeRoute ? ' active' : ''}`, dataset: { route: n },
    'aria-current': n === activeRoute ? 'page' : null,
  }, h('span', { class: `nav-icon nav-icon-${n}`, 'aria-hidden': 'true' }), h('span', { class: 'nav-label' }, t(routeDef(n).title))));
  const nav = $('nav');
  nav.replaceChildren(...links('nav-link'));
  nav.hidden = !ctx || names.length < 2;
  const bar = $('tabbar');
  bar.replaceChildren(...links('tab-link'));
  bar.hidden = nav.hidden;
  bar.setAttribute('aria-label', t('nav.pages'));
  document.body.classList.toggle('signed-in', !!ctx);
  if (ctx) setConn(ctx.connState ?? 'connecting');
  document.title = t('app.title') + (currentLang() === 'en' ? '' : ' Patrol');
}

function setConn(state) {
  const el = $('conn');
  el.hidden = false;
  el.dataset.state = state;
  el.textContent = t(`conn.${state}`);
  document.body.dataset.live = state;  // read by the browser tests
}

async function showLogin() {
  stop();
  ctx = null;
  for (const id of ['logout', 'conn', 'sound', 'tabbar']) $(id).hidden = true;
  renderHeader();
  const { mount } = await import('./views/login.js');
  mount($('view'), { onLoggedIn: () => startApp() });
}

// Loads what the map needs now; trails follow without blocking the first paint.
async function loadRest(state) {
  const [positions, inspections, alerts] = await Promise.all([
    api.listAll('/api/v1/positions/latest').catch(() => []),
    api.listPage('/api/v1/inspections', { limit: 50 }).catch(() => []),
    api.listPage('/api/v1/alerts', { limit: 50 }).catch(() => []),
  ]);
  for (const p of positions) state.setPosition(p, { trail: false });
  for (const i of inspections) state.addInspection(i, { live: false });
  for (const a of alerts) state.alerts.set(a.id, a);
}

// The trail of each volunteer since their team's round started (or the last 3 h).
async function loadTrails(state) {
  const now = Date.now();
  const started = new Map();
  for (const r of state.rounds.values()) {
    if (r.state === 'in_progress' && r.starts_at) started.set(r.team_id, Date.parse(r.starts_at));
  }
  await Promise.all([...state.positions.keys()].map(async (userId) => {
    const team = state.teamOf(userId);
    const from = Math.min(started.get(team?.id) ?? Infinity, now - 3 * 3600 * 1000);
    try {
      const pts = await api.getTrack(userId, new Date(from).toISOString());
      state.addTrailPoints(userId, pts.map((p) => [Date.parse(p.t), p.lat, p.lon]));
    } catch { /* no track: the marker alone */ }
  }));
  state.emit('trails');
}

// Polling fallback (a patrold whose live feed answers no subscribe).
async function poll(state) {
  const [positions, inspections, hazards, alerts] = await Promise.all([
    api.listAll('/api/v1/positions/latest'),
    api.listPage('/api/v1/inspections', { limit: 50 }),
    api.listAll('/api/v1/hazards'),
    api.listPage('/api/v1/alerts', { limit: 50 }),
  ]);
  for (const p of positions) state.setPosition(p, { trail: true });
  for (const i of inspections.reverse()) state.addInspection(i, { live: true });
  for (const x of hazards) state.hazards.set(x.id, x);
  for (const a of alerts) state.alerts.set(a.id, a);
  state.recountHazards();
  state.emit('poll');
}

async function startApp() {
  const session = api.currentSession();
  if (!session) return showLogin();
  const state = new State();
  const view = $('view');
  view.replaceChildren(h('div', { class: 'loading' }, '…'));
  let config = {};
  try {
    state.me = await api.api('/api/v1/me');
    let pulled;
    [pulled, config] = await Promise.all([api.pullAll(), api.dashboardConfig()]);
    state.applyPull(pulled.entities);
    setTimeZone(config.tz ?? [...state.schedules.values()][0]?.tz);
    await loadRest(state);
  } catch (e) {
    if (!api.currentSession()) return showLogin();
    view.replaceChildren(h('p', { class: 'page-error' }, t('error.generic', { message: e.message })));
    return;
  }
  ctx = { state, config, api, connState: 'connecting' };
  ctx.live = new LiveClient({
    token: () => api.token(),
    orgUnitId: state.me.org_unit_id,
    lastSeq: () => state.seq,
    onSnapshot: (msg) => state.applySnapshot(msg),
    onEvent: (ev) => state.applyEvent(ev),
    onPoll: () => poll(state),
    onAuthClose: () => api.api('/api/v1/me').catch(() => {}),  // a 401 there signs out
    onState: (s) => { ctx.connState = s; setConn(s); },
  });
  ctx.sos = new SosAlarm(state, $('sos-banner'), $('sound'));
  $('logout').hidden = false;
  renderHeader();
  ctx.live.start();
  loadTrails(state);
  if (!location.hash) location.hash = '#/map';
  start(view, ctx);
}

function teardown() {
  ctx?.live?.stop();
  ctx?.sos?.stop();
}

api.onSignedOut(() => {
  teardown();
  showLogin();
});

$('lang').addEventListener('click', () => setLang(currentLang() === 'en' ? 'zh' : 'en'));
$('logout').addEventListener('click', () => api.logout());
onLangChange(renderHeader);
document.addEventListener('patrol:route', (e) => {
  activeRoute = e.detail.name;
  document.body.dataset.route = activeRoute;
  for (const a of [...$('nav').children, ...$('tabbar').children]) {
    a.classList.toggle('active', a.dataset.route === activeRoute);
    if (a.dataset.route === activeRoute) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
});

setLang(currentLang());
translate();
if (api.currentSession()) startApp();
else showLogin();
