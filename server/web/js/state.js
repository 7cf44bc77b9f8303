// What the dashboard knows, in one place: the reference data from the pull and
// the live snapshot, then every live event applied on top. Views read it and
// listen for 'change' ({kind, data}); nothing here touches the DOM.

const OPEN = new Set(['open', 'assigned', 'rectified', 'verified']);
const FEED_MAX = 200;
const TRAIL_MAX = 2000;

export class State extends EventTarget {
  constructor() {
    super();
    this.me = null;
    this.orgUnits = new Map();   // id -> OrgUnit
    this.sites = new Map();      // id -> Site (+ open_hazards)
    this.templates = new Map();  // template id -> newest ChecklistTemplate
    this.teams = new Map();
    this.schedules = new Map();
    this.rounds = new Map();
    this.hazards = new Map();    // id -> Hazard (open ones, and ones seen changing)
    this.positions = new Map();  // user_id -> LatestPosition
    this.trails = new Map();     // user_id -> [[t_ms, lat, lon]] in time order
    this.presence = new Map();   // user_id -> {online, t}
    this.alerts = new Map();     // id -> SosAlert
    this.inspections = new Map(); // id -> Inspection (the feed's and the detail panel's)
    this.feed = [];              // inspection ids, newest first
    this.seq = null;             // last live seq applied
  }

  emit(kind, data) { this.dispatchEvent(new CustomEvent('change', { detail: { kind, data } })); }

  // --- loading -----------------------------------------------------------

  applyPull(entities) {
    for (const [id, o] of entities.org_unit ?? []) this.orgUnits.set(String(id), o);
    for (const [id, s] of entities.site ?? []) this.sites.set(id, { open_hazards: 0, ...this.sites.get(id), ...s });
    for (const [, tpl] of entities.checklist_template ?? []) {
      const cur = this.templates.get(tpl.id);
      if (!cur || cur.version <= tpl.version) this.templates.set(tpl.id, tpl);
    }
    for (const [id, x] of entities.team ?? []) this.teams.set(id, x);
    for (const [id, x] of entities.schedule ?? []) this.schedules.set(id, x);
    for (const [id, x] of entities.round ?? []) this.rounds.set(id, x);
    for (const [id, x] of entities.hazard ?? []) this.hazards.set(id, x);
    for (const [id, x] of entities.sos ?? []) this.alerts.set(id, x);
    this.recountHazards();
    this.emit('reset');
  }

  // A live snapshot (or its reset): replaces what it covers.
  applySnapshot(msg) {
    if (msg.reset) {
      this.positions.clear();
      this.hazards.clear();
    }
    for (const s of msg.sites ?? []) this.sites.set(s.id, { ...this.sites.get(s.id), ...s });
    for (const p of msg.positions ?? []) this.setPosition(p, { trail: false });
    for (const h of msg.hazards ?? []) this.hazards.set(h.id, h);
    for (const r of msg.rounds ?? []) this.rounds.set(r.id, { ...this.rounds.get(r.id), ...r });
    for (const a of msg.alerts ?? []) this.alerts.set(a.id, { ...this.alerts.get(a.id), ...a });
    for (const p of msg.presence ?? []) this.presence.set(p.user_id, { online: !!p.online, t: p.t });
    if (typeof msg.seq === 'number') this.seq = msg.seq;
    this.recountHazards();
    this.emit('reset');
  }

  // One live event; returns false when it is one already applied (seq not newer).
  applyEvent(ev) {
    if (typeof ev.seq === 'number') {
      if (this.seq !== null && ev.seq <= this.seq) return false;
      this.seq = ev.seq;
    }
    const d = ev.data ?? {};
    switch (ev.kind) {
      case 'position': this.setPosition(d, { trail: true }); break;
      case 'inspection': this.addInspection(d, { live: true }); break;
      case 'hazard':
        this.hazards.set(d.id, { ...this.hazards.get(d.id), ...d });
        this.recountHazards();
        break;
      case 'round': this.rounds.set(d.id, { ...this.rounds.get(d.id), ...d }); break;
      case 'presence': this.presence.set(d.user_id, { online: !!d.online, t: d.t }); break;
      case 'sos': this.alerts.set(d.id, { ...this.alerts.get(d.id), ...d }); break;
      default: return true;  // a kind this page does not know yet: ignore, keep the seq
    }
    this.emit(ev.kind, d);
    return true;
  }

  // --- the pieces ---------------------------------------------------------

  // Keeps the newest position as "latest" (a late point from a backlog only
  // extends the trail, never moves the marker back in time).
  setPosition(p, { trail }) {
    const tms = Date.parse(p.t);
    const cur = this.positions.get(p.user_id);
    if (!cur || !(Date.parse(cur.t) > tms)) this.positions.set(p.user_id, { ...cur, ...p });
    if (trail) this.addTrailPoints(p.user_id, [[tms, p.lat, p.lon]]);
  }

  addTrailPoints(userId, points) {
    const tr = this.trails.get(userId) ?? [];
    for (const pt of points) {
      if (!Number.isFinite(pt[0])) continue;
      if (tr.length === 0 || tr[tr.length - 1][0] <= pt[0]) {
        if (tr.length && tr[tr.length - 1][0] === pt[0]) continue;
        tr.push(pt);
      } else {
        // late point: insert in time order, skip an exact duplicate
        let i = tr.length - 1;
        while (i >= 0 && tr[i][0] > pt[0]) i--;
        if (i >= 0 && tr[i][0] === pt[0]) continue;
        tr.splice(i + 1, 0, pt);
      }
    }
    if (tr.length > TRAIL_MAX) tr.splice(0, tr.length - TRAIL_MAX);
    this.trails.set(userId, tr);
  }

  addInspection(i, { live }) {
    const known = this.inspections.has(i.id);
    this.inspections.set(i.id, i);
    if (!known) {
      this.feed.push(i.id);
      const when = (id) => Date.parse(this.inspections.get(id)?.received_at ?? 0);
      this.feed.sort((a, b) => when(b) - when(a));
      while (this.feed.length > FEED_MAX) this.inspections.delete(this.feed.pop());
    }
    const site = this.sites.get(i.site_id);
    if (site && (!site.last_inspected_at || site.last_inspected_at < i.received_at)) {
      site.last_inspected_at = i.received_at;
    }
    if (live && i.position && i.user_id) {
      this.addTrailPoints(i.user_id, [[Date.parse(i.observed_at_corrected ?? i.received_at), i.position.lat, i.position.lon]]);
    }
  }

  // Open hazards per site, from the hazards known (the snapshot's open ones,
  // then every hazard event), so a count never lags the markers.
  recountHazards() {
    const n = new Map();
    for (const h of this.hazards.values()) if (OPEN.has(h.state)) n.set(h.site_id, (n.get(h.site_id) ?? 0) + 1);
    for (const s of this.sites.values()) s.open_hazards = n.get(s.id) ?? 0;
  }

  openHazards(siteId) {
    return [...this.hazards.values()].filter((h) => OPEN.has(h.state) && (!siteId || h.site_id === siteId));
  }

  // --- helpers the views share -------------------------------------------

  orgName(id) { return this.orgUnits.get(String(id))?.name ?? ''; }

  // The chain from the root to id: [OrgUnit…].
  orgChain(id) {
    const out = [];
    let o = this.orgUnits.get(String(id));
    for (let guard = 0; o && guard < 16; guard++) {
      out.unshift(o);
      o = o.parent_id == null ? null : this.orgUnits.get(String(o.parent_id));
    }
    return out;
  }

  // The org unit of kind (town/village) above or at id, or null.
  ancestorOfKind(id, kind) {
    return this.orgChain(id).find((o) => o.kind === kind) ?? null;
  }

  // The item's label in lang from the newest template that has it.
  itemLabel(code, lang) {
    for (const tpl of this.templates.values()) {
      const it = tpl.items?.find((x) => x.code === code);
      if (it) return (lang === 'en' ? it.label_en : it.label_zh) || code;
    }
    return code;
  }

  itemSeverity(code) {
    for (const tpl of this.templates.values()) {
      const it = tpl.items?.find((x) => x.code === code);
      if (it) return it.severity;
    }
    return '';
  }

  userName(userId) {
    const p = this.positions.get(userId);
    if (p?.name) return p.name;
    for (const team of this.teams.values()) {
      const m = team.members?.find((x) => x.user_id === userId);
      if (m) return m.name;
    }
    for (const a of this.alerts.values()) if (a.user_id === userId && a.name) return a.name;
    if (this.me?.id === userId) return this.me.name;
    return '';
  }

  teamOf(userId) {
    for (const team of this.teams.values()) if (team.members?.some((m) => m.user_id === userId)) return team;
    return null;
  }
}
