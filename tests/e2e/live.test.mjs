// The live feed (/api/v1/live) and the tracker route (/osmand) of the real
// patrold, driven by an independent WebSocket client (npm `ws`): snapshot
// then events in commit order, reconnect with `since`, scope refusal, logout
// closes the socket, a slow consumer is closed while a fast one gets every
// event; OsmAnd query and JSON forms, unknown identifier, bad values.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { request, startServer } from './server.mjs';
import { check, loadAjv } from './schemas.mjs';

const ajv = loadAjv();
const schemaErrors = [];  // every server message is checked against live_message.schema.json

const build = resolve(process.env.PATROL_BUILD_DIR ?? join(import.meta.dirname ?? '.', '..', '..', 'build', 'asan'));
const patrold = join(build, 'server', 'patrold');
const skip = existsSync(patrold) ? false : `patrold not built: ${patrold} is missing`;

const PASSWORD = 'patrol-demo';
const PHONES = { city: '13900000000', leader: '13900000001', volunteer: '13900000002', other: '13900000003', admin: '13900000007' };

function uuidv7() {
  const hex = Date.now().toString(16).padStart(12, '0');
  const r = randomUUID().replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${r.slice(13, 16)}-${((parseInt(r[16], 16) & 3) | 8).toString(16)}${r.slice(17, 20)}-${r.slice(20, 32)}`;
}
const iso = (deltaMs = 0) => new Date(Date.now() + deltaMs).toISOString();

// A live connection that records every message; next() waits for one that matches.
class Live {
  // stallable: the connection goes through a local TCP relay whose upstream
  // side the test can stop reading (the kernel window to patrold then closes).
  static open(port, token, { stallable = false } = {}) {
    const c = new Live();
    let target = port;
    if (stallable) {
      c.relay = net.createServer((down) => {
        const up = net.connect(port, '127.0.0.1');
        c.up = up;
        c.down = down;
        down.pipe(up);
        up.pipe(down);
        const end = () => { up.destroy(); down.destroy(); };
        up.on('error', end); down.on('error', end); up.on('close', end); down.on('close', end);
      });
      c.relayReady = new Promise((r) => c.relay.listen(0, '127.0.0.1', r));
    }
    c.ws = null;
    c.connect = async () => {
      if (stallable) { await c.relayReady; target = c.relay.address().port; }
      c.ws = new WebSocket(`wss://127.0.0.1:${target}/api/v1/live?access_token=${token}`, { rejectUnauthorized: false, perMessageDeflate: false });
    };
    c.messages = [];
    c.waiters = [];
    let resolveClosed;
    c.closed = new Promise((res) => { resolveClosed = res; });
    c.opened = c.connect().then(() => new Promise((res, rej) => {
      c.ws.on('close', (code, reason) => { c.closeCode = code; c.closeReason = reason.toString(); c.relay?.close(); resolveClosed(code); });
      c.ws.on('error', () => {});
      c.ws.on('open', res);
      c.ws.on('unexpected-response', (_q, r) => rej(new Error(`upgrade refused: ${r.statusCode}`)));
      c.ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      const bad = check(ajv, 'live_message', m);
      if (bad && schemaErrors.length < 5) schemaErrors.push(`${bad}\n  in ${JSON.stringify(m).slice(0, 500)}`);
      c.messages.push(m);
      for (const w of [...c.waiters]) if (w.pred(m)) { c.waiters.splice(c.waiters.indexOf(w), 1); w.res(m); }
      });
    }));
    return c;
  }
  next(pred, timeoutMs = 10000, what = 'message') {
    const have = this.messages.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((res, rej) => {
      const w = { pred, res };
      this.waiters.push(w);
      setTimeout(() => { const i = this.waiters.indexOf(w); if (i >= 0) { this.waiters.splice(i, 1); rej(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(-5)).slice(0, 1500)}`)); } }, timeoutMs);
    });
  }
  send(o) { this.ws.send(JSON.stringify(o)); }
  // Stops reading from patrold at the TCP level / reads again (stallable only).
  stopReading() { this.up.unpipe(this.down); this.up.pause(); }
  startReading() { this.up.pipe(this.down); this.up.resume(); }
  events() { return this.messages.filter((m) => m.type === 'event'); }
  close() { try { this.ws?.close(); } catch { /* closed */ } }
}

describe('live feed and trackers on a real patrold', { skip }, () => {
  let srv;
  const tok = {};
  const me = {};
  let site;
  let template;
  const call = (method, path, opts) => request(srv.port, method, path, opts);

  async function login(phone, device = 'e2e-live') {
    const r = await call('POST', '/api/v1/auth/login', { body: { phone, password: PASSWORD, device_id: device } });
    assert.equal(r.status, 200, r.text);
    return r.json;
  }
  async function push(token, ops) {
    const r = await call('POST', '/api/v1/sync/push', { token, body: { device_id: 'e2e-live', ops } });
    assert.equal(r.status, 200, r.text);
    for (const x of r.json.results) assert.notEqual(x.status, 'rejected', JSON.stringify(x));
    return r.json;
  }
  const positionOp = (lat, lon, t = iso()) => ({ op_id: uuidv7(), type: 'position.append', body: { points: [{ t, lat, lon, accuracy_m: 5 }] } });
  function inspectionOp({ note = '', itemNote = '', hazard = true } = {}) {
    return {
      op_id: uuidv7(), type: 'inspection.create', device_time: iso(),
      body: {
        id: uuidv7(), site_id: site.id, template_id: template.id, template_version: template.version, round_id: null,
        observed_at: iso(), position: { lat: site.lat, lon: site.lon, accuracy_m: 8, crs: 'wgs84' },
        items: template.items.map((i, k) => ({ code: i.code, result: hazard && k === 0 ? 'hazard' : 'ok', note: itemNote })),
        note,
      },
    };
  }
  async function subscribed(who, body = {}) {
    const c = Live.open(srv.port, tok[who]);
    await c.opened;
    await c.next((m) => m.type === 'hello', 5000, 'hello');
    c.send({ type: 'subscribe', org_unit_id: me[who].org_unit_id, ...body });
    return c;
  }

  before(async () => {
    srv = await startServer(patrold, { args: ['--presence-window', '3s', '--ws-send-queue', '2000', '--ws-slow-after-ms', '3000', '--access-log=false'] });
    for (const [k, phone] of Object.entries(PHONES)) {
      const r = await login(phone);
      tok[k] = r.token;
      me[k] = r.user;
    }
    const pull = await call('GET', '/api/v1/sync/pull?cursor=0&limit=1000', { token: tok.volunteer });
    const latest = (e) => [...new Map(pull.json.changes.filter((c) => c.entity === e).map((c) => [c.id, c.data])).values()];
    const templates = latest('checklist_template');
    site = latest('site').find((s) => templates.some((t) => t.id === s.template_id));
    template = templates.find((t) => t.id === site.template_id);
    assert.ok(site && template);
  });
  after(async () => { if (srv) await srv.stop(); });

  test('snapshot, then committed events in order with increasing seq', async () => {
    const leader = await subscribed('leader');
    const snap = await leader.next((m) => m.type === 'snapshot', 10000, 'snapshot');
    assert.equal(snap.org_unit_id, me.leader.org_unit_id);
    assert.equal(typeof snap.seq, 'number');
    assert.ok(snap.sites.length > 0, 'the village has sites');
    for (const s of snap.sites) assert.equal(typeof s.open_hazards, 'number');
    for (const k of ['positions', 'hazards', 'rounds']) assert.ok(Array.isArray(snap[k]), k);
    assert.equal(snap.reset, undefined);

    await push(tok.volunteer, [positionOp(site.lat, site.lon), inspectionOp({ note: 'e2e live 飞线' })]);
    const pos = await leader.next((m) => m.type === 'event' && m.kind === 'position', 10000, 'position event');
    assert.equal(pos.data.user_id, me.volunteer.id);
    assert.ok(Math.abs(pos.data.lat - site.lat) < 1e-9);
    const insp = await leader.next((m) => m.type === 'event' && m.kind === 'inspection', 10000, 'inspection event');
    assert.equal(insp.data.site_id, site.id);
    assert.equal(insp.data.note, 'e2e live 飞线');
    const hz = await leader.next((m) => m.type === 'event' && m.kind === 'hazard', 10000, 'hazard event');
    assert.equal(hz.data.site_id, site.id);
    // Online: in the snapshot already (the volunteer pulled before), or as an event.
    if (!snap.presence.some((p) => p.user_id === me.volunteer.id && p.online)) {
      await leader.next((m) => m.type === 'event' && m.kind === 'presence' && m.data.user_id === me.volunteer.id && m.data.online === true, 10000, 'presence online');
    }
    const seqs = leader.events().map((e) => e.seq);
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `seq increases: ${seqs}`);
    assert.ok(seqs[0] > snap.seq, 'events come after the snapshot');
    // A late point (older than the marker) extends the track but sends no marker back in time.
    await push(tok.volunteer, [positionOp(site.lat + 0.01, site.lon, iso(-3600_000))]);
    await push(tok.volunteer, [positionOp(site.lat + 0.0002, site.lon + 0.0002)]);
    const last = await leader.next((m) => m.type === 'event' && m.kind === 'position' && Math.abs(m.data.lat - (site.lat + 0.0002)) < 1e-9, 10000, 'newer position');
    assert.ok(!leader.events().some((e) => e.kind === 'position' && Math.abs(e.data.lat - (site.lat + 0.01)) < 1e-9), 'the late point never became the marker');
    assert.ok(last.seq > pos.seq);
    // Presence: offline once the window (3 s) passes without activity.
    await leader.next((m) => m.type === 'event' && m.kind === 'presence' && m.data.user_id === me.volunteer.id && m.data.online === false, 10000, 'presence offline');
    leader.close();
  });

  test('reconnect with since: the missed events, no gap, no duplicate; too old gets reset', async () => {
    const a = await subscribed('leader');
    await a.next((m) => m.type === 'snapshot');
    await push(tok.volunteer, [positionOp(site.lat + 0.001, site.lon)]);
    const seen = await a.next((m) => m.type === 'event' && m.kind === 'position');
    a.close();
    await a.closed;
    // Missed while away: two inspections (and their hazard updates) and a position.
    await push(tok.volunteer, [inspectionOp({ note: 'missed 1' })]);
    await push(tok.volunteer, [inspectionOp({ note: 'missed 2' }), positionOp(site.lat + 0.002, site.lon)]);
    await sleep(300);
    const b = await subscribed('leader', { since: seen.seq });
    const ack = await b.next((m) => m.type === 'subscribed' || m.type === 'snapshot');
    assert.equal(ack.type, 'subscribed', 'a recent since is not answered with a snapshot');
    await b.next((m) => m.type === 'event' && m.kind === 'position' && Math.abs(m.data.lat - (site.lat + 0.002)) < 1e-9, 10000, 'missed position');
    const notes = b.events().filter((e) => e.kind === 'inspection').map((e) => e.data.note);
    assert.deepEqual(notes, ['missed 1', 'missed 2']);
    const seqs = b.events().map((e) => e.seq);
    assert.ok(seqs[0] > seen.seq, 'nothing at or before since');
    assert.equal(new Set(seqs).size, seqs.length, 'no duplicate');
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1]);
    b.close();

    const c = await subscribed('leader', { since: 1 });
    const snap = await c.next((m) => m.type === 'snapshot');
    assert.equal(snap.reset, true);
    c.close();
  });

  test('a subscription outside the caller\'s subtree is refused and nothing of it is sent', async () => {
    const spy = Live.open(srv.port, tok.other);
    await spy.opened;
    spy.send({ type: 'subscribe', org_unit_id: me.leader.org_unit_id });
    const err = await spy.next((m) => m.type === 'error');
    assert.equal(err.error.code, 'forbidden');
    assert.equal(err.error.field, 'org_unit_id');
    assert.equal(typeof err.error.message, 'string');
    spy.send({ type: 'subscribe', org_unit_id: '1' });  // the city, above them
    await spy.next((m) => m.type === 'error' && m !== err);
    // Their own village is fine, and 大田刘村's activity never reaches them.
    spy.send({ type: 'subscribe', org_unit_id: me.other.org_unit_id });
    await spy.next((m) => m.type === 'snapshot');
    await push(tok.volunteer, [positionOp(site.lat, site.lon + 0.001), inspectionOp({ note: 'not for 东溪单村' })]);
    await push(tok.other, [positionOp(28.9, 121.2)]);
    await spy.next((m) => m.type === 'event' && m.kind === 'position' && m.data.user_id === me.other.id);
    for (const e of spy.events()) assert.notEqual(e.data.user_id, me.volunteer.id, JSON.stringify(e));
    assert.ok(!spy.events().some((e) => e.kind === 'inspection' || e.kind === 'hazard'));
    spy.close();
  });

  test('logout closes the socket', async () => {
    const s = await login(PHONES.leader, 'e2e-logout');
    const c = Live.open(srv.port, s.token);
    await c.opened;
    c.send({ type: 'subscribe', org_unit_id: s.user.org_unit_id });
    await c.next((m) => m.type === 'snapshot');
    const r = await call('POST', '/api/v1/auth/logout', { token: s.token });
    assert.equal(r.status, 204);
    const code = await Promise.race([c.closed, sleep(5000).then(() => 'still open')]);
    assert.equal(code, 4001);
    assert.equal(c.closeReason, 'logged out');
  });

  test('a slow consumer is closed; a fast one receives every event', async () => {
    const fast = await subscribed('leader');
    await fast.next((m) => m.type === 'snapshot');
    const slow = Live.open(srv.port, tok.leader, { stallable: true });
    await slow.opened;
    slow.send({ type: 'subscribe', org_unit_id: me.leader.org_unit_id });
    await slow.next((m) => m.type === 'snapshot');
    slow.stopReading();  // TCP window, then the server's queue fill; its oldest message ages
    const big = 'x'.repeat(1900);
    const ids = [];
    for (let k = 0; k < 12; k++) {
      const ops = Array.from({ length: 50 }, () => inspectionOp({ note: 'y'.repeat(3900), itemNote: big }));
      ids.push(...ops.map((o) => o.body.id));
      await push(tok.volunteer, ops);
    }
    // Still behind 3.5 s later (--ws-slow-after-ms 3000): the next event finds
    // its oldest queued message too old and closes it.
    await sleep(3500);
    await push(tok.volunteer, [positionOp(site.lat, site.lon + 0.003)]);
    await fast.next((m) => m.type === 'event' && m.kind === 'inspection' && m.data.id === ids.at(-1), 30000, 'last inspection');
    const got = fast.events().filter((e) => e.kind === 'inspection').map((e) => e.data.id);
    assert.deepEqual(got.slice(-ids.length), ids, 'every inspection, in commit order');
    // The slow one reads again: what the kernel held, then the close frame the
    // server queued when its queue overflowed (it could not be sent earlier).
    slow.startReading();
    const code = await Promise.race([slow.closed, sleep(20000).then(() => 'still open')]);
    assert.equal(code, 1008, `closed as too slow (it got ${slow.events().length} events)`);
    assert.equal(slow.closeReason, 'send queue overflow');
    const slowGot = slow.events().filter((e) => e.kind === 'inspection').length;
    assert.ok(slowGot < ids.length, `the slow consumer was cut off (${slowGot} of ${ids.length})`);
    fast.close();
  });

  test('OsmAnd: register, query and JSON forms, GCJ-02, unknown id, bad values', async () => {
    const ident = `e2e-${Date.now()}`;
    const reg = await call('POST', '/api/v1/trackers', { token: tok.volunteer, body: { identifier: ident } });
    assert.equal(reg.status, 201, reg.text);
    assert.equal((await call('POST', '/api/v1/trackers', { token: tok.volunteer, body: { identifier: ident } })).status, 200);
    assert.equal((await call('POST', '/api/v1/trackers', { token: tok.other, body: { identifier: ident } })).status, 409);

    const watch = await subscribed('leader');
    await watch.next((m) => m.type === 'snapshot');
    await sleep(5);
    const ts = Math.floor(Date.now() / 1000) + 2;  // a little ahead: stored as "now", newer than any marker
    const q = await call('GET', `/osmand?id=${ident}&lat=28.8601&lon=121.1401&timestamp=${ts}&speed=1.2&bearing=90&altitude=12&accuracy=7&batt=80`);
    assert.equal(q.status, 200, q.text);
    const e1 = await watch.next((m) => m.type === 'event' && m.kind === 'position' && m.data.user_id === me.volunteer.id && Math.abs(m.data.lat - 28.8601) < 1e-9, 10000, 'osmand query position');
    assert.equal(e1.data.accuracy_m, 7);

    const json = await call('POST', '/osmand', { body: { device_id: ident, location: { timestamp: new Date(Date.now() + 1000).toISOString(), coords: { latitude: 28.8611, longitude: 121.1411, accuracy: 4, speed: 0, heading: 10, altitude: 5 }, battery: { level: 0.5 } } } });
    assert.equal(json.status, 200, json.text);
    await watch.next((m) => m.type === 'event' && m.kind === 'position' && Math.abs(m.data.lat - 28.8611) < 1e-9, 10000, 'osmand JSON position');

    // GCJ-02 in, WGS84 stored: eviltransform's Shanghai reference point.
    const g = await call('POST', `/osmand?id=${ident}&lat=31.17530398364597&lon=121.531541859215&crs=gcj02&timestamp=${new Date(Date.now() + 2000).toISOString()}`);
    assert.equal(g.status, 200, g.text);
    const e3 = await watch.next((m) => m.type === 'event' && m.kind === 'position' && Math.abs(m.data.lat - 31.1774276) < 1e-6, 10000, 'converted position');
    assert.ok(Math.abs(e3.data.lon - 121.5272106) < 1e-6);

    const unknown = await call('GET', `/osmand?id=nobody-${Date.now()}&lat=28.86&lon=121.14`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.field, 'id');
    for (const [qs, field] of [
      [`lat=91&lon=121.14&timestamp=${ts}`, 'lat'],
      [`lat=28.86&lon=181&timestamp=${ts}`, 'lon'],
      ['lat=abc&lon=121.14', 'lat'],
      ['lat=28.86&lon=121.14&timestamp=12', 'timestamp'],
      ['lat=28.86&lon=121.14&timestamp=1970-01-01T00:00:05Z', 'timestamp'],
      ['lat=28.86&lon=121.14&timestamp=yesterday', 'timestamp'],
      ['lat=28.86&lon=121.14&speed=fast', 'speed'],
      ['lat=28.86&lon=121.14&crs=bd09', 'crs'],
      ['lon=121.14', 'lat'],
    ]) {
      const r = await call('GET', `/osmand?id=${ident}&${qs}`);
      assert.equal(r.status, 400, `${qs}: ${r.text}`);
      assert.equal(r.json.error.field, field, qs);
    }
    watch.close();
  });

  test('SOS acknowledged by one leader reaches another leader\'s socket', async () => {
    const admin = await subscribed('admin');  // the village admin watches 大田刘村
    await admin.next((m) => m.type === 'snapshot', 10000, 'snapshot');
    const id = uuidv7();
    await push(tok.volunteer, [{ op_id: uuidv7(), type: 'sos.raise', device_time: iso(), body: { id, raised_at: iso(), position: { lat: site.lat, lon: site.lon }, note: 'e2e ack' } }]);
    const raised = await admin.next((m) => m.type === 'event' && m.kind === 'sos' && m.data.id === id, 10000, 'sos raised');
    assert.equal(raised.data.state, 'open');
    assert.equal((await call('POST', `/api/v1/sos/${id}/ack`, { token: tok.volunteer, body: {} })).status, 403);
    assert.equal((await call('POST', `/api/v1/sos/${id}/ack`, { token: tok.other, body: {} })).status, 403);
    const r = await call('POST', `/api/v1/sos/${id}/ack`, { token: tok.leader, body: {} });
    assert.equal(r.status, 200, r.text);
    assert.equal(check(ajv, 'sos_alert', r.json), null);
    assert.equal(r.json.state, 'acknowledged');
    assert.equal(r.json.acknowledged_by, me.leader.id);
    const acked = await admin.next((m) => m.type === 'event' && m.kind === 'sos' && m.data.id === id && m.data.state === 'acknowledged', 10000, 'sos acknowledged event');
    assert.equal(acked.data.acknowledged_by, me.leader.id);
    assert.ok(acked.seq > raised.seq);
    admin.close();
  });

  test('every message the server sent matches live_message.schema.json', () => {
    assert.deepEqual(schemaErrors, []);
    assert.equal(check(ajv, 'live_subscribe', { type: 'subscribe', org_unit_id: '21', since: 5 }), null);
  });

  test('photos: GET an attachment only within the scope of an inspection naming it', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`e2e photo ${Date.now()}`)]);
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(bytes).digest('hex');
    const put = await call('PUT', `/api/v1/attachments/${sha}`, { token: tok.volunteer, body: bytes, headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-${bytes.length - 1}/${bytes.length}` } });
    assert.ok(put.status < 300, put.text);
    // Not named by any inspection yet: nobody sees it.
    assert.equal((await call('GET', `/api/v1/attachments/${sha}`, { token: tok.leader })).status, 404);
    const op = inspectionOp({ note: 'with photo' });
    op.body.items[0].photos = [sha];
    await push(tok.volunteer, [op]);
    const ok = await call('GET', `/api/v1/attachments/${sha}`, { token: tok.leader });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'image/jpeg');
    assert.equal(Buffer.from(ok.text, 'latin1').length > 0, true);
    assert.equal((await call('GET', `/api/v1/attachments/${sha}`, { token: tok.city })).status, 200);
    const other = await call('GET', `/api/v1/attachments/${sha}`, { token: tok.other });
    assert.equal(other.status, 404, 'another village never sees it');
  });
});
