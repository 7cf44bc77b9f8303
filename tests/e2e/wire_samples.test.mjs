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
