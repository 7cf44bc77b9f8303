// Lints schemas/openapi.yaml (OpenAPI 3.1) with Redocly's recommended-strict
// rules; the few deliberate exceptions are listed in .redocly.lint-ignore.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, schemaDir, schemaNames } from './schemas.mjs';

const here = join(repoRoot, 'tests', 'e2e');

test('openapi.yaml passes redocly lint', () => {
  const r = spawnSync(process.execPath, [join(here, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js'), 'lint',
    '--config', join(here, 'redocly.yaml'), join(schemaDir, 'openapi.yaml')],
  { cwd: here, encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
  assert.equal(r.status, 0, `redocly lint failed:\n${r.stdout}\n${r.stderr}`);
});

test('openapi.yaml names every route of the v1 API', () => {
  const doc = readFileSync(join(schemaDir, 'openapi.yaml'), 'utf8');
  for (const route of ['/api/v1/auth/login:', '/api/v1/auth/logout:', '/api/v1/me:', '/api/v1/sync/push:',
    '/api/v1/sync/pull:', '/api/v1/sites:', '/api/v1/sites/{id}:', '/api/v1/inspections:', '/api/v1/hazards:',
    '/api/v1/positions/latest:', '/api/v1/users/{id}/track:', '/api/v1/alerts:', '/api/v1/attachments/{sha256}:',
    '/api/v1/live:', '/healthz:', '/metrics:', '/api/v1/schedules:', '/api/v1/schedules/{id}:',
    '/api/v1/rounds:', '/api/v1/rounds/{id}:', '/api/v1/rounds/{id}/track.gpx:', '/api/v1/hazards/{id}:',
    '/api/v1/hazards/{id}/transitions:', '/api/v1/users:', '/api/v1/users/{id}:', '/api/v1/overview:',
    '/api/v1/exports/inspections.csv:', '/api/v1/exports/hazards.csv:', '/api/v1/exports/sites.geojson:',
    '/api/v1/exports/hazards.geojson:', '/api/v1/teams:', '/api/v1/teams/{id}:']) {
    assert.ok(doc.includes(`\n  ${route}\n`), `openapi.yaml lacks ${route}`);
  }
  // Every body schema is reachable from the API description (directly or via another schema).
  const referenced = new Set([...doc.matchAll(/\.\/([a-z_]+)\.schema\.json/g)].map((m) => m[1]));
  for (const name of schemaNames()) {
    const viaOthers = schemaNames().some((o) => o !== name &&
      readFileSync(join(schemaDir, `${o}.schema.json`), 'utf8').includes(`"${name}.schema.json`));
    assert.ok(referenced.has(name) || viaOthers, `${name}.schema.json is not referenced`);
  }
});
