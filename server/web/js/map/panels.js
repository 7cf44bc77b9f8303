// The side panels of the live map: tonight's rounds and the feed of reports.
// Both are pure renders of State into a container, called again on change.

import { h } from '../dom.js';
import { age, clock, currentLang, t, timeZone } from '../i18n.js';

// Today's date in the rounds' time zone (rounds are dated in Asia/Shanghai).
export function todayIn(tz = timeZone()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
}

// progress {sites_planned, sites_visited}: the server's when it sends one,
// otherwise counted here from the schedule's route and the reports seen.
function progressOf(state, r) {
  const route = r.route ?? state.schedules.get(r.schedule_id)?.route ?? [];
  // a progress without its planned sites (a live snapshot's round) is not one
  if (r.progress && typeof r.progress.sites_planned === 'number' && (r.progress.sites_planned > 0 || !route.length)) return r.progress;
  const from = Date.parse(r.starts_at);
  const visited = new Set();
  for (const i of state.inspections.values()) {
    if (i.round_id === r.id || (route.includes(i.site_id) && Date.parse(i.received_at) >= from &&
        (r.state === 'in_progress' || Date.parse(i.received_at) <= Date.parse(r.ends_at)))) {
      visited.add(i.site_id);
    }
  }
  return { sites_planned: route.length, sites_visited: visited.size };
}

export function renderRounds(el, state, filter, onSelect) {
  const today = todayIn();
  const rounds = [...state.rounds.values()]
    .filter((r) => (r.date === today || r.state === 'in_progress') && filter({ org_unit_id: r.org_unit_id, kind: 'round', team_id: r.team_id }))
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
  const out = [];
  if (rounds.length === 0) out.push(h('p', { class: 'empty' }, t('rounds.none')));
  for (const r of rounds) {
    const team = state.teams.get(r.team_id);
    const sched = state.schedules.get(r.schedule_id);
    const p = progressOf(state, r);
    const pct = p.sites_planned ? Math.round((100 * p.sites_visited) / p.sites_planned) : 0;
    const members = team?.members ?? [];
    const rows = members.map((m) => {
      const pos = state.positions.get(m.user_id);
      const pres = state.presence.get(m.user_id);
      const online = pres ? pres.online : pos && Date.now() - Date.parse(pos.t) < 10 * 60000;
      // last seen: the newer of the last position and the last sync (a phone
      // that syncs without sharing its position is still seen)
      const seen = [pos?.t, pres?.t].filter(Boolean).sort((a, b) => Date.parse(b) - Date.parse(a))[0];
      return h('li', {
        class: `member ${online ? 'online' : 'offline'}`,
        onclick: pos ? () => onSelect({ type: 'volunteer', id: m.user_id }) : null,
        tabindex: pos ? '0' : null,
      },
      h('span', { class: 'dot' }),
      h('span', { class: 'member-name' }, m.name, m.role === 'leader' ? ` · ${t('role.team_leader')}` : ''),
      h('span', { class: 'member-seen' }, seen ? t('rounds.last_seen', { age: age(seen) }) : '—'));
    });
    out.push(h('article', { class: `round-card state-${r.state}`, dataset: { roundId: r.id } },
      h('header', {},
        h('strong', {}, team?.name ?? sched?.name ?? ''),
        h('span', { class: `chip state-${r.state}` }, t(`round.${r.state}`))),
      h('div', { class: 'round-meta' },
        `${clock(r.starts_at)}–${clock(r.ends_at)} · ${state.orgName(r.org_unit_id)}`,
        r.progress?.distance_m ? ` · ${t('rounds.distance', { km: (r.progress.distance_m / 1000).toFixed(1) })}` : ''),
      h('div', { class: 'progress', role: 'progressbar', 'aria-valuenow': String(pct), 'aria-valuemin': '0', 'aria-valuemax': '100' },
        h('div', { class: 'bar', dataset: { pct: String(pct) } })),
      h('div', { class: 'round-progress' }, t('rounds.progress', { visited: p.sites_visited, planned: p.sites_planned })),
      members.length ? h('div', { class: 'members-title' }, t('rounds.on_duty')) : null,
      h('ul', { class: 'members' }, rows)));
  }
  // Volunteers seen tonight who are on no listed round (other teams, trackers).
  const listed = new Set(rounds.flatMap((r) => state.teams.get(r.team_id)?.members?.map((m) => m.user_id) ?? []));
  const others = [...state.positions.values()]
    .filter((p) => !listed.has(p.user_id) && filter({ org_unit_id: p.org_unit_id, kind: 'volunteer', user_id: p.user_id }))
    .sort((a, b) => Date.parse(b.t) - Date.parse(a.t));
  if (others.length) {
    out.push(h('div', { class: 'members-title' }, t('rounds.on_duty')));
    out.push(h('ul', { class: 'members' }, others.map((p) => h('li', {
      class: 'member', tabindex: '0', onclick: () => onSelect({ type: 'volunteer', id: p.user_id }),
    }, h('span', { class: 'dot' }), h('span', { class: 'member-name' }, p.name || state.userName(p.user_id)),
    h('span', { class: 'member-seen' }, t('rounds.last_seen', { age: age(p.t) }))))));
  }
  el.replaceChildren(...out);
  // widths set through CSSOM (no inline style attributes: CSP-friendly)
  for (const bar of el.querySelectorAll('.bar')) bar.style.width = `${bar.dataset.pct}%`;
}

export function renderFeed(el, state, filter, onSelect, newIds = new Set()) {
  const lang = currentLang();
  const items = state.feed.map((id) => state.inspections.get(id)).filter((i) => i && filter({ org_unit_id: i.org_unit_id, kind: 'inspection', user_id: i.user_id, site_id: i.site_id }));
  if (items.length === 0) {
    el.replaceChildren(h('p', { class: 'empty' }, t('feed.none')));
    return;
  }
  el.replaceChildren(h('ul', { class: 'feed' }, items.slice(0, 100).map((i) => {
    const site = state.sites.get(i.site_id);
    const failing = (i.items ?? []).filter((x) => x.result === 'hazard');
    return h('li', {
      class: `feed-item${failing.length ? ' has-hazard' : ''}${newIds.has(i.id) ? ' fresh' : ''}`,
      dataset: { inspectionId: i.id }, tabindex: '0',
      onclick: () => onSelect({ type: 'inspection', id: i.id }),
      onkeydown: (e) => { if (e.key === 'Enter') onSelect({ type: 'inspection', id: i.id }); },
    },
    h('div', { class: 'feed-head' },
      h('strong', { class: 'feed-site' }, site?.name ?? i.site_id),
      h('span', { class: 'feed-age', title: clock(i.received_at) }, age(i.received_at))),
    h('div', { class: 'feed-meta' }, state.userName(i.user_id) || '', site ? ` · ${state.orgName(site.org_unit_id)}` : ''),
    failing.length
      ? h('div', { class: 'feed-failing' }, failing.map((x) => h('span', { class: 'chip hazard' }, state.itemLabel(x.code, lang))))
      : h('div', { class: 'feed-ok' }, t('feed.all_ok')),
    i.note || failing.some((x) => x.note)
      ? h('div', { class: 'feed-note' }, [i.note, ...failing.map((x) => x.note)].filter(Boolean).join(' · '))
      : null);
  })));
}
