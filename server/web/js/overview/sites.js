// The overview's last drill-down level: a village's sites (GET /api/v1/overview's
// `site_details`), sortable (open hazards first by default), each row linking
// to the site on the live map and to its hazards on the hazard board. A table
// on a desk, one card per site on a phone (pages.css). Each number carries
// data-col / data-value so tests compare it with the API.

import { h } from '../dom.js';
import { age, clock, t } from '../i18n.js';

// Sort keys: [value of a site, descending by default?]
const KEYS = {
  open: [(s) => s.open_hazards, true],
  overdue: [(s) => s.overdue_hazards, true],
  inspections: [(s) => s.inspections, false],
  last: [(s) => (s.last_inspected_at ? Date.parse(s.last_inspected_at) : -Infinity), false],
  rounds: [(s) => (s.rounds.planned ? s.rounds.visited / s.rounds.planned : Infinity), false],
  name: [(s) => s.name, false],
};

// The sort survives reloads of the same page (a new period, a language change).
const sort = { key: 'open', desc: true };

function sorted(sites) {
  const [value] = KEYS[sort.key];
  const dir = sort.desc ? -1 : 1;
  return sites.map((s, i) => [s, i]).sort(([a, i], [b, j]) => {
    const x = value(a);
    const y = value(b);
    const c = typeof x === 'string' ? x.localeCompare(y, 'zh-CN') : (x > y) - (x < y);
    return c ? c * dir : i - j;  // ties keep the server's order (worst first)
  }).map(([s]) => s);
}

export function renderSites(el, sites, { period }) {
  const draw = () => renderSites(el, sites, { period });
  const setSort = (key) => {
    if (sort.key === key) sort.desc = !sort.desc;
    else { sort.key = key; [, sort.desc] = KEYS[key]; }
    draw();
  };
  const picker = h('select', {
    id: 'ov-site-sort', 'aria-label': t('ov.site_sort'),
    onchange: (e) => { sort.key = e.target.value; [, sort.desc] = KEYS[sort.key]; draw(); },
  }, ['open', 'overdue', 'last', 'inspections', 'rounds', 'name'].map((k) => h('option', { value: k, selected: sort.key === k }, t(`ov.site_sort_${k}`))));
  if (!sites.length) {
    el.replaceChildren(h('p', { class: 'empty' }, t('ov.no_sites')));
    return;
  }
  const head = (key, label, cls = '') => {
    const on = sort.key === key;
    return h('th', { scope: 'col', class: cls, 'aria-sort': on ? (sort.desc ? 'descending' : 'ascending') : 'none' },
      h('button', { type: 'button', class: 'link sort', dataset: { sort: key }, onclick: () => setSort(key) },
        label, on ? (sort.desc ? ' ↓' : ' ↑') : ''));
  };
  const num = (col, label, value, shown = String(value), tone = '') => h('td', {
    dataset: { col, value: String(value), label }, class: tone,
  }, shown);
  const last = (s) => (s.last_inspected_at ? `${clock(s.last_inspected_at)}（${age(s.last_inspected_at)}）` : t('ov.never'));
  const rows = sorted(sites).map((s) => {
    const uncovered = s.inspections === 0;
    return h('tr', {
      dataset: { siteId: s.id },
      class: [s.overdue_hazards ? 'has-overdue' : '', s.open_hazards ? 'has-open' : '', uncovered ? 'uncovered' : ''].filter(Boolean).join(' '),
    },
    h('th', { scope: 'row' },
      h('span', { class: 'site-name' }, s.name),
      h('span', { class: 'chip' }, t(`cat.${s.category}`))),
    num('open_hazards', t('ov.site_open'), s.open_hazards, undefined, s.open_hazards ? 'n-warn' : ''),
    num('overdue_hazards', t('ov.col_overdue'), s.overdue_hazards, undefined, s.overdue_hazards ? 'n-bad' : ''),
    num('inspections', t('ov.site_inspections'), s.inspections, undefined, uncovered ? 'n-bad' : ''),
    h('td', { class: 'last', dataset: { col: 'last_inspected_at', value: s.last_inspected_at ?? '', label: t('ov.site_last') } }, last(s)),
    num('rounds', t('ov.site_rounds'), `${s.rounds.visited}/${s.rounds.planned}`),
    h('td', { class: 'site-links' }, h('div', { class: 'site-link-row' },
      h('a', { class: 'secondary small', href: `#/map/site/${encodeURIComponent(s.id)}`, dataset: { link: 'map' }, title: t('ov.site_on_map', { name: s.name }) }, t('ov.site_map')),
      h('a', {
        class: s.open_hazards ? 'danger small' : 'secondary small', href: `#/hazards/site/${encodeURIComponent(s.id)}`,
        dataset: { link: 'hazards' }, title: t('ov.site_hazards_of', { name: s.name }),
      }, s.open_hazards ? t('ov.site_hazards_n', { n: s.open_hazards }) : t('ov.site_hazards')))));
  });
  el.replaceChildren(
    h('div', { class: 'toolbar site-sort' }, h('label', { for: 'ov-site-sort' }, t('ov.site_sort')), picker,
      h('span', { class: 'muted' }, t('ov.site_period', { from: period.from, to: period.to }))),
    h('table', { class: 'ov-table site-table', id: 'ov-sites' },
      h('thead', {}, h('tr', {},
        head('name', t('ov.site_name')),
        head('open', t('ov.site_open')),
        head('overdue', t('ov.col_overdue')),
        head('inspections', t('ov.site_inspections')),
        head('last', t('ov.site_last')),
        head('rounds', t('ov.site_rounds')),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('ov.site_links'))))),
      h('tbody', {}, rows)));
}
