// The live map view: Leaflet map + filter bar + a panel (side bar on a
// laptop, bottom sheet on a phone) with tonight's rounds, the report feed and
// the detail of what was tapped. URL: #/map[/TYPE/ID] (TYPE: site, inspection,
// hazard, volunteer), so a detail can be linked and the back button closes it.

import { h } from '../dom.js';
import { onLangChange, t } from '../i18n.js';
import { projector } from '../geo.js';
import { CATEGORY_COLORS, MapLayers } from '../map/layers.js';
import { renderDetail } from '../map/detail.js';
import { renderFeed, renderRounds } from '../map/panels.js';
import { RoundProgress } from '../map/round_progress.js';
import { navigate } from '../router.js';

const TABS = ['rounds', 'feed', 'detail'];

async function loadLeaflet() {
  try {
    const mod = await import('/vendor/leaflet/leaflet-src.esm.js');
    return mod;
  } catch {
    throw new Error(t('error.vendor'));
  }
}

export async function mount(container, ctx, params) {
  const L = await loadLeaflet();
  const { state, config } = ctx;
  const tiles = config?.tiles?.url ? config.tiles : null;
  const proj = projector(tiles?.crs ?? 'wgs84');
  const staleMs = (config?.stale_after_s ?? 300) * 1000;

  // --- layout ---
  const mapEl = h('div', { id: 'map', class: 'map' });
  const selects = {
    town: h('select', { id: 'filter-town', 'aria-label': t('filter.town') }),
    village: h('select', { id: 'filter-village', 'aria-label': t('filter.village') }),
    team: h('select', { id: 'filter-team', 'aria-label': t('filter.team') }),
  };
  const filters = h('div', { class: 'filters' }, selects.town, selects.village, selects.team);
  const tabButtons = Object.fromEntries(TABS.map((name) => [name, h('button', {
    type: 'button', role: 'tab', class: 'tab', id: `tab-${name}`, dataset: { tab: name },
    onclick: () => showTab(name, true),
  })]));
  const bodies = Object.fromEntries(TABS.map((name) => [name, h('div', {
    class: 'tab-body', role: 'tabpanel', id: `panel-${name}`, hidden: true,
  })]));
  const handle = h('button', { type: 'button', class: 'sheet-handle', 'aria-label': t('sheet.toggle'), onclick: () => cycleSheet() },
    h('span', { class: 'grip' }));
  const sheet = h('aside', { class: 'sheet', dataset: { size: 'peek' } }, handle,
    h('div', { class: 'tabs', role: 'tablist' }, Object.values(tabButtons)), Object.values(bodies));
  const note = tiles ? null : h('div', { class: 'map-note', id: 'map-note' });
  const fitBtn = h('button', { type: 'button', class: 'map-btn fit', onclick: () => fit() });
  const legend = h('div', { class: 'legend', id: 'legend', hidden: true });
  const legendBtn = h('button', {
    type: 'button', class: 'map-btn legend-btn', 'aria-controls': 'legend',
    onclick: () => { legend.hidden = !legend.hidden; if (!legend.hidden) renderLegend(); },
  }, 'i');
  const root = h('div', { class: 'mapview' },
    h('div', { class: 'map-wrap' }, mapEl, filters, fitBtn, legendBtn, legend), sheet);
  container.replaceChildren(root);

  // --- map ---
  const map = L.map(mapEl, {
    zoomControl: true, attributionControl: !!tiles, preferCanvas: false, minZoom: 3,
    maxZoom: tiles?.max_zoom ?? 19, zoomSnap: 0.5,
  });
  if (tiles) {
    L.tileLayer(tiles.url, {
      attribution: tiles.attribution ?? '', maxZoom: tiles.max_zoom ?? 18,
      subdomains: tiles.subdomains ?? 'abc',
    }).addTo(map);
  } else {
    mapEl.classList.add('no-tiles');
  }
  // The scale bar never sits on the map's labels or controls: on a laptop it
  // is bottom left (fit() keeps the markers above it); on a phone, where the
  // bottom sheet covers the map's bottom and the zoom buttons and filters
  // its top, it rides on the sheet's handle, just under the map strip.
  const scale = L.control.scale({ imperial: false, position: 'bottomleft', maxWidth: 90 }).addTo(map);
  const scaleCorner = scale.getContainer().parentNode;
  const phone = window.matchMedia('(max-width: 899px)');
  const placeScale = () => {
    if (phone.matches) handle.prepend(scale.getContainer());
    else scaleCorner.append(scale.getContainer());
  };
  placeScale();
  phone.addEventListener('change', placeScale);
  if (note) {
    const NoteControl = L.Control.extend({ onAdd: () => note });
    new NoteControl({ position: 'bottomleft' }).addTo(map);
  }
  map.setView(proj(28.85, 121.14), 13);

  // --- filter ---
  const filter = { town: '', village: '', team: '' };
  const matches = (x) => {
    const chain = state.orgChain(x.org_unit_id).map((o) => o.id);
    if (filter.town && !chain.includes(filter.town)) return false;
    if (filter.village && !chain.includes(filter.village)) return false;
    if (filter.team) {
      const team = state.teams.get(filter.team);
      if (!team) return true;
      if (x.kind === 'volunteer') return team.members?.some((m) => m.user_id === x.user_id) ?? false;
      if (x.kind === 'round') return x.team_id === filter.team;
      if (!chain.includes(String(team.org_unit_id))) return false;
    }
    return true;
  };

  const layers = new MapLayers({
    L, map, state, proj, staleMs, outlines: !tiles,
    onSelect: (sel) => select(sel),
    focus: (bounds, want) => focusOn(bounds, want),
    obstacles: () => [...root.querySelectorAll('.leaflet-control-zoom, .filters select, .map-btn, .legend')]
      .filter((x) => x.offsetParent).map((x) => x.getBoundingClientRect())
      .concat(getComputedStyle(sheet).position === 'absolute' ? [sheet.getBoundingClientRect()] : []),
  });
  layers.filter = matches;

  function fillSelect(sel, items, allKey, value) {
    sel.replaceChildren(h('option', { value: '' }, t(allKey)),
      ...items.map((o) => h('option', { value: o.id, selected: o.id === value }, o.name)));
    sel.value = items.some((o) => o.id === value) ? value : '';
    sel.hidden = items.length < 2;
  }

  function renderFilters() {
    const units = [...state.orgUnits.values()];
    const towns = units.filter((o) => o.kind === 'town' && [...state.sites.values()].some((s) => state.orgChain(s.org_unit_id).some((c) => c.id === o.id)));
    const villages = units.filter((o) => o.kind === 'village' && (!filter.town || state.orgChain(o.id).some((c) => c.id === filter.town)));
    const teams = [...state.teams.values()].filter((tm) => matches({ org_unit_id: tm.org_unit_id, kind: 'team' }) || tm.id === filter.team);
    fillSelect(selects.town, towns, 'filter.all_towns', filter.town);
    fillSelect(selects.village, villages, 'filter.all_villages', filter.village);
    fillSelect(selects.team, teams.map((x) => ({ id: x.id, name: x.name })), 'filter.all_teams', filter.team);
    filters.hidden = selects.town.hidden && selects.village.hidden && selects.team.hidden;
  }
  for (const [key, sel] of Object.entries(selects)) {
    sel.addEventListener('change', () => {
      filter[key] = sel.value;
      if (key === 'town') filter.village = '';
      renderFilters();
      layers.renderAll();
      renderPanels();
      fit();
    });
  }

  // --- panels ---
  let tab = 'rounds';
  let selected = null;
  const fresh = new Set();

  function showTab(name, user) {
    tab = name;
    for (const n of TABS) {
      tabButtons[n].setAttribute('aria-selected', String(n === name));
      bodies[n].hidden = n !== name;
    }
    if (user && sheet.dataset.size === 'peek') sheet.dataset.size = 'half';
    renderPanels();
  }

  function cycleSheet() {
    const next = { peek: 'half', half: 'full', full: 'peek' };
    sheet.dataset.size = next[sheet.dataset.size] ?? 'half';
  }
  // After the bottom sheet grows or shrinks, what was in view is fitted into
  // the strip of map left above it (or the selection re-centred there).
  const onSheetResized = (e) => {
    if (e.target !== sheet || e.propertyName !== 'height' || sheet.dataset.size === 'full') return;
    map.invalidateSize({ pan: false });
    const ll = selected && locationOf(selected);
    if (ll) {
      const pt = map.project(ll, map.getZoom()).add([0, sheet.offsetHeight / 2]);
      map.panTo(map.unproject(pt, map.getZoom()), { animate: true });
    } else {
      fit();
    }
  };
  sheet.addEventListener('transitionend', onSheetResized);

  function renderPanels() {
    if (tab === 'rounds') renderRounds(bodies.rounds, state, matches, select);
    if (tab === 'feed') renderFeed(bodies.feed, state, matches, select, fresh);
  }

  function words() {
    for (const n of TABS) tabButtons[n].textContent = t(`tab.${n}`);
    if (note) note.textContent = t('map.no_tiles');
    fitBtn.textContent = '⤢';
    fitBtn.title = t('map.locate_all');
    fitBtn.setAttribute('aria-label', t('map.locate_all'));
    legendBtn.title = t('map.legend');
    legendBtn.setAttribute('aria-label', t('map.legend'));
    if (!legend.hidden) renderLegend();
    selects.town.setAttribute('aria-label', t('filter.town'));
    selects.village.setAttribute('aria-label', t('filter.village'));
    selects.team.setAttribute('aria-label', t('filter.team'));
    renderFilters();
    layers.renderAll();
    renderPanels();
    renderDetail(bodies.detail, state, selected, select);
  }

  // sel {type, id} or null; from a marker, a list, or the URL
  function select(sel, { fromUrl = false } = {}) {
    if (!fromUrl) {
      if (sel) navigate('map', sel.type, sel.id);
      else navigate('map');
      return;
    }
    selected = sel;
    layers.select(sel);
    if (sel) {
      showTab('detail', false);
      if (sheet.dataset.size === 'peek') sheet.dataset.size = 'half';
      renderDetail(bodies.detail, state, sel, select);
      const ll = locationOf(sel);
      if (ll) {
        // centre it in the part of the map the bottom sheet leaves visible
        const covered = getComputedStyle(sheet).position === 'absolute' ? sheetHeight() : 0;
        const pt = map.project(ll, map.getZoom()).add([0, covered / 2]);
        map.panTo(map.unproject(pt, map.getZoom()), { animate: true });
      }
    } else if (tab === 'detail') {
      renderDetail(bodies.detail, state, null, select);
    }
  }

  // A tapped hazard cluster: zooms in on `bounds` (its sites), at least one
  // step and up to `want` (where its closest sites part), no further than
  // keeps them all in the map the bottom sheet leaves free (unless even one
  // step does not), centred there.
  function focusOn(bounds, want) {
    const { tl, br } = fitPadding(sheetHeight());
    const z = map.getZoom();
    const fits = map.getBoundsZoom(bounds, false, L.point(tl[0] + br[0], tl[1] + br[1]));
    const zoom = Math.min(map.getMaxZoom(), Math.max(z + 1, Math.min(want, fits)));
    const pt = map.project(bounds.getCenter(), zoom).add([(br[0] - tl[0]) / 2, (br[1] - tl[1]) / 2]);
    map.setView(map.unproject(pt, zoom), zoom, { animate: true });
  }

  // the sheet's height once its size transition ends (app.css: peek/half/full)
  function sheetHeight() {
    const h = root.clientHeight;
    return { peek: Math.min(210, Math.max(150, 0.27 * h)), half: 0.46 * h, full: h }[sheet.dataset.size] ?? 0;
  }

  function locationOf(sel) {
    if (sel.type === 'site') { const s = state.sites.get(sel.id); return s && proj(s.lat, s.lon); }
    if (sel.type === 'volunteer') { const p = state.positions.get(sel.id); return p && proj(p.lat, p.lon); }
    if (sel.type === 'hazard') {
      const s = state.sites.get(state.hazards.get(sel.id)?.site_id);
      return s && proj(s.lat, s.lon);
    }
    if (sel.type === 'inspection') {
      const i = state.inspections.get(sel.id);
      const s = i && state.sites.get(i.site_id);
      return s && proj(s.lat, s.lon);
    }
    return null;
  }

  // Fits what is shown into the part of the map the bottom sheet leaves free.
  function fit() {
    const b = layers.bounds();
    if (!b) return;
    const { tl, br } = fitPadding(sheet.offsetHeight);
    map.fitBounds(b, { paddingTopLeft: tl, paddingBottomRight: br, maxZoom: 17 });
  }

  // Where markers may go: clear of the zoom buttons and filters (top: a
  // village's name sits up to 34 px above its outline), the map buttons
  // (right), the bottom sheet (`sheetPx` high, on a phone) and the scale bar
  // (bottom). {tl: [left, top], br: [right, bottom]} in px.
  function fitPadding(sheetPx) {
    const covered = getComputedStyle(sheet).position === 'absolute' ? sheetPx : 0;
    const top = mapEl.getBoundingClientRect().top;
    const zoomBottom = map.zoomControl.getContainer().getBoundingClientRect().bottom - top;
    return { tl: [30, Math.max(70, zoomBottom + 40)], br: [64, covered + 20 + scaleCorner.offsetHeight] };
  }

  function renderLegend() {
    const cats = [...new Set([...state.sites.values()].filter((x) => layers.sites.has(x.id)).map((x) => x.category))];
    const swatch = (cls, color) => {
      const el = h('span', { class: `swatch ${cls}` });
      if (color) el.style.background = color;
      return el;
    };
    legend.replaceChildren(h('strong', {}, t('map.legend')), h('ul', {},
      cats.map((c) => h('li', {}, swatch('site', CATEGORY_COLORS[c]), t(`cat.${c}`))),
      h('li', {}, swatch('vol'), t('legend.volunteer')),
      h('li', {}, swatch('vol stale'), t('legend.stale')),
      h('li', {}, swatch('hz'), t('legend.hazard')),
      h('li', {}, swatch('hz-cluster'), t('legend.hazard_cluster')),
      h('li', {}, swatch('trail'), t('legend.trail'))),
    tiles ? null : h('p', { class: 'legend-note' }, t('map.no_tiles')));
  }

  // --- live updates ---
  // Panels redraw at most twice a second: a town's evening brings many
  // positions a second, and the lists only need to keep up with a reader.
  let panelsQueued = false;
  const queuePanels = () => {
    if (panelsQueued) return;
    panelsQueued = true;
    setTimeout(() => { panelsQueued = false; renderPanels(); }, 500);
  };
  const onChange = (e) => {
    const { kind, data } = e.detail;
    switch (kind) {
      case 'position':
        layers.renderVolunteer(data.user_id);
        break;
      case 'inspection': {
        fresh.add(data.id);
        setTimeout(() => fresh.delete(data.id), 4000);
        const s = state.sites.get(data.site_id);
        if (s) layers.renderSite(s);
        if (data.user_id) layers.renderTrail(data.user_id, layers.volunteers.has(data.user_id));
        break;
      }
      case 'hazard': {
        const s = state.sites.get(data.site_id);
        if (s) layers.renderSite(s);
        layers.renderHazards(data.id);
        if (selected?.type === 'hazard' && selected.id === data.id) renderDetail(bodies.detail, state, selected, select);
        break;
      }
      case 'presence':
        layers.refreshVolunteerAge(data.user_id);
        break;
      case 'trails':
        for (const id of state.trails.keys()) layers.renderTrail(id, layers.volunteers.has(id));
        break;
      default:  // reset, poll, round, sos
        renderFilters();
        layers.renderAll();
    }
    if (kind === 'round' || kind === 'reset') progress.schedule(1000);
    if (kind === 'inspection' && [...state.rounds.values()].some((r) => r.state === 'in_progress')) progress.schedule(3000);
    queuePanels();
  };
  const progress = new RoundProgress(state, () => queuePanels());
  progress.refresh();
  state.addEventListener('change', onChange);
  const offLang = onLangChange(words);
  const onLocate = (e) => {
    const p = e.detail;
    if (p?.lat != null) map.setView(proj(p.lat, p.lon), Math.max(map.getZoom(), 17));
  };
  document.addEventListener('patrol:locate', onLocate);
  const ticker = setInterval(() => { layers.tick(); queuePanels(); }, 15000);
  // The container gets its final size after this module mounted it (and
  // again when the sheet or window changes): Leaflet must re-measure, or it
  // clips its vector layers to the size it first saw.
  const resizer = new ResizeObserver(() => map.invalidateSize({ pan: false }));
  resizer.observe(mapEl);

  words();
  showTab('rounds', false);
  map.invalidateSize({ pan: false });
  fit();
  const fromParams = (p) => (p.length >= 2 ? { type: p[0], id: p[1] } : null);
  select(fromParams(params), { fromUrl: true });
  document.body.dataset.mapReady = 'true';

  return {
    update(p) { select(fromParams(p), { fromUrl: true }); },
    unmount() {
      state.removeEventListener('change', onChange);
      document.removeEventListener('patrol:locate', onLocate);
      resizer.disconnect();
      phone.removeEventListener('change', placeScale);
      sheet.removeEventListener('transitionend', onSheetResized);
      progress.stop();
      clearInterval(ticker);
      offLang();
      // Leaflet finishes a zoom animation on a 250 ms timer that reads the
      // map's panes: removing the map before it fires throws in that timer.
      map.stop();
      setTimeout(() => map.remove(), 300);
      delete document.body.dataset.mapReady;
    },
  };
}
