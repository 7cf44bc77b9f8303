// One round in the drawer: state, times, progress (sites visited of planned,
// distance, duration, members present) and its route with each site visited
// or not, from GET /api/v1/rounds/{id} (progress computed by the server now).

import { api, download } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { dayLabel, hhmm } from '../dates.js';
import { errorText } from '../errors.js';

function row(label, ...value) {
  return h('div', { class: 'kv' }, h('span', { class: 'k' }, label), h('span', { class: 'v' }, ...value));
}

export async function renderRound(el, state, id, { onMap }) {
  el.replaceChildren(h('p', { class: 'muted' }, t('common.loading')));
  let r;
  try {
    r = await api(`/api/v1/rounds/${encodeURIComponent(id)}`);
  } catch (e) {
    el.replaceChildren(h('p', { class: 'page-error' }, errorText(e)));
    return null;
  }
  state.rounds.set(r.id, { ...state.rounds.get(r.id), ...r });
  const p = r.progress ?? { sites_planned: 0, sites_visited: 0, distance_m: 0 };
  const pct = p.sites_planned ? Math.round((100 * p.sites_visited) / p.sites_planned) : 0;
  const team = state.teams.get(r.team_id);
  const sched = state.schedules.get(r.schedule_id);
  const visited = new Set(r.visited_site_ids ?? []);
  const route = r.route ?? sched?.route ?? [];
  const present = (r.members_present ?? []).map((u) => state.userName(u) || u);
  const error = h('p', { class: 'error', role: 'alert' });
  const bar = h('div', { class: 'bar' });
  bar.style.width = `${pct}%`;
  el.replaceChildren(h('div', { class: `round-detail state-${r.state}`, dataset: { roundId: r.id, state: r.state } },
    row(t('cal.team'), team?.name ?? r.team_id),
    sched?.name ? row(t('cal.round'), sched.name) : null,
    row(t('cal.time'), `${dayLabel(r.date)} ${hhmm(r.starts_at)}–${hhmm(r.ends_at)}`),
    row(t('cal.state'), h('span', { class: `chip state-${r.state}` }, t(`round.${r.state}`))),
    row(t('cal.progress'), h('span', { class: 'round-progress-text' },
      t('rounds.progress', { visited: p.sites_visited, planned: p.sites_planned }))),
    h('div', { class: 'progress', role: 'progressbar', 'aria-valuenow': String(pct), 'aria-valuemin': '0', 'aria-valuemax': '100' }, bar),
    row(t('cal.distance'), t('rounds.distance', { km: ((p.distance_m ?? 0) / 1000).toFixed(1) })),
    r.duration_s ? row(t('cal.duration'), t('cal.minutes', { n: Math.round(r.duration_s / 60) })) : null,
    row(t('cal.members_present'), present.length ? present.join('、') : t('cal.nobody')),
    r.open_hazard_ids?.length ? h('p', { class: 'warn-line' }, t('cal.open_hazards', { n: r.open_hazard_ids.length })) : null,
    h('h3', {}, t('cal.route')),
    h('ol', { class: 'route-list' }, route.map((sid) => {
      const s = state.sites.get(sid);
      const ok = visited.has(sid);
      return h('li', { class: ok ? 'visited' : 'todo', dataset: { siteId: sid } },
        h('span', { class: 'route-mark', 'aria-hidden': 'true' }, ok ? '✓' : '○'),
        h('span', { class: 'route-name' }, s?.name ?? sid),
        h('span', { class: 'route-state' }, ok ? t('cal.visited') : t('cal.not_visited')));
    })),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => onMap(r) }, t('cal.on_map')),
      r.state !== 'planned' && r.state !== 'cancelled'
        ? h('button', {
          type: 'button', class: 'secondary',
          onclick: () => download(`/api/v1/rounds/${encodeURIComponent(r.id)}/track.gpx`).catch((e) => { error.textContent = errorText(e); }),
        }, t('cal.gpx')) : null),
    error));
  return r;
}
