// Baseline for the SDK's backlog sync: PouchDB (leveldb on disk) replicating
// N inspection-shaped documents to a local pouchdb-server (leveldb on disk)
// over HTTP on loopback. Prints one JSON line with the seconds replication took
// (loading the local database is not timed, as the SDK's enqueue is not).
// Usage: node pouchdb_replicate.js WORK_DIR [N]
'use strict';
const { spawn } = require('child_process');
const net = require('net');
const path = require('path');
const fs = require('fs');
const PouchDB = require('pouchdb');

const work = process.argv[2];
const n = Number(process.argv[3] || 10000);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function waitUp(url) {
  for (let i = 0; i < 200; i++) {
    try { const r = await fetch(url); if (r.ok) return; } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('pouchdb-server did not start');
}

function inspection(i) {
  return {
    _id: `insp-${String(i).padStart(6, '0')}`,
    type: 'inspection.create',
    site_id: `site-${i % 24}`,
    template_id: 'tpl-rental', template_version: 1,
    observed_at: '2026-11-28T19:05:00+08:00',
    position: { lat: 28.8571 + (i % 100) * 1e-5, lon: 121.1432, accuracy_m: 8, crs: 'wgs84' },
    items: [
      { code: 'flying_wire_charging', result: i % 20 ? 'ok' : 'hazard', note: '' },
      { code: 'corridor_clutter', result: 'ok' }, { code: 'window_throwing', result: 'ok' },
      { code: 'fire_exit_blocked', result: 'ok' }, { code: 'extinguisher_missing', result: 'ok' },
      { code: 'ebike_indoor', result: 'ok' },
    ],
    note: '',
  };
}

(async () => {
  const dir = path.join(work, 'pouch');
  fs.mkdirSync(path.join(dir, 'server'), { recursive: true });
  const port = await freePort();
  const bin = require.resolve('pouchdb-server/bin/pouchdb-server');
  const server = spawn(process.execPath, [bin, '--host', '127.0.0.1', '--port', String(port), '--dir', path.join(dir, 'server'), '--no-color'],
    { stdio: 'ignore', cwd: dir });  // it writes config.json and log.txt into its cwd
  try {
    await waitUp(`http://127.0.0.1:${port}/`);
    const local = new PouchDB(path.join(dir, 'local'));
    const docs = Array.from({ length: n }, (_, i) => inspection(i));
    for (let i = 0; i < docs.length; i += 1000) await local.bulkDocs(docs.slice(i, i + 1000));
    const remote = `http://127.0.0.1:${port}/inspections`;
    const t0 = process.hrtime.bigint();
    const res = await PouchDB.replicate(local, remote, { batch_size: 500 });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    if (res.docs_written !== n) throw new Error(`replicated ${res.docs_written} of ${n}`);
    console.log(JSON.stringify({ bench: `pouchdb_replicate_${n}`, value: secs, unit: 's' }));
    await local.close();
  } finally {
    server.kill('SIGTERM');
  }
})().catch((e) => { console.error('pouchdb_replicate:', e.message); process.exit(1); });
