// The detail panel: a site, an inspection (every item's result and photos),
// a hazard (with its history), or a volunteer. Fetches what State lacks.

import { api, listPage, photoUrl } from '../api.js';
import { h } from '../dom.js';
import { age, clock, currentLang, t } from '../i18n.js';

function row(label, ...value) {
  return h('div', { class: 'kv' }, h('span', { class: 'k' }, label), h('span', { class: 'v' }, ...value));
}

export function photos(list) {
  if (!list?.length) return null;
  return h('div', { class: 'photos' }, list.map((sha) => {
    const img = h('img', { class: 'photo', alt: t('detail.photos'), dataset: { sha256: sha }, loading: 'lazy' });
    const link = h('a', { class: 'photo-link', target: '_blank', rel: 'noopener' }, img);
    photoUrl(sha).then((url) => {
      img.src = url;
      link.href = url;
    }).catch((e) => {
      const key = e.status === 404 ? 'detail.photo_missing' : 'detail.photo_failed';
      link.replaceWith(h('span', { class: 'photo-missing', dataset: { sha256: sha } }, t(key)));
    });
    return link;
  }));
}

function inspectionSummary(state, i, onSelect) {
  const failing = (i.items ?? []).filter((x) => x.result === 'hazard').length;
  return h('li', {
    class: `mini-item${failing ? ' has-hazard' : ''}`, tabindex: '0',
    onclick: () => onSelect({ type: 'inspection', id: i.id }),
  }, h('span', {}, clock(i.observed_at_corrected ?? i.received_at)),
  h('span', {}, state.userName(i.user_id)),
  h('span', { class: failing ? 'bad' : 'good' }, failing ? t('feed.failing', { n: failing }) : t('feed.all_ok')));
}

async function siteDetail(state, id, onSelect) {
  let s = state.sites.get(id);
  if (!s) s = await api(`/api/v1/sites/${encodeURIComponent(id)}`);
  const lang = currentLang();
  const open = state.openHazards(id);
  const recent = h('ul', { class: 'mini-list' }, h('li', { class: 'muted' }, '…'));
  listPage('/api/v1/inspections', { site_id: id, limit: 10 }).then((items) => {
    for (const i of items) if (!state.inspections.has(i.id)) state.inspections.set(i.id, i);
    recent.replaceChildren(...(items.length ? items.map((i) => inspectionSummary(state, i, onSelect))
      : [h('li', { class: 'muted' }, t('detail.no_inspections'))]));
  }).catch(() => recent.replaceChildren());
  return [
    h('h2', { class: 'detail-title' }, s.name),
    row(t('detail.category'), t(`cat.${s.category}`)),
    s.address ? row(t('detail.address'), s.address) : null,
    row(t('filter.village'), state.orgChain(s.org_unit_id).slice(1).map((o) => o.name).join(' › ')),
    h('h3', {}, `${t('detail.open_hazards')} (${open.length})`),
    open.length ? h('ul', { class: 'mini-list' }, open.map((x) => h('li', {
      class: 'mini-item has-hazard', tabindex: '0', onclick: () => onSelect({ type: 'hazard', id: x.id }),
    }, h('span', {}, state.itemLabel(x.item_code, lang)), h('span', {}, t(`hazard.${x.state}`)),
    h('span', {}, age(x.last_found_at))))) : null,
    h('h3', {}, t('detail.recent')),
    recent,
  ];
}

async function inspectionDetail(state, id, onSelect) {
  let i = state.inspections.get(id);
  if (!i) {
    // no GET by id in the API: a deep link finds it among the recent ones
    const recent = await listPage('/api/v1/inspections', { limit: 1000 });
    i = recent.find((x) => x.id === id);
    if (!i) throw new Error(t('detail.no_inspections'));
    state.inspections.set(i.id, i);
  }
  const lang = currentLang();
  const site = state.sites.get(i.site_id);
  const order = { hazard: 0, ok: 1, not_applicable: 2 };
  const items = [...(i.items ?? [])].sort((a, b) => (order[a.result] ?? 3) - (order[b.result] ?? 3));
  return [
    h('h2', { class: 'detail-title' }, `${t('detail.inspection')} · ${site?.name ?? ''}`),
    site ? h('button', { type: 'button', class: 'link', onclick: () => onSelect({ type: 'site', id: site.id }) }, t('detail.open_site')) : null,
    row(t('detail.by'), state.userName(i.user_id) || i.user_id),
    row(t('detail.at'), clock(i.observed_at_corrected ?? i.observed_at), ` (${age(i.received_at)})`),
    i.note ? row(t('detail.note'), i.note) : null,
    h('h3', {}, t('detail.items')),
    h('ul', { class: 'items' }, items.map((x) => h('li', { class: `item result-${x.result}`, dataset: { code: x.code } },
      h('div', { class: 'item-head' },
        h('span', { class: 'item-label' }, state.itemLabel(x.code, lang)),
        h('span', { class: `chip result-${x.result}` }, t(`result.${x.result}`))),
      x.note ? h('div', { class: 'item-note' }, x.note) : null,
      photos(x.photos)))),
  ];
}

async function hazardDetail(state, id, onSelect) {
  let hz = state.hazards.get(id);
  let history = null;
  try {
    const full = await api(`/api/v1/hazards/${encodeURIComponent(id)}`);
    hz = { ...hz, ...full };
    history = full.history ?? null;
  } catch (e) {
    if (!hz) throw e;  // route not there yet (older server): what the list said
  }
  const lang = currentLang();
  const site = state.sites.get(hz.site_id);
  const last = hz.last_inspection_id ? state.inspections.get(hz.last_inspection_id) : null;
  const lastItem = last?.items?.find((x) => x.code === hz.item_code);
  return [
    h('h2', { class: 'detail-title' }, `${t('detail.hazard')} · ${state.itemLabel(hz.item_code, lang)}`),
    site ? h('button', { type: 'button', class: 'link', onclick: () => onSelect({ type: 'site', id: site.id }) }, `${site.name} ›`) : null,
    row(t('detail.state'), h('span', { class: `chip hazard-state-${hz.state}` }, t(`hazard.${hz.state}`)),
      hz.overdue ? h('span', { class: 'chip overdue' }, t('detail.overdue')) : null),
    row(t('detail.severity'), t(`severity.${hz.severity}`)),
    row(t('detail.occurrences'), String(hz.occurrences ?? 1)),
    row(t('detail.first_found'), clock(hz.first_found_at)),
    row(t('detail.last_found'), clock(hz.last_found_at), ` (${age(hz.last_found_at)})`),
    hz.deadline ? row(t('detail.deadline'), clock(hz.deadline)) : null,
    hz.note || lastItem?.note ? row(t('detail.note'), hz.note || lastItem.note) : null,
    hz.photo_missing ? h('p', { class: 'photo-missing' }, t('detail.photo_missing')) : photos(lastItem?.photos),
    last ? h('button', { type: 'button', class: 'link', onclick: () => onSelect({ type: 'inspection', id: last.id }) }, `${t('detail.inspection')} ›`) : null,
    h('h3', {}, t('detail.history')),
    history?.length
      ? h('ol', { class: 'history' }, history.map((x) => h('li', {},
        h('div', {}, h('strong', {}, `${x.from ? t(`hazard.${x.from}`) : '—'} → ${t(`hazard.${x.to}`)}`),
          ` · ${clock(x.at)} · ${state.userName(x.by) || x.by || ''}`),
        x.note ? h('div', { class: 'item-note' }, x.note) : null,
        photos(x.photos))))
      : h('p', { class: 'muted' }, t('detail.no_history')),
  ];
}

function volunteerDetail(state, id) {
  const p = state.positions.get(id);
  const pres = state.presence.get(id);
  const team = state.teamOf(id);
  const trail = state.trails.get(id) ?? [];
  const name = p?.name || state.userName(id) || id;
  return [
    h('h2', { class: 'detail-title' }, name),
    team ? row(t('filter.team'), team.name) : null,
    p ? row(t('detail.position'), `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`,
      p.accuracy_m != null ? ` · ${t('detail.accuracy', { m: Math.round(p.accuracy_m) })}` : '') : null,
    p ? row(t('detail.at'), clock(p.t), ` (${age(p.t)})`) : null,
    pres ? row(t('detail.state'), pres.online ? t('detail.online') : t('detail.offline')) : null,
    row(t('tab.feed'), String([...state.inspections.values()].filter((i) => i.user_id === id).length)),
    trail.length ? row(t('detail.track_points'), String(trail.length)) : null,
  ];
}

// Renders sel ({type, id}) into el; resolves when done (errors shown in place).
export async function renderDetail(el, state, sel, onSelect) {
  if (!sel) {
    el.replaceChildren(h('p', { class: 'empty' }, t('detail.none')));
    return;
  }
  el.replaceChildren(h('p', { class: 'muted' }, '…'));
  try {
    let parts;
    if (sel.type === 'site') parts = await siteDetail(state, sel.id, onSelect);
    else if (sel.type === 'inspection') parts = await inspectionDetail(state, sel.id, onSelect);
    else if (sel.type === 'hazard') parts = await hazardDetail(state, sel.id, onSelect);
    else if (sel.type === 'volunteer') parts = volunteerDetail(state, sel.id);
    else parts = [h('p', { class: 'empty' }, t('detail.none'))];
    el.replaceChildren(h('div', { class: `detail detail-${sel.type}`, dataset: { id: sel.id } }, parts));
  } catch (e) {
    el.replaceChildren(h('p', { class: 'page-error' }, t('error.generic', { message: e.message })));
  }
}
