// Every route of the real patrold, called with the demo logins; every body it
// answers is validated against schemas/*.schema.json (DESIGN.md "Wire contract").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAjv, assertValid } from './schemas.mjs';
import { request, startServer, wsFirstMessage } from './server.mjs';

const build = resolve(process.env.PATROL_BUILD_DIR ?? join(import.meta.dirname ?? '.', '..', '..', 'build', 'asan'));
const patrold = join(build, 'server', 'patrold');
const skip = existsSync(patrold) ? false : `patrold not built: ${patrold} is missing (build the patrold target)`;
const ajv = loadAjv();

const PASSWORD = 'patrol-demo';
const DEMO = {
  city_admin: { phone: '13900000000', role: 'city_admin' },
  leader: { phone: '13900000001', role: 'team_leader' },
  volunteer: { phone: '13900000002', role: 'volunteer' },
  other_volunteer: { phone: '13900000003', role: 'volunteer' },
  town_staff: { phone: '13900000004', role: 'town_staff' },
  village_admin: { phone: '13900000007', role: 'village_admin' },
};

// UUIDv7-shaped id (the server only needs a UUID; v7 keeps ops time-ordered).
function uuidv7() {
  const hex = Date.now().toString(16).padStart(12, '0');
  const r = randomUUID().replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${r.slice(13, 16)}-${((parseInt(r[16], 16) & 3) | 8).toString(16)}${r.slice(17, 20)}-${r.slice(20, 32)}`;
}

function localTime(offsetMinutes = 480, deltaMs = 0) {
  const d = new Date(Date.now() + deltaMs + offsetMinutes * 60000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${d.toISOString().slice(0, 19)}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

describe('patrold API against the schemas', { skip }, () => {
  let srv;
  const tokens = {};
  const users = {};
  const call = (method, path, opts) => request(srv.port, method, path, opts);

  function expectError(r, status, what) {
    assert.equal(r.status, status, `${what}: expected ${status}, got ${r.status}: ${r.text}`);
    assert.match(r.headers['content-type'] ?? '', /^application\/json/, `${what}: error body must be JSON`);
    assertValid(assert, ajv, 'error', r.json, `${what} (${status})`);
    return r.json.error;
  }

  function expectOk(r, status, schema, what) {
    assert.equal(r.status, status, `${what}: expected ${status}, got ${r.status}: ${r.text.slice(0, 2000)}`);
    if (schema) assertValid(assert, ajv, schema, r.json, what);
    return r.json;
  }

  // Follows `next` through every page, validating the envelope and each item.
  async function allPages(path, token, itemSchema, limit = 2) {
    const items = [];
    let after = null;
    for (let page = 0; page < 500; ++page) {
      const sep = path.includes('?') ? '&' : '?';
      const url = `${path}${sep}limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const body = expectOk(await call('GET', url, { token }), 200, 'list_page', `GET ${url}`);
      assert.ok(body.items.length <= limit, `GET ${url}: ${body.items.length} items for limit=${limit}`);
      body.items.forEach((it, i) => assertValid(assert, ajv, itemSchema, it, `GET ${url} items[${i}]`));
      items.push(...body.items);
      if (body.next === null) return items;
      assert.ok(body.items.length > 0, `GET ${url}: empty page with a next`);
      after = body.next;
    }
    throw new Error(`${path}: more than 500 pages`);
  }

  before(async () => {
    srv = await startServer(patrold);
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  test('GET /healthz and /metrics', async () => {
    const h = await call('GET', '/healthz');
    assert.equal(h.status, 200, h.text);
    const m = await call('GET', '/metrics');
    assert.equal(m.status, 200, m.text);
    assert.match(m.headers['content-type'] ?? '', /^text\/plain/);
    assert.match(m.text, /^# (HELP|TYPE) /m, 'Prometheus text format');
  });

  test('POST /api/v1/auth/login with every demo login', async () => {
    for (const [who, { phone, role }] of Object.entries(DEMO)) {
      const body = { phone, password: PASSWORD, device_id: `e2e-${who}` };
      const r = expectOk(await call('POST', '/api/v1/auth/login', { body }), 200, 'login_response', `login ${who}`);
      assert.equal(r.user.role, role, `${who}'s role`);
      assert.ok(Date.parse(r.expires_at) > Date.now(), `${who}: expires_at in the future`);
      tokens[who] = r.token;
      users[who] = r.user;
    }
    assert.equal(users.leader.org_unit_id, users.volunteer.org_unit_id, 'leader and volunteer share 大田刘村');
    assert.notEqual(users.other_volunteer.org_unit_id, users.volunteer.org_unit_id, '东溪单村 is another village');
  });

  test('login failures answer with the error body', async () => {
    const wrong = await call('POST', '/api/v1/auth/login', { body: { phone: DEMO.volunteer.phone, password: 'nope', device_id: 'e2e' } });
    expectError(wrong, 401, 'wrong password');
    const missing = await call('POST', '/api/v1/auth/login', { body: { password: PASSWORD, device_id: 'e2e' } });
    assert.equal(expectError(missing, 422, 'missing phone').field, 'phone');
    const notJson = await call('POST', '/api/v1/auth/login', { body: '{"phone":', headers: { 'content-type': 'application/json' } });
    expectError(notJson, 400, 'malformed JSON');
    const wrongType = await call('POST', '/api/v1/auth/login', { body: 'phone=1', headers: { 'content-type': 'text/plain' } });
    expectError(wrongType, 415, 'text/plain body');
  });

  test('GET /api/v1/me', async () => {
    for (const who of Object.keys(DEMO)) {
      const me = expectOk(await call('GET', '/api/v1/me', { token: tokens[who] }), 200, 'me', `me ${who}`);
      assert.equal(me.id, users[who].id);
      assert.equal(me.role, DEMO[who].role);
    }
    expectError(await call('GET', '/api/v1/me'), 401, 'me without a token');
    expectError(await call('GET', '/api/v1/me', { token: 'bogus' }), 401, 'me with a bogus token');
  });

  const state = {};

  test('GET /api/v1/sync/pull pages through the reference data', async () => {
    const changes = [];
    let cursor = 0;
    for (let i = 0; i < 1000; ++i) {
      const url = `/api/v1/sync/pull?cursor=${cursor}&limit=50`;
      const r = expectOk(await call('GET', url, { token: tokens.volunteer }), 200, 'pull_response', `GET ${url}`);
      assert.ok(r.changes.length <= 50);
      for (const c of r.changes) assert.ok(c.seq > cursor, `seq ${c.seq} after cursor ${cursor}`);
      changes.push(...r.changes);
      assert.ok(r.cursor >= cursor);
      cursor = r.cursor;
      if (!r.has_more) break;
    }
    const again = expectOk(await call('GET', `/api/v1/sync/pull?cursor=${cursor}`, { token: tokens.volunteer }), 200, 'pull_response', 'pull at the end');
    assert.equal(again.changes.length, 0, 'nothing new after the last cursor');
    const latest = (entity) => {
      const m = new Map();
      for (const c of changes) if (c.entity === entity) m.set(c.id, c);
      return [...m.values()].filter((c) => c.op === 'upsert').map((c) => c.data);
    };
    const sites = latest('site');
    const templates = latest('checklist_template');
    assert.ok(sites.length > 0, 'the volunteer sees sites');
    assert.ok(templates.length > 0, 'the volunteer sees checklist templates');
    for (const s of sites) assert.equal(s.org_unit_id === users.other_volunteer.org_unit_id, false, 'no site of another village');
    state.site = sites.find((s) => templates.some((t) => t.id === s.template_id));
    assert.ok(state.site, 'a site whose template was pulled');
    state.template = templates.find((t) => t.id === state.site.template_id);
    state.cursor = cursor;
    expectError(await call('GET', '/api/v1/sync/pull?cursor=abc', { token: tokens.volunteer }), 400, 'pull with a bad cursor');
    expectError(await call('GET', '/api/v1/sync/pull'), 401, 'pull without a token');
  });

  test('POST /api/v1/sync/push: applied, duplicate, rejected', async () => {
    const { site, template } = state;
    const photoItem = template.items.find((i) => i.photo_required) ?? template.items[0];
    state.photoItem = photoItem;
    state.photoBytes = Buffer.from(`e2e photo of ${photoItem.code} ${Date.now()}`);
    state.photo = createHash('sha256').update(state.photoBytes).digest('hex');
    state.inspectionId = uuidv7();
    state.sosId = uuidv7();
    const inspection = {
      op_id: uuidv7(), type: 'inspection.create', device_time: localTime(),
      body: {
        id: state.inspectionId, site_id: site.id, template_id: template.id, template_version: template.version,
        round_id: null, observed_at: localTime(480, -5000),
        position: { lat: site.lat, lon: site.lon, accuracy_m: 8, crs: 'wgs84' },
        items: template.items.map((i) => (i.code === photoItem.code
          ? { code: i.code, result: 'hazard', note: 'e2e 飞线', photos: [state.photo] }
          : { code: i.code, result: 'ok' })),
        note: 'e2e',
      },
    };
    const positions = {
      op_id: uuidv7(), type: 'position.append', device_time: localTime(),
      body: { points: [{ t: localTime(480, -10000), lat: site.lat, lon: site.lon, accuracy_m: 6 },
        { t: localTime(480, -5000), lat: site.lat + 0.0001, lon: site.lon + 0.0001 }] },
    };
    const sos = {
      op_id: uuidv7(), type: 'sos.raise', device_time: localTime(),
      body: { id: state.sosId, raised_at: localTime(), position: { lat: site.lat, lon: site.lon }, note: 'e2e SOS' },
    };
    const badResult = {
      op_id: uuidv7(), type: 'inspection.create',
      body: { ...inspection.body, id: uuidv7(), items: [{ code: template.items[0].code, result: 'ok' }, { code: 'x_y', result: 'broken' }] },
    };
    const ops = [inspection, positions, sos, badResult];
    ops.forEach((op, i) => { if (i < 3) assertValid(assert, ajv, 'op', op, `request op ${i}`); });
    const req = { device_id: 'e2e-volunteer', clock_offset_ms: 0, ops };
    const r = expectOk(await call('POST', '/api/v1/sync/push', { token: tokens.volunteer, body: req }), 200, 'push_response', 'push');
    assert.deepEqual(r.results.map((x) => x.op_id), ops.map((o) => o.op_id), 'one result per op, in order');
    assert.deepEqual(r.results.map((x) => x.status), ['applied', 'applied', 'applied', 'rejected'], JSON.stringify(r.results));
    assert.equal(r.results[3].error.code, 'unknown_value');
    assert.equal(r.results[3].error.field, 'body.items[1].result');

    const again = expectOk(await call('POST', '/api/v1/sync/push', { token: tokens.volunteer, body: { device_id: 'e2e-volunteer', ops: ops.slice(0, 3) } }),
      200, 'push_response', 'push again');
    assert.deepEqual(again.results.map((x) => x.status), ['duplicate', 'duplicate', 'duplicate']);

    expectError(await call('POST', '/api/v1/sync/push', { token: tokens.volunteer, body: { device_id: 'e2e', ops: [] } }), 422, 'push without ops');
    expectError(await call('POST', '/api/v1/sync/push', { body: req }), 401, 'push without a token');
    const tooMany = Array.from({ length: 501 }, () => ({ ...positions, op_id: uuidv7() }));
    expectError(await call('POST', '/api/v1/sync/push', { token: tokens.volunteer, body: { device_id: 'e2e', ops: tooMany } }), 413, 'push with 501 ops');
    expectError(await call('POST', '/api/v1/sync/push', { token: tokens.volunteer, body: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'push as text/plain');

    // A volunteer of another village cannot report on this site.
    const foreign = { ...inspection, op_id: uuidv7(), body: { ...inspection.body, id: uuidv7() } };
    const f = await call('POST', '/api/v1/sync/push', { token: tokens.other_volunteer, body: { device_id: 'e2e-other', ops: [foreign] } });
    if (f.status === 200) {
      assertValid(assert, ajv, 'push_response', f.json, 'foreign push');
      assert.equal(f.json.results[0].status, 'rejected', `foreign site accepted: ${f.text}`);
    } else {
      expectError(f, 403, 'foreign push');
    }
  });

  test('GET /api/v1/sites and /api/v1/sites/{id}', async () => {
    const sites = await allPages('/api/v1/sites', tokens.volunteer, 'site');
    assert.ok(sites.some((s) => s.id === state.site.id));
    assert.equal(new Set(sites.map((s) => s.id)).size, sites.length, 'no site twice across pages');
    const one = expectOk(await call('GET', `/api/v1/sites/${encodeURIComponent(state.site.id)}`, { token: tokens.volunteer }), 200, 'site', 'GET site');
    assert.equal(one.id, state.site.id);
    expectError(await call('GET', '/api/v1/sites/no-such-site', { token: tokens.volunteer }), 404, 'unknown site');
    const foreign = await call('GET', `/api/v1/sites/${encodeURIComponent(state.site.id)}`, { token: tokens.other_volunteer });
    assert.ok([403, 404].includes(foreign.status), `another village's volunteer read the site: ${foreign.status}`);
    expectError(foreign, foreign.status, 'site of another village');
    const cityWide = await allPages('/api/v1/sites', tokens.city_admin, 'site', 1000);
    assert.ok(cityWide.length >= sites.length, 'the city admin sees at least as much');
    expectError(await call('GET', '/api/v1/sites?limit=0', { token: tokens.volunteer }), 400, 'limit=0');
    expectError(await call('GET', '/api/v1/sites'), 401, 'sites without a token');
  });

  test('GET /api/v1/inspections and /api/v1/hazards', async () => {
    const insp = await allPages('/api/v1/inspections', tokens.leader, 'inspection', 5);
    const mine = insp.find((i) => i.id === state.inspectionId);
    assert.ok(mine, 'the pushed inspection is listed for the team leader');
    assert.equal(mine.site_id, state.site.id);
    const hazards = await allPages('/api/v1/hazards', tokens.leader, 'hazard', 5);
    const hazard = hazards.find((h) => h.site_id === state.site.id && h.item_code === state.photoItem.code);
    assert.ok(hazard, 'a hazard from the pushed inspection');
    if (state.photoItem.photo_required) {
      assert.equal(hazard.photo_missing, true, 'named photo not uploaded yet: photo_missing');
      // Upload the photo the inspection named: the hazard is linked to it.
      const put = await call('PUT', `/api/v1/attachments/${state.photo}`, {
        token: tokens.volunteer, body: state.photoBytes, headers: { 'content-type': 'application/octet-stream' },
      });
      expectOk(put, 200, 'attachment_status', 'upload the named photo');
      const after = await allPages(`/api/v1/hazards?site_id=${encodeURIComponent(state.site.id)}`, tokens.leader, 'hazard', 100);
      assert.equal(after.find((h) => h.id === hazard.id)?.photo_missing, false, 'photo_missing cleared once the photo arrived');
    }
    const other = await allPages('/api/v1/inspections', tokens.other_volunteer, 'inspection', 100);
    assert.ok(!other.some((i) => i.id === state.inspectionId), 'another village does not see it');
    const otherHazards = await allPages('/api/v1/hazards', tokens.other_volunteer, 'hazard', 100);
    assert.ok(!otherHazards.some((h) => h.site_id === state.site.id), 'another village does not see the hazard');
    for (const who of ['town_staff', 'city_admin']) {
      const up = await allPages(`/api/v1/inspections?site_id=${encodeURIComponent(state.site.id)}`, tokens[who], 'inspection', 100);
      assert.ok(up.some((i) => i.id === state.inspectionId), `${who} sees the village's inspection`);
    }
    expectError(await call('GET', '/api/v1/hazards?state=lost', { token: tokens.leader }), 400, 'unknown hazard state');
    expectError(await call('GET', '/api/v1/hazards'), 401, 'hazards without a token');
  });

  test('GET /api/v1/positions/latest and /api/v1/users/{id}/track', async () => {
    const latest = await allPages('/api/v1/positions/latest', tokens.leader, 'position_latest', 100);
    assert.ok(latest.some((p) => p.user_id === users.volunteer.id), 'the volunteer\'s last position');
    const elsewhere = await allPages('/api/v1/positions/latest', tokens.other_volunteer, 'position_latest', 100);
    assert.ok(!elsewhere.some((p) => p.user_id === users.volunteer.id), 'another village does not see the position');
    const url = `/api/v1/users/${encodeURIComponent(users.volunteer.id)}/track`;
    const track = expectOk(await call('GET', url, { token: tokens.leader }), 200, 'track', `GET ${url}`);
    assert.ok(track.items.length >= 2, 'both pushed points');
    const ts = track.items.map((p) => Date.parse(p.t));
    assert.deepEqual(ts, [...ts].sort((a, b) => a - b), 'time order');
    const foreign = await call('GET', url, { token: tokens.other_volunteer });
    assert.ok([403, 404].includes(foreign.status), `another village read the track: ${foreign.status}`);
    expectError(foreign, foreign.status, 'track of another village');
  });

  test('GET /api/v1/alerts', async () => {
    const alerts = await allPages('/api/v1/alerts', tokens.leader, 'sos_alert', 100);
    assert.ok(alerts.some((a) => a.id === state.sosId), 'the SOS is listed for the team leader');
    const elsewhere = await allPages('/api/v1/alerts', tokens.other_volunteer, 'sos_alert', 100);
    assert.ok(!elsewhere.some((a) => a.id === state.sosId), 'another village does not see the SOS');
    expectError(await call('GET', '/api/v1/alerts'), 401, 'alerts without a token');
  });

  test('PUT and HEAD /api/v1/attachments/{sha256}', async () => {
    const data = Buffer.alloc(70000, 7);
    data.write('e2e photo bytes');
    const sha = createHash('sha256').update(data).digest('hex');
    const path = `/api/v1/attachments/${sha}`;
    const head0 = await call('HEAD', path, { token: tokens.volunteer });
    assert.equal(head0.status, 404, 'nothing uploaded yet');
    const half = 40000;
    const put = (from, to, token = tokens.volunteer) => call('PUT', path, {
      token, body: data.subarray(from, to),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${from}-${to - 1}/${data.length}` },
    });
    const p1 = await put(0, half);
    assert.ok([200, 202, 204, 308].includes(p1.status), `first chunk: ${p1.status} ${p1.text}`);
    if (p1.json) assertValid(assert, ajv, 'attachment_status', p1.json, 'first chunk');
    const gap = await put(half + 10, data.length);
    expectError(gap, 409, 'a chunk that skips bytes');
    const p2 = await put(half, data.length);
    assert.ok([200, 201, 204].includes(p2.status), `last chunk: ${p2.status} ${p2.text}`);
    if (p2.json) assertValid(assert, ajv, 'attachment_status', p2.json, 'last chunk');
    const head = await call('HEAD', path, { token: tokens.volunteer });
    assert.equal(head.status, 200);
    const badHash = '0'.repeat(64);
    const wrong = await call('PUT', `/api/v1/attachments/${badHash}`, {
      token: tokens.volunteer, body: data, headers: { 'content-type': 'application/octet-stream' },
    });
    expectError(wrong, 422, 'bytes that do not hash to the name');
    expectError(await call('PUT', '/api/v1/attachments/not-a-hash', { token: tokens.volunteer, body: data, headers: { 'content-type': 'application/octet-stream' } }),
      400, 'bad hash in the path');
    expectError(await put(0, half, null), 401, 'upload without a token');
  });

  test('GET /api/v1/live upgrades to a WebSocket', async () => {
    const ws = await wsFirstMessage(srv.port, '/api/v1/live', { Authorization: `Bearer ${tokens.leader}` });
    assert.equal(ws.status, 101, ws.text);
    assert.equal(ws.json?.type, 'hello', ws.text);
    assertValid(assert, ajv, 'me', ws.json.user, 'hello.user');
    const viaQuery = await wsFirstMessage(srv.port, `/api/v1/live?access_token=${encodeURIComponent(tokens.leader)}`);
    assert.equal(viaQuery.status, 101, viaQuery.text);
    const refused = await wsFirstMessage(srv.port, '/api/v1/live');
    assert.equal(refused.status, 401);
    assertValid(assert, ajv, 'error', refused.json, 'live without a token');
  });

  test('repeated failed logins are throttled with 429 and Retry-After', async () => {
    const body = { phone: '13911112222', password: 'wrong', device_id: 'e2e-throttle' };
    let r;
    for (let i = 0; i < 30; ++i) {
      r = await call('POST', '/api/v1/auth/login', { body });
      if (r.status !== 401) break;
      assertValid(assert, ajv, 'error', r.json, `failed login ${i}`);
    }
    expectError(r, 429, 'login after many failures');
    assert.match(r.headers['retry-after'] ?? '', /^[0-9]+$/, 'Retry-After seconds');
  });

  test('schedules, rounds, hazard transitions, users, overview and exports', async () => {
    const schedules = await allPages('/api/v1/schedules', tokens.village_admin, 'schedule', 1);
    assert.ok(schedules.length >= 1, 'the seeded schedule');
    const seeded = schedules[0];
    expectOk(await call('GET', `/api/v1/schedules/${seeded.id}`, { token: tokens.volunteer }), 200, 'schedule', 'GET schedule');
    const body = {
      team_id: seeded.team_id, name: 'e2e', weekdays: [2, 4], start_time: '20:30', duration_min: 60,
      route: seeded.route.slice(0, 2), exceptions: [{ date: '2030-01-01', action: 'move', start_time: '21:00' }],
    };
    const created = expectOk(await call('POST', '/api/v1/schedules', { token: tokens.village_admin, body }), 201, 'schedule', 'POST schedule');
    expectError(await call('POST', '/api/v1/schedules', { token: tokens.volunteer, body }), 403, 'a volunteer plans');
    expectError(await call('POST', '/api/v1/schedules', { token: tokens.village_admin, body: { ...body, weekdays: [9] } }), 422, 'weekday 9');
    expectOk(await call('PUT', `/api/v1/schedules/${created.id}`, { token: tokens.village_admin, body: { ...body, weekdays: [6] } }), 200, 'schedule', 'PUT schedule');
    const rounds = await allPages('/api/v1/rounds', tokens.volunteer, 'round', 3);
    assert.ok(rounds.some((r) => r.schedule_id === created.id), 'rounds planned for the new schedule');
    expectOk(await call('GET', `/api/v1/rounds/${rounds[0].id}`, { token: tokens.leader }), 200, 'round', 'GET round');
    const gpx = await call('GET', `/api/v1/rounds/${rounds[0].id}/track.gpx`, { token: tokens.leader });
    assert.equal(gpx.status, 200);
    assert.match(gpx.text, /<gpx version="1.1"/);
    assert.equal((await call('DELETE', `/api/v1/schedules/${created.id}`, { token: tokens.village_admin })).status, 204);

    const hazards = await allPages('/api/v1/hazards?state=open', tokens.leader, 'hazard', 100);
    assert.ok(hazards.length > 0, 'an open hazard from the push test');
    const h = hazards[0];
    const assigned = expectOk(await call('POST', `/api/v1/hazards/${h.id}/transitions`, {
      token: tokens.leader, body: { to: 'assigned', assignee_id: users.volunteer.id, note: 'e2e' },
    }), 200, 'hazard', 'assign');
    assert.equal(assigned.history.at(-1).to, 'assigned');
    const bad = expectError(await call('POST', `/api/v1/hazards/${h.id}/transitions`, { token: tokens.village_admin, body: { to: 'closed' } }), 409, 'assigned → closed');
    assert.equal(bad.code, 'invalid_transition');
    expectError(await call('POST', `/api/v1/hazards/${h.id}/transitions`, { token: tokens.other_volunteer, body: { to: 'rectified' } }), 404, 'another village');
    expectOk(await call('GET', `/api/v1/hazards/${h.id}`, { token: tokens.city_admin }), 200, 'hazard', 'GET hazard');

    const users_ = await allPages('/api/v1/users', tokens.village_admin, 'user', 3);
    assert.ok(users_.every((u) => u.org_unit_id !== users.other_volunteer.org_unit_id), 'only the own subtree');
    const newUser = expectOk(await call('POST', '/api/v1/users', {
      token: tokens.village_admin, body: { phone: '13955550000', name: 'e2e', role: 'volunteer', org_unit_id: users.volunteer.org_unit_id },
    }), 201, 'user_created', 'POST user');
    expectError(await call('POST', '/api/v1/users', {
      token: tokens.village_admin, body: { phone: '13955550001', name: 'e2e', role: 'city_admin', org_unit_id: users.volunteer.org_unit_id },
    }), 403, 'a role above one\'s own');
    expectOk(await call('PUT', `/api/v1/users/${newUser.user.id}`, { token: tokens.village_admin, body: { name: 'e2e2' } }), 200, 'user_created', 'PUT user');
    expectOk(await call('GET', `/api/v1/users/${newUser.user.id}`, { token: tokens.village_admin }), 200, 'user', 'GET user');
    assert.equal((await call('DELETE', `/api/v1/users/${newUser.user.id}`, { token: tokens.village_admin })).status, 204);

    const ov = expectOk(await call('GET', '/api/v1/overview', { token: tokens.city_admin }), 200, 'overview', 'overview');
    assert.equal(ov.children.length, 19);
    expectError(await call('GET', '/api/v1/overview?org_unit_id=1', { token: tokens.village_admin }), 403, 'overview above');
    // a village's overview lists its sites (site_details), validated by the same schema
    const village = expectOk(await call('GET', '/api/v1/overview', { token: tokens.village_admin }), 200, 'overview', 'village overview');
    assert.ok(Array.isArray(village.site_details) && village.site_details.length === village.sites, 'one entry per site');
    assert.equal(ov.site_details, undefined, 'the city lists no sites');

    for (const [path, type] of [['inspections.csv', 'text/csv'], ['hazards.csv', 'text/csv'],
      ['sites.geojson', 'application/geo+json'], ['hazards.geojson', 'application/geo+json']]) {
      const r = await call('GET', `/api/v1/exports/${path}`, { token: tokens.leader });
      assert.equal(r.status, 200, path);
      assert.ok((r.headers['content-type'] ?? '').startsWith(type), `${path}: ${r.headers['content-type']}`);
      if (type === 'text/csv') assert.equal(r.text.charCodeAt(0), 0xfeff, `${path} starts with a BOM`);
      else assert.equal(JSON.parse(r.text).type, 'FeatureCollection');
    }
  });

  test('unknown routes and POST /api/v1/auth/logout', async () => {
    expectError(await call('GET', '/api/v1/no-such-route', { token: tokens.volunteer }), 404, 'unknown route');
    expectError(await call('DELETE', '/api/v1/sites', { token: tokens.volunteer }), 405, 'DELETE on a list route');
    const out = await call('POST', '/api/v1/auth/logout', { token: tokens.town_staff });
    assert.ok([200, 204].includes(out.status), `logout: ${out.status} ${out.text}`);
    expectError(await call('GET', '/api/v1/me', { token: tokens.town_staff }), 401, 'me after logout');
    expectError(await call('POST', '/api/v1/auth/logout'), 401, 'logout without a token');
  });
});
