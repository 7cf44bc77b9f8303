// The Leaflet layers of the live map: village outlines, sites, hazards,
// volunteers and their trails. Markers are kept by id and updated in place,
// so a stream of positions moves markers instead of redrawing the map.
// Every coordinate goes through proj() (WGS84 -> the base map's datum).

import { h } from '../dom.js';
import { convexHull, padPolygon } from '../geo.js';
import { age, currentLang, t } from '../i18n.js';

export const CATEGORY_COLORS = {
  shop: '#1e88e5', eatery: '#fb8c00', inn: '#8e24aa', karaoke: '#d81b60', internet_cafe: '#3949ab',
  beauty_bath: '#ec407a', workshop: '#6d4c41', school: '#43a047', clinic: '#00897b',
  rental_housing: '#5e35b1', road_junction: '#546e7a', stairwell: '#78909c', square: '#7cb342',
};

const HAZARD_ICON = 26;  // px, a hazard pin's icon (square box; the triangle inside)
// px: hazard pins closer than this (on both axes) merge. Beyond the icon's
// size, so that pins which merely touch, with their sites' pins and badges
// under them, do not read as one pile either.
const CLUSTER_PX = HAZARD_ICON + 14;

export class MapLayers {
  // opts: {L, map, state, proj, staleMs, onSelect({type, id}), outlines: bool,
  // focus(bounds, wantZoom) (optional: zooms in on a tapped cluster's sites in
  // the part of the map left free; see views/map.js), obstacles() (optional:
  // the DOMRects over the map that no village name may sit under)}
  constructor(opts) {
    Object.assign(this, opts);
    const { L, map } = opts;
    // Canvas for the outlines and trails: headless Chromium (and some phones)
    // left big translated SVG layers half-painted after a pan. Outlines first,
    // so trails draw above them.
    this.outlineRenderer = L.canvas({ padding: 0.5 }).addTo(map);
    this.trailRenderer = L.canvas({ padding: 0.5 }).addTo(map);
    this.outlineLayer = L.layerGroup().addTo(map);
    this.trailLayer = L.layerGroup().addTo(map);
    this.siteLayer = L.layerGroup().addTo(map);
    this.hazardLayer = L.layerGroup().addTo(map);
    this.volunteerLayer = L.layerGroup().addTo(map);
    this.sites = new Map();       // site id -> {marker, el}
    this.hazards = new Map();     // site id -> {marker, el, list}
    this.clusters = new Map();    // member site ids, sorted, joined -> {marker, el, list, members}
    this.shownHazardPins = [];    // what clusterHazards() left on the map: single pins and clusters
    this.spreadKey = null;        // the cluster tapped at the highest zoom: its pins fanned out
    this.volunteers = new Map();  // user id -> {marker, el}
    this.trails = new Map();      // user id -> polyline
    this.filter = () => true;
    this.selected = null;
    // Pins of nearby sites pile up at village zoom on a phone: re-decide
    // which pins merge into a cluster and which labels show after every zoom.
    map.on('load zoomend', () => this.clusterHazards());
    map.on('load moveend', () => this.placeVillageLabels());
    map.on('zoomstart click', () => {
      if (this.spreadKey === null) return;
      this.spreadKey = null;
      this.clusterHazards();
    });
  }

  ll(lat, lon) { return this.proj(lat, lon); }

  setFilter(f) {
    this.filter = f;
    this.renderAll();
  }

  renderAll() {
    this.renderOutlines();
    for (const id of [...this.sites.keys()]) if (!this.state.sites.has(id)) this.dropSite(id);
    for (const s of this.state.sites.values()) this.renderSite(s);
    this.renderHazards();
    for (const p of this.state.positions.values()) this.renderVolunteer(p.user_id);
  }

  // Without a base map: each village drawn as the hull of its sites, labelled.
  renderOutlines() {
    if (!this.outlines) return;
    const byVillage = new Map();
    for (const s of this.state.sites.values()) {
      const v = this.state.ancestorOfKind(s.org_unit_id, 'village');
      if (!v || !this.filter({ org_unit_id: s.org_unit_id, kind: 'site' })) continue;
      if (!byVillage.has(v.id)) byVillage.set(v.id, { v, pts: [] });
      byVillage.get(v.id).pts.push([s.lat, s.lon]);
    }
    // redraw only when the outlines changed (not on every refresh: a path
    // re-added in the middle of a pan is clipped to the old view)
    const key = JSON.stringify([...byVillage.values()].map(({ v, pts }) => [v.id, v.name, pts]));
    if (key === this.outlineKey) return;
    this.outlineKey = key;
    this.outlineLayer.clearLayers();
    this.villageLabels = [];
    for (const { v, pts } of byVillage.values()) {
      const poly = padPolygon(convexHull(pts), 60).map(([la, lo]) => this.ll(la, lo));
      const shape = this.L.polygon(poly, {
        className: 'village-outline', color: '#5c6b7a', weight: 1.5, dashArray: '6 4',
        fillColor: '#ffffff', fillOpacity: 0.55, interactive: false, renderer: this.outlineRenderer,
      });
      shape.addTo(this.outlineLayer);
      // the name outside the outline, clear of the site pins: above its
      // northmost corner (placeVillageLabels() picks another side when a map
      // control or the bottom sheet is there)
      const tip = this.L.tooltip({ permanent: true, direction: 'top', className: 'village-label', interactive: false, offset: [0, -2] })
        .setLatLng(poly.reduce((a, p) => (p[0] > a[0] ? p : a), poly[0]))
        .setContent(v.name)
        .addTo(this.outlineLayer);
      this.villageLabels.push({ tip, poly });
    }
    this.placeVillageLabels();
  }

  // Puts each village's name beside the first corner of its outline (north,
  // south, west, east) where it is on the map and under no control
  // (opts.obstacles(): the rects of the zoom buttons, filters, map buttons
  // and the bottom sheet), then any corner on any side; hidden when none is
  // clear. After every move too: a pan can slide a name under a button.
  placeVillageLabels() {
    if (!this.map._loaded || !this.villageLabels?.length) return;
    const blocked = this.obstacles?.() ?? [];
    const view = this.map.getContainer().getBoundingClientRect();
    const hits = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const clear = (r) => r.left >= view.left && r.right <= view.right && r.top >= view.top && r.bottom <= view.bottom
      && !blocked.some((b) => hits(r, b));
    const out = (r) => r.right < view.left || r.left > view.right || r.bottom < view.top || r.top > view.bottom;
    const ways = [['top', [0, -2]], ['bottom', [0, 2]], ['left', [-2, 0]], ['right', [2, 0]]];
    for (const { tip, poly } of this.villageLabels) {
      const pick = (f) => poly.reduce((a, p) => (f(p) > f(a) ? p : a), poly[0]);
      const sides = [
        [pick((p) => p[0]), ...ways[0]], [pick((p) => -p[0]), ...ways[1]],
        [pick((p) => -p[1]), ...ways[2]], [pick((p) => p[1]), ...ways[3]],
      ];
      const el = tip.getElement();
      if (!el) continue;
      el.classList.remove('label-hidden');
      this.placeLabel(tip, sides[0]);
      let chosen = clear(el.getBoundingClientRect()) ? sides[0] : null;
      if (!chosen && out(el.getBoundingClientRect())) continue;  // off the map: nothing to move
      // then the other extreme corners, then every corner on every side
      for (const side of [...sides.slice(1), ...poly.flatMap((p) => ways.map((w) => [p, ...w]))]) {
        if (chosen) break;
        this.placeLabel(tip, side);
        if (clear(el.getBoundingClientRect())) chosen = side;
      }
      // nowhere clear: hidden rather than under a button (back after a move)
      if (!chosen) this.placeLabel(tip, sides[0]);
      el.classList.toggle('label-hidden', !chosen);
    }
  }

  placeLabel(tip, [ll, direction, offset]) {
    tip.options.direction = direction;
    tip.options.offset = this.L.point(offset);
    tip.setLatLng(ll);
    tip.update();
  }

  renderSite(s) {
    let m = this.sites.get(s.id);
    const visible = this.filter({ org_unit_id: s.org_unit_id, kind: 'site', site: s });
    if (!visible) {
      if (m) this.dropSite(s.id);
      return;
    }
    if (!m) {
      const el = h('div', { class: 'site-pin', dataset: { siteId: s.id } }, h('span', { class: 'badge' }));
      const marker = this.L.marker(this.ll(s.lat, s.lon), {
        icon: this.L.divIcon({ html: el, className: 'pin-host', iconSize: [22, 22], iconAnchor: [11, 11] }),
        keyboard: true, riseOnHover: true,
      });
      marker.on('click', () => this.onSelect({ type: 'site', id: s.id }));
      marker.bindTooltip('', { direction: 'top', offset: [0, -10] });
      marker.addTo(this.siteLayer);
      m = { marker, el };
      this.sites.set(s.id, m);
    } else {
      m.marker.setLatLng(this.ll(s.lat, s.lon));
    }
    const n = s.open_hazards ?? 0;
    m.el.style.setProperty('--cat', CATEGORY_COLORS[s.category] ?? '#607d8b');
    m.el.classList.toggle('has-hazards', n > 0);
    m.el.classList.toggle('selected', this.selected?.type === 'site' && this.selected.id === s.id);
    m.el.querySelector('.badge').textContent = n > 0 ? String(n) : '';
    const checked = s.last_inspected_at ? ` · ${age(s.last_inspected_at)}` : '';
    m.marker.setTooltipContent(`${s.name} · ${t(`cat.${s.category}`)}${checked}`);
  }

  dropSite(id) {
    const m = this.sites.get(id);
    if (m) this.siteLayer.removeLayer(m.marker);
    this.sites.delete(id);
  }

  // One hazard marker per site with open hazards; a new hazard makes it pop.
  renderHazards(newHazardId) {
    const bySite = new Map();
    const popped = new Set();
    for (const hz of this.state.openHazards()) {
      const s = this.state.sites.get(hz.site_id);
      if (!s || !this.filter({ org_unit_id: s.org_unit_id, kind: 'site', site: s })) continue;
      if (!bySite.has(s.id)) bySite.set(s.id, []);
      bySite.get(s.id).push(hz);
    }
    for (const [siteId, m] of this.hazards) {
      if (!bySite.has(siteId)) {
        this.hazardLayer.removeLayer(m.marker);
        this.hazards.delete(siteId);
      }
    }
    for (const [siteId, list] of bySite) {
      const s = this.state.sites.get(siteId);
      let m = this.hazards.get(siteId);
      if (!m) {
        const el = h('div', { class: 'hazard-pin', dataset: { siteId } }, h('span', { class: 'hz-icon' }, '!'),
          h('span', { class: 'hz-age' }));
        const marker = this.L.marker(this.ll(s.lat, s.lon), {
          icon: this.L.divIcon({ html: el, className: 'pin-host', iconSize: [HAZARD_ICON, HAZARD_ICON], iconAnchor: [-2, 30] }),
          zIndexOffset: 500,
        });
        marker.on('click', () => {
          const newest = this.newestOf(this.hazards.get(siteId)?.list ?? []);
          this.onSelect(newest ? { type: 'hazard', id: newest.id } : { type: 'site', id: siteId });
        });
        marker.bindTooltip('', { direction: 'top', offset: [14, -30] });
        marker.addTo(this.hazardLayer);
        m = { marker, el };
        this.hazards.set(siteId, m);
        if (newHazardId) popped.add(siteId);
      } else if (newHazardId && list.some((x) => x.id === newHazardId)) {
        popped.add(siteId);
      }
      m.site = s;
      m.list = list;
      m.el.dataset.hazardIds = list.map((x) => x.id).join(' ');
      const newest = this.newestOf(list);
      m.el.classList.toggle('overdue', list.some((x) => x.overdue));
      m.el.querySelector('.hz-icon').textContent = list.length > 1 ? String(list.length) : '!';
      m.el.querySelector('.hz-age').textContent = age(newest.last_found_at);
      const lang = currentLang();
      const names = list.map((x) => this.state.itemLabel(x.item_code, lang)).join('、');
      m.marker.setTooltipContent(`${s.name}: ${names} · ${age(newest.last_found_at)}`);
    }
    this.clusterHazards(popped);
  }

  // Merges the hazard pins that would overlap at this zoom into one cluster
  // pin: the number of open hazards under it, purple when any is overdue
  // (the worst state wins), the newest age as its label. Tapping a cluster
  // zooms in until its pins part, or, at the highest zoom, fans them out
  // around it. Works in layer pixels: two pins merge when their sites are
  // under CLUSTER_PX apart on both axes (every pin has the same anchor); a
  // cluster sits at the mean of its sites and is merged again when it lands
  // near another pin. `popped`: site ids whose new hazard makes their pin (or
  // its cluster) pop.
  clusterHazards(popped = new Set()) {
    if (!this.map._loaded) return;  // no view yet: no pixel positions (the 'load' event comes back here)
    const items = [...this.hazards.entries()].map(([siteId, m]) => ({
      members: [siteId], p: this.map.latLngToLayerPoint(this.ll(m.site.lat, m.site.lon)),
    }));
    const near = (a, b) => Math.abs(a.p.x - b.p.x) < CLUSTER_PX && Math.abs(a.p.y - b.p.y) < CLUSTER_PX;
    // Item i absorbs every item near it, re-checked against all the others
    // after each merge (it moved); an item that never moved stays clear of
    // the ones it was clear of. O(n) per merge or step: O(n²) in all.
    for (let i = 0; i < items.length;) {
      const j = items.findIndex((b, k) => k !== i && near(items[i], b));
      if (j < 0) { i++; continue; }
      const a = items[i], b = items.splice(j, 1)[0];
      if (j < i) i--;
      const n = a.members.length + b.members.length;
      a.p = this.L.point((a.p.x * a.members.length + b.p.x * b.members.length) / n,
        (a.p.y * a.members.length + b.p.y * b.members.length) / n);
      a.members.push(...b.members);
    }
    const shown = [];
    const keep = new Set();
    for (const it of items) {
      const key = [...it.members].sort().join(' ');
      const clustered = it.members.length > 1 && key !== this.spreadKey;
      // the cluster's count speaks for its sites: their own hazard badges
      // beside it would only thicken the pile
      for (const siteId of it.members) this.sites.get(siteId)?.el.classList.toggle('hz-clustered', clustered);
      if (!clustered) {
        // one pin each, at its site (or fanned out around the tapped cluster)
        it.members.forEach((siteId, k) => {
          const m = this.hazards.get(siteId);
          let ll = this.ll(m.site.lat, m.site.lon);
          if (it.members.length > 1) {
            const r = Math.max(34, (it.members.length * 34) / (2 * Math.PI));
            const a = (2 * Math.PI * k) / it.members.length - Math.PI / 2;
            ll = this.map.layerPointToLatLng(it.p.add([r * Math.cos(a), r * Math.sin(a)]));
          }
          m.marker.setLatLng(ll);
          if (!this.hazardLayer.hasLayer(m.marker)) m.marker.addTo(this.hazardLayer);
          m.el.classList.toggle('spread', it.members.length > 1);
          if (popped.has(siteId)) this.pop(m.el);
          shown.push(m);
        });
        continue;
      }
      for (const siteId of it.members) this.hazardLayer.removeLayer(this.hazards.get(siteId).marker);
      const c = this.renderCluster(key, it);
      keep.add(key);
      if (it.members.some((x) => popped.has(x))) this.pop(c.el);
      shown.push(c);
    }
    for (const [key, c] of this.clusters) {
      if (keep.has(key)) continue;
      this.hazardLayer.removeLayer(c.marker);
      this.clusters.delete(key);
    }
    this.shownHazardPins = shown;
    this.declutterHazardLabels();
  }

  renderCluster(key, { members, p }) {
    let c = this.clusters.get(key);
    const ll = this.map.layerPointToLatLng(p);
    if (!c) {
      const el = h('div', { class: 'hazard-pin hazard-cluster', role: 'button' }, h('span', { class: 'hz-stack' }),
        h('span', { class: 'hz-icon' }), h('span', { class: 'hz-age' }));
      const marker = this.L.marker(ll, {
        icon: this.L.divIcon({ html: el, className: 'pin-host', iconSize: [HAZARD_ICON, HAZARD_ICON], iconAnchor: [-2, 30] }),
        zIndexOffset: 600, keyboard: true,
      });
      marker.on('click', (e) => {
        this.L.DomEvent.stopPropagation(e);  // not a tap on the empty map (which folds a fan back)
        this.openCluster(this.clusters.get(key));
      });
      marker.bindTooltip('', { direction: 'top', offset: [14, -30] });
      marker.addTo(this.hazardLayer);
      c = { marker, el };
      this.clusters.set(key, c);
    } else {
      c.marker.setLatLng(ll);
    }
    c.members = members;
    c.list = members.flatMap((id) => this.hazards.get(id).list);
    const newest = this.newestOf(c.list);
    c.el.dataset.siteIds = key;
    c.el.dataset.count = String(c.list.length);
    c.el.classList.toggle('overdue', c.list.some((x) => x.overdue));
    c.el.querySelector('.hz-icon').textContent = String(c.list.length);
    c.el.querySelector('.hz-age').textContent = age(newest.last_found_at);
    const names = members.slice(0, 4).map((id) => this.hazards.get(id).site.name).join('、')
      + (members.length > 4 ? t('map.cluster_more') : '');
    const label = t('map.cluster', { sites: members.length, n: c.list.length, names });
    c.el.setAttribute('aria-label', label);
    c.marker.setTooltipContent(`${label} · ${age(newest.last_found_at)}`);
    return c;
  }

  // A tapped cluster: zoom in on it, by a step at least, up to where its two
  // closest sites stand a cluster apart while all of them stay in view; at
  // the highest zoom, fan its pins out.
  openCluster(c) {
    if (!c) return;
    const z = this.map.getZoom(), max = this.map.getMaxZoom();
    const pts = c.members.map((id) => { const s = this.hazards.get(id).site; return this.map.latLngToLayerPoint(this.ll(s.lat, s.lon)); });
    let closest = Infinity;
    pts.forEach((a, i) => pts.forEach((b, j) => {
      if (i < j) closest = Math.min(closest, Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y)));
    }));
    const bounds = this.L.latLngBounds(c.members.map((id) => { const s = this.hazards.get(id).site; return this.ll(s.lat, s.lon); }));
    if (z >= max - 1e-6) {
      this.spreadKey = c.members.slice().sort().join(' ');
      this.clusterHazards();
      return;
    }
    const need = Math.ceil((z + Math.log2((CLUSTER_PX + 4) / Math.max(closest, 0.01))) * 2) / 2;  // the map's zoomSnap: 0.5
    if (this.focus) this.focus(bounds, need);
    else this.map.setView(bounds.getCenter(), Math.min(max, Math.max(z + 1, need)));
  }

  // Shows a hazard pin's age label only where it covers no other hazard pin
  // and no label already shown; overdue, then the newest, win. A hidden label
  // stays in the pin's tooltip. Boxes come from the layout (the pin's anchor
  // point and the label's offset size), not getBoundingClientRect, so a pin
  // still in its pop animation is measured at its resting size. Clusters
  // count as pins (clusterHazards() calls this once they are placed).
  declutterHazardLabels() {
    if (!this.map._loaded) return;
    const boxes = [];
    for (const m of this.shownHazardPins) {
      const p = this.map.latLngToLayerPoint(m.marker.getLatLng());
      const label = m.el.querySelector('.hz-age');
      const icon = { x: p.x + 2, y: p.y - 30, w: HAZARD_ICON, h: HAZARD_ICON };  // iconAnchor [-2, 30]
      const lw = label.offsetWidth, lh = label.offsetHeight;
      const text = { x: icon.x + 29, y: icon.y + (HAZARD_ICON - lh) / 2, w: lw, h: lh };
      const newest = this.newestOf(m.list ?? []);
      const rank = [m.list?.some((x) => x.overdue) ? 1 : 0, newest ? Date.parse(newest.last_found_at) : 0];
      boxes.push({ m, icon, text, rank });
    }
    boxes.sort((a, b) => b.rank[0] - a.rank[0] || b.rank[1] - a.rank[1]);
    const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    const shown = [];
    for (const b of boxes) {
      const clear = b.text.w > 0
        && !boxes.some((o) => o !== b && overlaps(b.text, o.icon))
        && !shown.some((o) => overlaps(b.text, o));
      b.m.el.classList.toggle('age-hidden', !clear);
      if (clear) shown.push(b.text);
    }
  }

  newestOf(list) {
    return list.reduce((a, b) => (!a || Date.parse(b.last_found_at) > Date.parse(a.last_found_at) ? b : a), null);
  }

  pop(el) {
    el.classList.remove('pop');
    void el.offsetWidth;  // restart the animation
    el.classList.add('pop');
  }

  renderVolunteer(userId) {
    const p = this.state.positions.get(userId);
    let m = this.volunteers.get(userId);
    if (!p || !this.filter({ org_unit_id: p.org_unit_id, kind: 'volunteer', user_id: userId })) {
      if (m) this.volunteerLayer.removeLayer(m.marker);
      this.volunteers.delete(userId);
      this.renderTrail(userId, false);
      return;
    }
    const name = p.name || this.state.userName(userId) || '?';
    if (!m) {
      const el = h('div', { class: 'vol-pin', dataset: { userId } },
        h('span', { class: 'vol-dot' }), h('span', { class: 'vol-label' }));
      const marker = this.L.marker(this.ll(p.lat, p.lon), {
        icon: this.L.divIcon({ html: el, className: 'pin-host', iconSize: [30, 30], iconAnchor: [15, 15] }),
        zIndexOffset: 1000,
      });
      marker.on('click', () => this.onSelect({ type: 'volunteer', id: userId }));
      marker.addTo(this.volunteerLayer);
      m = { marker, el };
      this.volunteers.set(userId, m);
    } else {
      m.marker.setLatLng(this.ll(p.lat, p.lon));
    }
    m.el.dataset.lat = String(p.lat);
    m.el.dataset.lon = String(p.lon);
    m.el.dataset.t = p.t;
    m.el.querySelector('.vol-dot').textContent = [...name][0] ?? '?';
    this.refreshVolunteerAge(userId);
    this.renderTrail(userId, true);
  }

  refreshVolunteerAge(userId) {
    const m = this.volunteers.get(userId);
    const p = this.state.positions.get(userId);
    if (!m || !p) return;
    const name = p.name || this.state.userName(userId) || '?';
    const stale = Date.now() - Date.parse(p.t) > this.staleMs;
    const pres = this.state.presence.get(userId);
    m.el.classList.toggle('stale', stale);
    m.el.classList.toggle('offline', pres ? !pres.online : false);
    m.el.classList.toggle('selected', this.selected?.type === 'volunteer' && this.selected.id === userId);
    m.el.querySelector('.vol-label').textContent = `${name} · ${age(p.t)}`;
    m.el.title = stale ? t('map.stale', { n: Math.round(this.staleMs / 60000) }) : '';
    const tr = this.trails.get(userId);
    if (tr) tr.setStyle({ color: stale ? '#9aa4ae' : '#d32f2f', opacity: stale ? 0.5 : 0.8 });
  }

  renderTrail(userId, visible) {
    const pts = this.state.trails.get(userId);
    let line = this.trails.get(userId);
    const pin = this.volunteers.get(userId)?.el;
    if (pin) pin.dataset.trail = String(visible && pts ? pts.length : 0);  // read by the browser tests
    if (!visible || !pts || pts.length < 2) {
      if (line) this.trailLayer.removeLayer(line);
      this.trails.delete(userId);
      return;
    }
    const lls = pts.map(([, la, lo]) => this.ll(la, lo));
    if (!line) {
      line = this.L.polyline(lls, { color: '#d32f2f', weight: 3, opacity: 0.8, interactive: false, renderer: this.trailRenderer });
      line.addTo(this.trailLayer);
      this.trails.set(userId, line);
    } else {
      line.setLatLngs(lls);
    }
  }

  // Ages on every marker move with the clock.
  tick() {
    for (const id of this.volunteers.keys()) this.refreshVolunteerAge(id);
    this.renderHazards();
  }

  select(sel) {
    const prev = this.selected;
    this.selected = sel;
    for (const s of [prev, sel]) {
      if (!s) continue;
      if (s.type === 'site') { const x = this.state.sites.get(s.id); if (x) this.renderSite(x); }
      if (s.type === 'volunteer') this.refreshVolunteerAge(s.id);
    }
  }

  // Bounds of what is shown ([[s, w], [n, e]] in map coordinates), or null.
  bounds() {
    const pts = [];
    for (const m of this.sites.values()) pts.push(m.marker.getLatLng());
    for (const m of this.volunteers.values()) pts.push(m.marker.getLatLng());
    this.outlineLayer.eachLayer((l) => { if (l.getLatLngs) pts.push(...l.getLatLngs().flat()); });
    return pts.length ? this.L.latLngBounds(pts) : null;
  }
}
