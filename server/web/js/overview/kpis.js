// The overview's headline numbers and the children table (drill-down).
// Each number carries data-kpi / data-value so tests compare it with the API.

import { h } from '../dom.js';
import { t } from '../i18n.js';

const pct = (r) => (r === null || r === undefined ? t('ov.none') : `${Math.round(r * 1000) / 10}%`);

// At least 80% rectified: good; below: wants attention; no hazards: no tone.
const rateTone = (r) => (r === null || r === undefined ? '' : r >= 0.8 ? 'good' : 'warn');

export function renderKpis(el, ov) {
  const card = (key, label, value, shown = String(value), tone = '') => h('div', {
    class: `kpi${tone ? ` ${tone}` : ''}`, dataset: { kpi: key, value: value === null ? '' : String(value) },
  }, h('div', { class: 'kpi-value' }, shown), h('div', { class: 'kpi-label' }, label));
  el.replaceChildren(
    card('rounds.total', t('ov.rounds_total'), ov.rounds.total),
    // green only for a number that is good news: no green "0 completed" or "0%"
    card('rounds.completed', t('ov.rounds_completed'), ov.rounds.completed, undefined, ov.rounds.completed ? 'good' : ''),
    card('rounds.missed', t('ov.rounds_missed'), ov.rounds.missed, undefined, ov.rounds.missed ? 'bad' : ''),
    card('sites_covered', t('ov.sites_covered'), ov.sites_covered, `${ov.sites_covered}/${ov.sites}`),
    card('inspections', t('ov.inspections'), ov.inspections),
    card('hazards.found', t('ov.hazards_found'), ov.hazards.found),
    card('hazards.open', t('ov.hazards_open'), ov.hazards.open, undefined, ov.hazards.open ? 'warn' : ''),
    card('hazards.overdue', t('ov.hazards_overdue'), ov.hazards.overdue, undefined, ov.hazards.overdue ? 'bad' : ''),
    card('rectification_rate', t('ov.rate'), ov.rectification_rate, pct(ov.rectification_rate), rateTone(ov.rectification_rate)),
    card('median_close_hours', t('ov.median_close'), ov.median_close_hours,
      ov.median_close_hours === null ? t('ov.none') : t('ov.hours', { n: Math.round(ov.median_close_hours * 10) / 10 })));
}

export function kindWord(kind) {
  const k = ['town', 'village', 'grid', 'micro_grid', 'city'].includes(kind) ? kind : 'other';
  return t(`ov.kind.${k}`);
}

export function renderChildren(el, ov, onOpen) {
  if (!ov.children.length) {
    el.replaceChildren(h('p', { class: 'empty' }, t('ov.no_children')));
    return;
  }
  const cols = [
    ['ov.col_rounds', (c) => `${c.rounds.completed}/${c.rounds.total}`],
    ['ov.col_missed', (c) => String(c.rounds.missed)],
    ['ov.col_sites', (c) => `${c.sites_covered}/${c.sites}`],
    ['ov.col_found', (c) => String(c.hazards.found)],
    ['ov.col_open', (c) => String(c.hazards.open)],
    ['ov.col_overdue', (c) => String(c.hazards.overdue)],
    ['ov.col_rate', (c) => pct(c.rectification_rate)],
  ];
  el.replaceChildren(h('table', { class: 'ov-table', id: 'ov-children' },
    h('thead', {}, h('tr', {}, h('th', {}, t('ov.col_name')), cols.map(([k]) => h('th', {}, t(k))))),
    h('tbody', {}, ov.children.map((c) => h('tr', { dataset: { orgId: c.org_unit_id }, class: c.hazards.overdue ? 'has-overdue' : '' },
      h('th', { scope: 'row' }, h('button', {
        type: 'button', class: 'link drill', title: t('ov.open_child', { name: c.name }), onclick: () => onOpen(c),
      }, `${c.name} ›`)),
      cols.map(([k, f]) => h('td', { dataset: { label: t(k) } }, f(c))))))));
}
