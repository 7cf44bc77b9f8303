// The hazard board's filters and list: pure renders over the hazards loaded.

import { h } from '../dom.js';
import { age, clock, currentLang, t } from '../i18n.js';
import { HAZARD_STATES } from '../roles.js';

// Filter values: {state: ''(not closed)|'all'|STATE, overdue, escalation, village, category, item,
// site (one site's hazards: #/hazards/site/ID, from the overview's site table)}.
export function matches(state, hz, f) {
  if (f.state === '' && hz.state === 'closed') return false;
  if (f.state && f.state !== 'all' && hz.state !== f.state) return false;
  if (f.overdue && !hz.overdue) return false;
  if (f.escalation && (hz.escalation ?? 'village') !== f.escalation) return false;
  if (f.village && !state.orgChain(hz.org_unit_id).some((o) => String(o.id) === f.village)) return false;
  if (f.category && state.sites.get(hz.site_id)?.category !== f.category) return false;
  if (f.item && hz.item_code !== f.item) return false;
  if (f.site && hz.site_id !== f.site) return false;
  return true;
}

function select(id, label, options, value) {
  const el = h('select', { id, 'aria-label': label },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  return el;
}

// The filter bar; onChange(f) with the new values.
export function renderFilters(el, state, hazards, f, onChange) {
  const lang = currentLang();
  // the villages that have hazards (a city has hundreds of villages)
  const villageIds = new Set(hazards.map((x) => String(state.ancestorOfKind(x.org_unit_id, 'village')?.id ?? '')));
  const villages = [...state.orgUnits.values()].filter((o) => o.kind === 'village' && (villageIds.has(String(o.id)) || String(o.id) === f.village));
  const cats = [...new Set(hazards.map((x) => state.sites.get(x.site_id)?.category).filter(Boolean))];
  const items = [...new Set(hazards.map((x) => x.item_code))];
  const stateSel = select('hz-state', t('hz.state'), [['', t('hz.state_active')], ['all', t('hz.state_all')],
    ...HAZARD_STATES.map((s) => [s, t(`hazard.${s}`)])], f.state);
  const escSel = select('hz-escalation', t('hz.escalation'), [['', t('hz.esc_all')],
    ...['village', 'town', 'city'].map((s) => [s, t(`hz.esc_short.${s}`)])], f.escalation);
  const villageSel = select('hz-village', t('hz.village'), [['', t('filter.all_villages')],
    ...villages.map((o) => [String(o.id), o.name])], f.village);
  villageSel.hidden = villages.length < 2;
  const catSel = select('hz-category', t('hz.category'), [['', t('hz.all_categories')],
    ...cats.map((c) => [c, t(`cat.${c}`)])], f.category);
  const itemSel = select('hz-item', t('hz.item'), [['', t('hz.all_items')],
    ...items.map((c) => [c, state.itemLabel(c, lang)])], f.item);
  const overdue = h('input', { type: 'checkbox', id: 'hz-overdue', checked: f.overdue });
  const pairs = { state: stateSel, escalation: escSel, village: villageSel, category: catSel, item: itemSel };
  for (const [k, sel] of Object.entries(pairs)) sel.addEventListener('change', () => onChange({ ...f, [k]: sel.value }));
  overdue.addEventListener('change', () => onChange({ ...f, overdue: overdue.checked }));
  const site = f.site ? h('button', {
    type: 'button', class: 'chip site-filter', id: 'hz-site', title: t('hz.site_clear'),
    onclick: () => onChange({ ...f, site: '' }),
  }, t('hz.site_filter', { name: state.sites.get(f.site)?.name ?? f.site }), h('span', { 'aria-hidden': 'true' }, ' ✕')) : null;
  el.replaceChildren(...(site ? [site] : []), stateSel, h('label', { class: 'check-chip' }, overdue, h('span', {}, t('hz.overdue_only'))),
    escSel, villageSel, catSel, itemSel);
}

export function renderList(el, state, list, { selectedId, onOpen, userName }) {
  const lang = currentLang();
  if (!list.length) {
    el.replaceChildren(h('p', { class: 'empty' }, t('hz.none')));
    return;
  }
  const order = { open: 0, assigned: 1, rectified: 2, verified: 3, closed: 4 };
  const sorted = [...list].sort((a, b) => (b.overdue - a.overdue) || (order[a.state] - order[b.state])
    || Date.parse(b.last_found_at) - Date.parse(a.last_found_at));
  el.replaceChildren(h('ul', { class: 'hz-list', id: 'hz-list' }, sorted.map((x) => {
    const site = state.sites.get(x.site_id);
    const village = state.ancestorOfKind(x.org_unit_id, 'village')?.name ?? state.orgName(x.org_unit_id);
    return h('li', {}, h('button', {
      type: 'button', class: `hz-row state-${x.state}${x.overdue ? ' overdue' : ''}${x.id === selectedId ? ' selected' : ''}`,
      dataset: { hazardId: x.id, state: x.state }, onclick: () => onOpen(x),
    },
    h('span', { class: 'hz-row-head' },
      h('strong', { class: 'hz-item' }, state.itemLabel(x.item_code, lang)),
      h('span', { class: `chip hazard-state-${x.state}` }, t(`hazard.${x.state}`))),
    h('span', { class: 'hz-row-meta' }, `${site?.name ?? x.site_id} · ${village}`),
    h('span', { class: 'hz-row-tags' },
      h('span', { class: `sev sev-${x.severity}` }, t(`severity.${x.severity}`)),
      x.overdue ? h('span', { class: 'chip overdue' }, t('detail.overdue')) : null,
      x.escalation && x.escalation !== 'village' ? h('span', { class: `chip esc esc-${x.escalation}` }, t(`hz.esc.${x.escalation}`)) : null,
      x.assignee_id ? h('span', { class: 'hz-assignee' }, `${t('hz.assignee')}：${userName(x.assignee_id) || '—'}`) : null,
      x.deadline && x.state !== 'closed' ? h('span', { class: 'hz-deadline', title: clock(x.deadline) }, t('hz.due_in', { time: clock(x.deadline) })) : null,
      h('span', { class: 'hz-age' }, age(x.last_found_at)))));
  })));
}
