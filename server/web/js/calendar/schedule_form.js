// The schedule form (create or edit): team, weekdays, start time, duration,
// route of sites in walking order, arrival radius, dates and exceptions.
// Saves through POST/PUT /api/v1/schedules; the server plans the rounds.

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { dateIn } from '../dates.js';
import { errorText } from '../errors.js';

const LABELS = () => ({
  team_id: t('sch.team'), name: t('sch.name'), weekdays: t('sch.weekdays'), start_time: t('sch.start_time'),
  duration_min: t('sch.duration'), tz: t('sch.tz'), route: t('sch.route'), geofence_m: t('sch.geofence'),
  starts_on: t('sch.starts_on'), ends_on: t('sch.ends_on'), exceptions: t('sch.exceptions'),
});

function field(label, input, extra) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, extra);
}

// Renders into el; onSaved(schedule) after a save, onDeleted() after a delete.
export function renderScheduleForm(el, state, existing, { onSaved, onDeleted }) {
  const teams = [...state.teams.values()].sort((a, b) => a.name.localeCompare(b.name, 'zh'));
  if (!teams.length) {
    el.replaceChildren(h('p', { class: 'empty' }, t('sch.no_teams')));
    return;
  }
  const s = existing ?? {
    team_id: teams[0].id, name: '', weekdays: [1, 3, 5], start_time: '19:00', duration_min: 120,
    tz: 'Asia/Shanghai', route: [], geofence_m: 50, starts_on: dateIn(), ends_on: null, exceptions: [],
  };
  const route = [...(s.route ?? [])];
  const exceptions = (s.exceptions ?? []).map((x) => ({ ...x }));

  const team = h('select', { id: 'sch-team', name: 'team_id' },
    teams.map((x) => h('option', { value: x.id, selected: x.id === s.team_id }, x.name)));
  const name = h('input', { id: 'sch-name', name: 'name', maxlength: 256, value: s.name ?? '', placeholder: t('sch.name_ph') });
  const days = h('div', { class: 'weekday-picks', role: 'group', 'aria-label': t('sch.weekdays') },
    [1, 2, 3, 4, 5, 6, 7].map((d) => h('label', { class: 'pick' },
      h('input', { type: 'checkbox', name: 'weekday', value: d, checked: s.weekdays.includes(d) }),
      h('span', {}, t(`wd.${d}`)))));
  const start = h('input', { id: 'sch-start', name: 'start_time', type: 'time', required: true, value: s.start_time });
  const duration = h('input', { id: 'sch-duration', name: 'duration_min', type: 'number', min: 1, max: 1440, step: 1, required: true, value: s.duration_min });
  const tz = h('input', { id: 'sch-tz', name: 'tz', value: s.tz ?? 'Asia/Shanghai', maxlength: 64 });
  const geofence = h('input', { id: 'sch-geofence', name: 'geofence_m', type: 'number', min: 1, max: 5000, step: 1, value: s.geofence_m ?? 50 });
  const startsOn = h('input', { id: 'sch-starts-on', name: 'starts_on', type: 'date', value: s.starts_on ?? dateIn() });
  const endsOn = h('input', { id: 'sch-ends-on', name: 'ends_on', type: 'date', value: s.ends_on ?? '' });
  const routeList = h('ol', { class: 'route-edit', id: 'sch-route' });
  const addSite = h('select', { id: 'sch-add-site', 'aria-label': t('sch.add_site') });
  const exList = h('div', { class: 'exceptions', id: 'sch-exceptions' });
  const error = h('p', { class: 'error', id: 'sch-error', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'sch-save' }, t('common.save'));

  // the sites of the chosen team's village (or of the whole scope)
  const sitesOfTeam = () => {
    const tm = state.teams.get(team.value);
    return [...state.sites.values()]
      .filter((x) => !tm || state.orgChain(x.org_unit_id).some((o) => String(o.id) === String(tm.org_unit_id)))
      .sort((a, b) => a.name.localeCompare(b.name, 'zh'));
  };
  function drawRoute() {
    routeList.replaceChildren(...route.map((sid, i) => h('li', { dataset: { siteId: sid } },
      h('span', { class: 'route-name' }, state.sites.get(sid)?.name ?? sid),
      h('button', { type: 'button', class: 'mini-btn', title: t('sch.up'), 'aria-label': t('sch.up'), disabled: i === 0,
        onclick: () => { [route[i - 1], route[i]] = [route[i], route[i - 1]]; drawRoute(); } }, '↑'),
      h('button', { type: 'button', class: 'mini-btn', title: t('sch.down'), 'aria-label': t('sch.down'), disabled: i === route.length - 1,
        onclick: () => { [route[i + 1], route[i]] = [route[i], route[i + 1]]; drawRoute(); } }, '↓'),
      h('button', { type: 'button', class: 'mini-btn', title: t('sch.remove'), 'aria-label': t('sch.remove'),
        onclick: () => { route.splice(i, 1); drawRoute(); } }, '✕'))));
    if (!route.length) routeList.append(h('li', { class: 'muted' }, t('sch.no_route')));
    const left = sitesOfTeam().filter((x) => !route.includes(x.id));
    addSite.replaceChildren(h('option', { value: '' }, t('sch.add_site')),
      ...left.map((x) => h('option', { value: x.id }, `${x.name} · ${t(`cat.${x.category}`)}`)));
    addSite.disabled = !left.length;
  }
  addSite.addEventListener('change', () => {
    if (addSite.value) route.push(addSite.value);
    drawRoute();
  });
  team.addEventListener('change', drawRoute);

  function drawExceptions() {
    exList.replaceChildren(...exceptions.map((x, i) => {
      const date = h('input', { type: 'date', value: x.date ?? '', 'aria-label': t('sch.ex_date'), onchange: (e) => { x.date = e.target.value; } });
      const action = h('select', { 'aria-label': t('sch.ex_action'), onchange: (e) => { x.action = e.target.value; drawExceptions(); } },
        h('option', { value: 'cancel', selected: x.action !== 'move' }, t('sch.ex_cancel')),
        h('option', { value: 'move', selected: x.action === 'move' }, t('sch.ex_move')));
      const time = x.action === 'move'
        ? h('input', { type: 'time', value: x.start_time ?? '', 'aria-label': t('sch.ex_time'), onchange: (e) => { x.start_time = e.target.value; } })
        : null;
      return h('div', { class: 'exception-row' }, date, action, time,
        h('button', { type: 'button', class: 'mini-btn', 'aria-label': t('sch.remove'), title: t('sch.remove'),
          onclick: () => { exceptions.splice(i, 1); drawExceptions(); } }, '✕'));
    }));
  }
  const addEx = h('button', { type: 'button', class: 'link', onclick: () => {
    exceptions.push({ date: dateIn(), action: 'cancel' });
    drawExceptions();
  } }, t('sch.add_exception'));

  const form = h('form', { class: 'form schedule-form', id: 'schedule-form', novalidate: true },
    field(t('sch.team'), team),
    field(t('sch.name'), name),
    h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('sch.weekdays')), days),
    h('div', { class: 'field-row' }, field(t('sch.start_time'), start), field(t('sch.duration'), duration)),
    h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('sch.route')), routeList, addSite),
    h('div', { class: 'field-row' }, field(t('sch.geofence'), geofence), field(t('sch.tz'), tz)),
    h('div', { class: 'field-row' }, field(t('sch.starts_on'), startsOn), field(t('sch.ends_on'), endsOn)),
    h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('sch.exceptions')), exList, addEx),
    error,
    h('div', { class: 'actions' }, save, existing ? deleteButton() : null));

  function deleteButton() {
    const b = h('button', { type: 'button', class: 'danger', id: 'sch-delete' }, t('sch.delete'));
    b.addEventListener('click', async () => {
      if (b.dataset.armed !== 'true') {
        b.dataset.armed = 'true';
        b.textContent = t('common.confirm_again');
        return;
      }
      try {
        await api(`/api/v1/schedules/${encodeURIComponent(existing.id)}`, { method: 'DELETE' });
        state.schedules.delete(existing.id);
        onDeleted();
      } catch (e) {
        error.textContent = errorText(e, { labels: LABELS() });
      }
    });
    return b;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const weekdays = [...days.querySelectorAll('input:checked')].map((x) => Number(x.value));
    if (!weekdays.length) {
      error.textContent = t('sch.need_weekday');
      return;
    }
    const body = {
      team_id: team.value, name: name.value.trim(), weekdays, start_time: start.value,
      duration_min: Number(duration.value), tz: tz.value.trim() || 'Asia/Shanghai', route: [...route],
      geofence_m: Number(geofence.value) || 50, starts_on: startsOn.value || undefined,
      ends_on: endsOn.value || null,
      exceptions: exceptions.filter((x) => x.date).map((x) => (x.action === 'move'
        ? { date: x.date, action: 'move', start_time: x.start_time } : { date: x.date, action: 'cancel' })),
    };
    save.disabled = true;
    save.textContent = t('common.saving');
    try {
      const saved = existing
        ? await api(`/api/v1/schedules/${encodeURIComponent(existing.id)}`, { method: 'PUT', body })
        : await api('/api/v1/schedules', { method: 'POST', body });
      state.schedules.set(saved.id, saved);
      onSaved(saved);
    } catch (e) {
      error.textContent = errorText(e, { labels: LABELS() });
      save.disabled = false;
      save.textContent = t('common.save');
    }
  });
  drawRoute();
  drawExceptions();
  el.replaceChildren(form);
}
