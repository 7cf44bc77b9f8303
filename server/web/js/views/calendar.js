// The round calendar: a week of rounds per team with their state, the
// schedules they come from, a round's progress in a drawer, and the schedule
// form for team leaders and admins.
// URL: #/calendar[/MONDAY[/round/ID | /schedule/ID | /schedule/new]]

import '../words/calendar.js';
import { api, listAll } from '../api.js';
import { h } from '../dom.js';
import { onLangChange, t } from '../i18n.js';
import { addDays, dateIn, dayLabel, isDate, weekStart } from '../dates.js';
import { drawer } from '../drawer.js';
import { errorText } from '../errors.js';
import { mayPlanRounds } from '../roles.js';
import { navigate } from '../router.js';
import { renderRound } from '../calendar/round_panel.js';
import { renderScheduleForm } from '../calendar/schedule_form.js';
import { renderWeek, stateLegend } from '../calendar/week.js';

export async function mount(container, ctx, params) {
  const { state } = ctx;
  const planner = mayPlanRounds(state.me?.role);
  let monday = weekStart(dateIn());
  let rounds = [];
  let team = '';
  let open = null;  // {kind: 'round'|'schedule', id}
  let loadSeq = 0;

  const title = h('h1', { class: 'page-title' });
  const range = h('span', { class: 'week-range', id: 'week-range' });
  const prev = h('button', { type: 'button', class: 'nav-btn', id: 'week-prev', onclick: () => go(addDays(monday, -7)) }, '‹');
  const next = h('button', { type: 'button', class: 'nav-btn', id: 'week-next', onclick: () => go(addDays(monday, 7)) }, '›');
  const thisWeek = h('button', { type: 'button', class: 'secondary', id: 'week-today', onclick: () => go(weekStart(dateIn())) });
  const teamSel = h('select', { id: 'cal-team' });
  teamSel.addEventListener('change', () => { team = teamSel.value; draw(); });
  const newBtn = planner ? h('button', { type: 'button', class: 'primary small', id: 'new-schedule', onclick: () => navigate('calendar', monday, 'schedule', 'new') }) : null;
  const grid = h('div', { class: 'cal-week', id: 'cal-week' });
  const status = h('p', { class: 'page-error', role: 'alert', hidden: true });
  const schedTitle = h('h2', { class: 'section-title' });
  const schedList = h('ul', { class: 'schedule-list', id: 'schedule-list' });
  const panel = drawer('cal-drawer', () => navigate('calendar', monday));
  panel.el.hidden = true;
  const legend = h('div');
  const page = h('div', { class: 'page calendar-page' },
    h('div', { class: 'page-head' }, title,
      h('div', { class: 'toolbar' }, h('div', { class: 'week-nav' }, prev, range, next), thisWeek, teamSel, newBtn)),
    status, grid, legend,
    h('section', { class: 'schedules' }, schedTitle, schedList));
  container.replaceChildren(h('div', { class: 'page-wrap' }, page, panel.el));

  const teamName = (id) => state.teams.get(id)?.name ?? '';

  function words() {
    title.textContent = t('cal.title');
    prev.title = t('cal.prev');
    prev.setAttribute('aria-label', t('cal.prev'));
    next.title = t('cal.next');
    next.setAttribute('aria-label', t('cal.next'));
    thisWeek.textContent = t('cal.this_week');
    teamSel.setAttribute('aria-label', t('cal.team'));
    if (newBtn) newBtn.textContent = t('cal.new_schedule');
    schedTitle.textContent = t('cal.schedules');
    legend.replaceChildren(stateLegend());
    draw();
  }

  function draw() {
    range.textContent = t('cal.week_of', { from: dayLabel(monday, { month: 'short', day: 'numeric' }), to: dayLabel(addDays(monday, 6), { month: 'short', day: 'numeric' }) });
    const teams = [...state.teams.values()];
    teamSel.replaceChildren(h('option', { value: '' }, t('cal.all_teams')),
      ...teams.map((x) => h('option', { value: x.id, selected: x.id === team }, x.name)));
    teamSel.hidden = teams.length < 2;
    renderWeek(grid, {
      monday, today: dateIn(), teamName,
      rounds: rounds.filter((r) => !team || r.team_id === team),
      onOpen: (r) => navigate('calendar', monday, 'round', r.id),
    });
    drawSchedules();
  }

  function drawSchedules() {
    const list = [...state.schedules.values()].filter((s) => !team || s.team_id === team);
    if (!list.length) {
      schedList.replaceChildren(h('li', { class: 'empty' }, t('cal.no_schedules')));
      return;
    }
    schedList.replaceChildren(...list.map((s) => h('li', { class: 'schedule-card', dataset: { scheduleId: s.id } },
      h('div', { class: 'schedule-main' },
        h('strong', {}, s.name || teamName(s.team_id)),
        h('div', { class: 'muted' }, teamName(s.team_id)),
        h('div', {}, t('cal.every', {
          days: [...s.weekdays].sort().map((d) => t(`wd.${d}`)).join(t('wd.sep')),
          time: s.start_time, min: s.duration_min,
        }), ' · ', t('cal.sites_n', { n: s.route?.length ?? 0 }))),
      planner ? h('button', { type: 'button', class: 'secondary small', onclick: () => navigate('calendar', monday, 'schedule', s.id) }, t('common.edit')) : null)));
  }

  async function load() {
    const seq = ++loadSeq;
    try {
      const [items, schedules] = await Promise.all([
        listAll('/api/v1/rounds', { from: monday, to: addDays(monday, 6) }),
        listAll('/api/v1/schedules'),
      ]);
      // a round going on: its progress computed now (the list has the stored copy)
      // (at most 20 of them: a city's evening has hundreds)
      const live = await Promise.all(items.filter((r) => r.state === 'in_progress').slice(0, 20)
        .map((r) => api(`/api/v1/rounds/${encodeURIComponent(r.id)}`).catch(() => null)));
      for (const r of live) if (r) Object.assign(items.find((x) => x.id === r.id), r);
      if (seq !== loadSeq) return;
      rounds = items;
      for (const r of items) state.rounds.set(r.id, { ...state.rounds.get(r.id), ...r });
      state.schedules.clear();
      for (const s of schedules) state.schedules.set(s.id, s);
      status.hidden = true;
    } catch (e) {
      if (seq !== loadSeq) return;
      status.textContent = t('cal.load_failed', { message: errorText(e) });
      status.hidden = false;
    }
    draw();
    document.body.dataset.calendarReady = monday;
  }

  function go(m) { navigate('calendar', m); }

  async function showPanel() {
    if (!open) {
      panel.el.hidden = true;
      document.body.classList.remove('drawer-open');
      return;
    }
    panel.el.hidden = false;
    document.body.classList.add('drawer-open');
    if (open.kind === 'round') {
      panel.setTitle(t('cal.round'));
      await renderRound(panel.body, state, open.id, {
        onMap: (r) => navigate('map', 'site', (r.route ?? [])[0] ?? ''),
      });
    } else {
      const existing = open.id === 'new' ? null : state.schedules.get(open.id);
      panel.setTitle(t(existing ? 'sch.edit' : 'sch.new'));
      renderScheduleForm(panel.body, state, existing, {
        onSaved: (s) => {
          const first = s.starts_on && s.starts_on > dateIn() ? weekStart(s.starts_on) : monday;
          navigate('calendar', first);
          if (first === monday) load();
        },
        onDeleted: () => { navigate('calendar', monday); load(); },
      });
    }
  }

  async function apply(p) {
    const week = isDate(p[0]) ? weekStart(p[0]) : weekStart(dateIn());
    const changed = week !== monday;
    monday = week;
    open = p[1] === 'round' || p[1] === 'schedule' ? { kind: p[1], id: p[2] } : null;
    if (changed || !rounds.length) {
      draw();
      load();
    }
    showPanel();
  }

  // A round changing state (started, missed, finished) updates its card.
  let refresh = null;
  const onChange = (e) => {
    const going = rounds.some((x) => x.state === 'in_progress');
    if (e.detail.kind === 'inspection' && going) {  // a site visited: progress moved
      clearTimeout(refresh);
      refresh = setTimeout(load, 3000);
      return;
    }
    if (e.detail.kind !== 'round' && e.detail.kind !== 'reset') return;
    const r = e.detail.data;
    if (r?.id && rounds.some((x) => x.id === r.id)) {
      rounds = rounds.map((x) => (x.id === r.id ? { ...x, ...r } : x));
      draw();
    }
    clearTimeout(refresh);
    refresh = setTimeout(load, 2000);
  };
  state.addEventListener('change', onChange);
  const offLang = onLangChange(() => { words(); showPanel(); });

  monday = '';
  words();
  await apply(params);
  return {
    update: (p) => apply(p),
    unmount() {
      state.removeEventListener('change', onChange);
      offLang();
      clearTimeout(refresh);
      document.body.classList.remove('drawer-open');
      delete document.body.dataset.calendarReady;
    },
  };
}
