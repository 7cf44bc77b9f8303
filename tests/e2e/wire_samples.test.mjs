// The C++ encoders' output (patrol_wire_samples) must match the JSON Schemas,
// and the schemas must reject what the C++ decoders reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAjv, check, assertValid, schemaNames } from './schemas.mjs';

const build = resolve(process.env.PATROL_BUILD_DIR ?? join(import.meta.dirname ?? '.', '..', '..', 'build', 'asan'));
const samplesExe = join(build, 'tests', 'unit', 'wire', 'patrol_wire_samples');
const ajv = loadAjv();

test('every schema compiles under the 2020-12 dialect', () => {
  for (const name of schemaNames()) assert.ok(ajv.getSchema(`https://patrol.example/schemas/${name}.schema.json`), name);
});

test('encoder samples validate against their schemas', (t) => {
  assert.ok(existsSync(samplesExe), `${samplesExe} is missing: build the patrol_wire_samples target`);
  const dir = mkdtempSync(join(tmpdir(), 'patrol-wire-samples-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(samplesExe, [dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 20, `expected at least 20 samples, got ${files.length}`);
  const covered = new Set();
  for (const f of files) {
    const schema = f.split('--')[0];
    covered.add(schema);
    assertValid(assert, ajv, schema, JSON.parse(readFileSync(join(dir, f), 'utf8')), f);
  }
  for (const must of ['login_request', 'login_response', 'me', 'op', 'inspection_create', 'position_append',
    'sos_raise', 'push_request', 'push_response', 'pull_response', 'change', 'site', 'checklist_template', 'error']) {
    assert.ok(covered.has(must), `no sample for ${must}`);
  }
});

// The same rejections as the decoder table in tests/unit/wire/messages_test.cpp.
const uuid = '0193a8f2-6c1d-7e4b-9a2f-3c4d5e6f7a8b';
const goodInspection = () => ({
  id: uuid, site_id: 's1', template_id: 't1', template_version: 1, round_id: null,
  observed_at: '2026-11-28T19:05:00+08:00',
  position: { lat: 28.8571, lon: 121.1432, accuracy_m: 8, crs: 'wgs84' },
  items: [{ code: 'flying_wire_charging', result: 'hazard', note: '三楼窗口飞线', photos: ['a'.repeat(64)] },
    { code: 'corridor_clutter', result: 'ok' }],
  note: '',
});
const bad = [
  ['login_request', { phone: '1390000000x', password: 'p', device_id: 'd' }],
  ['login_request', { phone: '13900000002', password: '', device_id: 'd' }],
  ['login_request', { phone: '13900000002', password: 'p' }],
  ['inspection_create', { ...goodInspection(), id: 'not-a-uuid' }],
  ['inspection_create', { ...goodInspection(), template_version: 0 }],
  ['inspection_create', { ...goodInspection(), template_version: 1.5 }],
  ['inspection_create', { ...goodInspection(), observed_at: '2026-11-28T19:05:00' }],
  ['inspection_create', { ...goodInspection(), observed_at: '2026-02-30T19:05:00Z' }],
  ['inspection_create', { ...goodInspection(), items: [] }],
  ['inspection_create', { ...goodInspection(), items: [{ code: 'a', result: 'broken' }] }],
  ['inspection_create', { ...goodInspection(), items: [{ code: 'Bad-Code', result: 'ok' }] }],
  ['inspection_create', { ...goodInspection(), items: [{ code: 'a', result: 'hazard', photos: ['ABC'] }] }],
  ['inspection_create', { ...goodInspection(), position: { lat: 100, lon: 0 } }],
  ['inspection_create', { ...goodInspection(), position: { lat: 1, lon: 1, crs: 'bd09' } }],
  ['inspection_create', { ...goodInspection(), note: 'n'.repeat(4001) }],
  ['position_append', { points: [] }],
  ['position_append', { points: [{ t: '2026-11-28T19:05:00Z', lat: 1, lon: 500 }] }],
  ['sos_raise', { id: uuid }],
  ['op', { op_id: uuid, type: 'hazard.delete', body: {} }],
  ['op', { op_id: uuid, type: 'sos.raise', body: [] }],
  ['op', { op_id: uuid, type: 'inspection.create', body: { ...goodInspection(), items: [{ code: 'a', result: 'x' }] } }],
  ['push_request', { device_id: 'd', ops: [] }],
  ['push_response', { results: [{ op_id: 'a', status: 'rejected' }], server_time: '2026-11-28T11:05:03Z' }],
  ['pull_response', { cursor: -1, has_more: false, changes: [] }],
  ['change', { seq: 1, entity: 'planet', op: 'upsert', id: 'x', data: {} }],
  ['change', { seq: 1, entity: 'site', op: 'upsert', id: 'x', data: { id: 'x' } }],
  ['error', { error: { code: 'x', message: 'm' } }],
];

test('schemas reject what the decoders reject', () => {
  assert.equal(check(ajv, 'inspection_create', goodInspection()), null);
  for (const [schema, value] of bad) {
    assert.notEqual(check(ajv, schema, value), null, `${schema} accepted ${JSON.stringify(value)}`);
  }
});

// Values both sides must judge alike. Unknown members of requests are accepted
// and ignored by both (forward compatibility; server-set fields a client sends
// have no effect); response schemas stay exact. Not in here on purpose:
// duplicate item codes (not expressible in JSON Schema) and non-ASCII strings at
// a length limit (schemas count characters, decoders bytes).
const good = [
  ['login_request', { phone: '13900000002', password: 'patrol-demo', device_id: 'd1' }],
  ['me', { id: 'u1', name: '刘志强', role: 'team_leader', org_unit_id: '37' }],
  ['inspection_create', goodInspection()],
  ['inspection_create', { ...goodInspection(), round_id: 'r1', position: null, note: undefined }],
  ['inspection_create', { ...goodInspection(), template_version: 2.0, observed_at: '2026-11-28t11:05:00.5z' }],
  ['inspection_create', { ...goodInspection(), position: { lat: -90, lon: 180, accuracy_m: null, crs: 'gcj02' } }],
  ['inspection_create', { ...goodInspection(), items: [{ code: 'a', result: 'not_applicable', note: '', photos: [] }] }],
  ['position_append', { points: [{ t: '2026-11-28T19:05:00+08:00', lat: 0, lon: 0 }], crs: 'wgs84' }],
  ['sos_raise', { id: uuid, raised_at: '2016-12-31T23:59:60Z', position: null }],
  ['op', { op_id: uuid, type: 'sos.raise', device_time: null, body: { id: uuid, raised_at: '2026-11-28T19:05:00Z' } }],
  ['push_request', { device_id: 'd', clock_offset_ms: -5, ops: [{ op_id: uuid, type: 'position.append', body: { points: [{ t: '2026-11-28T19:05:00Z', lat: 1, lon: 1 }] } }] }],
  ['push_request', { device_id: 'd', from_a_newer_sdk: 1, ops: [{ op_id: uuid, type: 'sos.raise', extra: true, body: { id: uuid, raised_at: '2026-11-28T19:05:00Z', user_id: 'someone-else', position: { lat: 1, lon: 1, altitude_m: 3 } } }] }],
  ['inspection_create', { ...goodInspection(), user_id: 'u-other', org_unit_id: '1', received_at: 'x' }],
  ['position_append', { points: [{ t: '2026-11-28T19:05:00Z', lat: 0, lon: 0, speed_mps: 1.2 }] }],
  ['login_request', { phone: '13900000002', password: 'patrol-demo', device_id: 'd1', app_version: '2.0' }],
  ['push_response', { results: [], server_time: '2026-11-28T11:05:03.000Z' }],
  ['pull_response', { cursor: 0, has_more: false, changes: [{ seq: 1, entity: 'hazard', op: 'delete', id: 'h', data: null }] }],
  ['site', { id: 's', org_unit_id: 'o', name: 'n', category: 'square', lat: 0, lon: 0, template_id: 't' }],
  ['checklist_template', { id: 't', version: 1, categories: [], items: [{ code: 'a', label_zh: '甲', label_en: 'A', severity: 'low', photo_required: false }] }],
  ['error', { error: { code: 'not_found', field: '', message: 'no such site' } }],
];
const agreeBad = [
  ['login_request', { phone: '1234', password: 'p', device_id: 'd' }, 'invalid_format', 'phone'],
  ['login_request', { phone: '13900000002', password: 'p', device_id: 'x'.repeat(129) }, 'too_long', 'device_id'],
  ['me', { id: 'u1', name: 'n', role: 'mayor', org_unit_id: 'o' }, 'unknown_value', 'role'],
  ['inspection_create', { ...goodInspection(), items: Array.from({ length: 201 }, (_, i) => ({ code: `c${i}`, result: 'ok' })) }, 'too_many', 'body.items'],
  ['inspection_create', { ...goodInspection(), items: [{ code: 'a', result: 'ok', photos: Array(11).fill('b'.repeat(64)) }] }, 'too_many', 'body.items[0].photos'],
  ['inspection_create', { ...goodInspection(), items: [{ code: 'a', result: 'ok', photos: ['b'.repeat(64), 'b'.repeat(64)] }] }, 'duplicate', 'body.items[0].photos[1]'],
  ['inspection_create', { ...goodInspection(), observed_at: '2026-11-28T24:00:00Z' }, 'invalid_format', 'body.observed_at'],
  ['inspection_create', { ...goodInspection(), position: { lat: 1, lon: 1, accuracy_m: -1 } }, 'out_of_range', 'body.position.accuracy_m'],
  ['inspection_create', { ...goodInspection(), site_id: '' }, 'required', 'body.site_id'],
  ['inspection_create', { ...goodInspection(), template_version: '1' }, 'invalid_type', 'body.template_version'],
  ['position_append', { points: Array(1001).fill({ t: '2026-11-28T19:05:00Z', lat: 1, lon: 1 }) }, 'too_many', 'body.points'],
  ['sos_raise', { id: uuid, raised_at: '2026-11-28T19:05:00Z', note: 'x'.repeat(2001) }, 'too_long', 'body.note'],
  ['op', { op_id: uuid, type: 'position.append', body: { points: [{ t: 'now', lat: 1, lon: 1 }] } }, 'invalid_format', 'body.points[0].t'],
  ['op', { op_id: uuid, type: 'inspection.create', device_time: '2026-11-28', body: goodInspection() }, 'invalid_format', 'device_time'],
  ['push_request', { device_id: 'd', ops: [{ op_id: uuid, type: 'sos.raise', body: { id: 'x', raised_at: '2026-11-28T19:05:00Z' } }] }, 'invalid_format', 'ops[0].body.id'],
  ['push_request', { device_id: 'd', ops: Array(501).fill({ op_id: uuid, type: 'sos.raise', body: { id: uuid, raised_at: '2026-11-28T19:05:00Z' } }) }, 'too_many', 'ops'],
  ['push_response', { results: [{ op_id: 'a', status: 'applied', received_at: 'x' }], server_time: '2026-11-28T11:05:03Z' }, 'invalid_format', 'results[0].received_at'],
  ['pull_response', { cursor: 1, has_more: false, changes: [{ seq: 1, entity: 'site', op: 'upsert', id: 's', data: { id: 's' } }] }, 'required', 'changes[0].data.org_unit_id'],
  ['change', { seq: 1, entity: 'checklist_template', op: 'upsert', id: 't', data: { id: 't', version: 1, categories: ['mall'], items: [] } }, 'unknown_value', 'data.categories[0]'],
  ['site', { id: 's', org_unit_id: 'o', name: 'n', category: 'square', lat: 91, lon: 0, template_id: 't' }, 'out_of_range', 'data.lat'],
  ['checklist_template', { id: 't', version: 1, categories: [], items: [] }, 'required', 'data.items'],
  ['error', { error: { field: '', message: 'm' } }, 'required', 'error.code'],
];

test('JSON Schemas and C++ decoders accept and reject the same values', (t) => {
  assert.ok(existsSync(samplesExe), `${samplesExe} is missing: build the patrol_wire_samples target`);
  const all = [...good.map(([s, v]) => [s, v, 'ok', '']), ...agreeBad];
  const input = all.map(([s, v]) => `${s}\t${JSON.stringify(v)}`).join('\n') + '\n';
  const out = execFileSync(samplesExe, ['--decode'], { input, encoding: 'utf8', maxBuffer: 64 << 20 }).trimEnd().split('\n');
  assert.equal(out.length, all.length);
  all.forEach(([schema, value, code, field], i) => {
    const [gotCode, gotField = ''] = out[i].split('\t');
    const what = `${schema} ${JSON.stringify(value).slice(0, 300)}`;
    const schemaErrors = check(ajv, schema, value);
    if (code === 'ok') {
      assert.equal(schemaErrors, null, `schema rejects what is valid: ${what}`);
      assert.equal(gotCode, 'ok', `decoder rejects what is valid (${out[i]}): ${what}`);
    } else {
      assert.notEqual(schemaErrors, null, `schema accepts ${what}`);
      assert.equal(`${gotCode} ${gotField}`, `${code} ${field}`, `decoder's first problem for ${what}`);
    }
  });
});
