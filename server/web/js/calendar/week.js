// The week grid: one column per day (a list of days on a phone), each round
// a card with its team, time and state in colour and in words.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { addDays, dayLabel, hhmm } from '../dates.js';

export const ROUND_STATES = ['planned', 'in_progress', 'completed', 'missed', 'cancelled'];

export function renderWeek(el, { monday, today, rounds, teamName, onOpen }) {
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  const byDay = new Map(days.map((d) => [d, []]));
  for (const r of rounds) byDay.get(r.date)?.push(r);
  el.replaceChildren(...days.map((d) => {
    const list = byDay.get(d).sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
    return h('div', { class: `cal-day${d === today ? ' today' : ''}`, dataset: { date: d } },
      h('div', { class: 'cal-day-head' },
        h('span', { class: 'cal-wd' }, dayLabel(d, { weekday: 'short' })),
        h('span', { class: 'cal-date' }, dayLabel(d, { month: 'short', day: 'numeric' })),
        d === today ? h('span', { class: 'chip today-chip' }, t('cal.today')) : null),
      list.length
        ? h('ul', { class: 'cal-rounds' }, list.map((r) => h('li', {},
          h('button', {
            type: 'button', class: `cal-round state-${r.state}`, dataset: { roundId: r.id, state: r.state },
            onclick: () => onOpen(r),
          },
          h('span', { class: 'cal-round-time' }, `${hhmm(r.starts_at)}–${hhmm(r.ends_at)}`),
          h('span', { class: 'cal-round-team' }, teamName(r.team_id)),
          h('span', { class: `chip state-${r.state}` }, t(`round.${r.state}`)),
          r.progress?.sites_planned && !['planned', 'cancelled'].includes(r.state) ? h('span', { class: 'cal-round-progress' },
            t('rounds.progress', { visited: r.progress.sites_visited, planned: r.progress.sites_planned })) : null))))
        : h('p', { class: 'cal-empty' }, t('cal.no_rounds')));
  }));
}

// The colour key under the grid (each state also says its name on the card).
export function stateLegend() {
  return h('div', { class: 'cal-legend', 'aria-label': t('cal.legend') },
    ROUND_STATES.map((s) => h('span', { class: `chip state-${s}` }, t(`round.${s}`))));
}
