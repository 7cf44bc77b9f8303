// Live feed fan-out benchmark: N concurrent WebSocket viewers subscribed to
// one village, memory per idle connection of the server (RSS delta / N), the
// latency from a position push to its event at every viewer (p50/p99), and the
// positions ingested per second (from another village's devices) while they
// watch — plus the same fan-out through a minimal Node `ws` broadcast server
// (plaintext, no auth, no scope, no storage) as the anchor.
//
//   node live_fanout.mjs patrold --port P --pid PID --viewers 10000 [--seconds 8]
//   node live_fanout.mjs anchor  --viewers 5000
// Prints one JSON line per measurement (tests/bench/table.js formats them).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket, { WebSocketServer } from 'ws';

const args = process.argv.slice(2);
const mode = args[0];
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const now = () => performance.timeOrigin + performance.now();  // ms, comparable across processes

// ------------------------------------------------------------ viewer worker
if (mode === 'viewers') {
  // A child process holding a share of the connections; told what to do over IPC.
  const url = opt('url');
  const count = Number(opt('count'));
  const org = opt('org');
  const socks = [];
  const pending = new Map();  // probe id -> t0
  // Arrivals are matched to probes at report time: a probe's IPC message may
  // be read after its event when both wait in the same event-loop turn.
  let arrivals = [];  // [probe id, t1]
  let subscribed = 0;
  let closed = 0;
  const agentOpts = { rejectUnauthorized: false, perMessageDeflate: false };
  const openOne = () => new Promise((resolve) => {
    const ws = new WebSocket(url, agentOpts);
    ws.on('error', () => {});
    ws.on('close', () => { closed++; });
    ws.on('message', (data) => {
      const s = data.toString();
      if (s.startsWith('{"type":"snapshot"') || s.startsWith('{"type":"hello"')) {
        if (s.startsWith('{"type":"hello"') && org) ws.send(JSON.stringify({ type: 'subscribe', org_unit_id: org }));
        if (!org || s.startsWith('{"type":"snapshot"')) { subscribed++; resolve(); }
        return;
      }
      // A probe position carries its id in the longitude's micro-degrees.
      if (!s.includes('"kind":"position"')) return;
      arrivals.push([String(Math.round(JSON.parse(s).data.lon * 1e6)), now()]);
    });
    ws.on('open', () => { if (!org) { subscribed++; resolve(); } });
    setTimeout(resolve, 30000);
    socks.push(ws);
  });
  process.on('message', async (msg) => {
    if (msg.cmd === 'open') {
      for (let i = 0; i < count; i += 50) {
        await Promise.all(Array.from({ length: Math.min(50, count - i) }, openOne));
      }
      process.send({ cmd: 'opened', subscribed, closed });
    } else if (msg.cmd === 'probe') {
      pending.set(msg.key, msg.t0);
    } else if (msg.cmd === 'count') {
      let n = 0;
      for (const [key] of arrivals) if (pending.has(key)) n++;
      process.send({ cmd: 'count', n });
    } else if (msg.cmd === 'report') {
      const lat = [];
      for (const [key, t1] of arrivals) {
        const t0 = pending.get(key);
        if (t0 !== undefined) lat.push(t1 - t0);
      }
      arrivals = [];
      process.send({ cmd: 'latencies', lat, closed });
    } else if (msg.cmd === 'exit') {
      for (const s of socks) s.terminate();
      process.exit(0);
    }
  });
  process.send({ cmd: 'ready' });
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

// Spreads `viewers` connections over worker processes (one Node thread cannot
// decrypt and parse 10,000 copies of an event quickly enough to measure the server).
async function startViewers(url, viewers, org) {
  const procs = Math.max(1, Number(opt('procs', '4')));
  const workers = [];
  for (let i = 0; i < procs; i++) {
    const share = Math.floor(viewers / procs) + (i < viewers % procs ? 1 : 0);
    const w = fork(new URL(import.meta.url).pathname, ['viewers', '--url', url, '--count', String(share), ...(org ? ['--org', org] : [])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((r) => w.once('message', r));
    workers.push(w);
  }
  const opened = await Promise.all(workers.map((w) => new Promise((r) => { w.once('message', r); w.send({ cmd: 'open' }); })));
  const subscribed = opened.reduce((a, m) => a + m.subscribed, 0);
  return {
    subscribed,
    probe(key, t0) { for (const w of workers) w.send({ cmd: 'probe', key, t0 }); },
    // Waits until `expected` probe events arrived (or `ms` passed), so a
    // loaded machine's late deliveries are timed, not counted as lost.
    async settle(expected, ms = 20000) {
      const end = Date.now() + ms;
      for (;;) {
        const rs = await Promise.all(workers.map((w) => new Promise((r) => { w.once('message', r); w.send({ cmd: 'count' }); })));
        if (rs.reduce((a, m) => a + m.n, 0) >= expected || Date.now() > end) return;
        await sleep(250);
      }
    },
    async collect() {
      const rs = await Promise.all(workers.map((w) => new Promise((r) => { w.once('message', r); w.send({ cmd: 'report' }); })));
      return { lat: rs.flatMap((m) => m.lat).sort((a, b) => a - b), closed: rs.reduce((a, m) => a + m.closed, 0) };
    },
    stop() { for (const w of workers) w.send({ cmd: 'exit' }); },
  };
}

// CPU time (user + system) the process has used, in ms: the server's cost per
// delivered event, which the machine's load does not change much.
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;  // utime, stime in clock ticks (100 Hz)
}

// patrold's live-feed counters from /metrics (loopback may read it): positions
// coalesced in a slow queue (by design: only a volunteer's latest marker
// matters), messages dropped, consumers closed as too slow.
async function liveCounters(port) {
  const r = await call(port, 'GET', '/metrics', null);
  const v = (name) => { const m = new RegExp(`^${name}(?:{[^}]*})? (\\S+)`, 'm').exec(r.text); return m ? Number(m[1]) : undefined; };
  return { coalesced: v('patrol_live_coalesced_total'), dropped: v('patrol_live_dropped_total'), slow_closed: v('patrol_live_slow_consumers_closed_total') };
}

// patrold's own commit-to-send histogram (/metrics: from the commit to the
// write's completion handler on the I/O thread, which may run well after the
// bytes left: an upper bound of the server's share), as cumulative
// [upper bound s, count] pairs.
async function sendHistogram(port) {
  const r = await call(port, 'GET', '/metrics', null);
  const out = [];
  for (const m of r.text.matchAll(/^patrol_live_commit_to_send_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm))
    out.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  return out;
}
// The bucket bounds (ms) holding the p50 and p99 of what was sent between two
// readings.
function serverPercentiles(h0, h1) {
  const d = h1.map(([le, n], i) => [le, n - (h0[i] ? h0[i][1] : 0)]);
  const total = d.length ? d[d.length - 1][1] : 0;
  const at = (p) => { const hit = d.find(([, n]) => n >= p * total); return hit ? hit[0] * 1000 : NaN; };
  return { server_sent: total, server_p50_le_ms: at(0.5), server_p99_le_ms: at(0.99) };
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true, maxSockets: 64 });
function call(port, method, path, token, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({ host: '127.0.0.1', port, method, path, agent, headers: {
      ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

function uuidv7() {
  const hex = Date.now().toString(16).padStart(12, '0');
  const r = randomUUID().replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${r.slice(13, 16)}-${((parseInt(r[16], 16) & 3) | 8).toString(16)}${r.slice(17, 20)}-${r.slice(20, 32)}`;
}

async function login(port, phone) {
  const r = await call(port, 'POST', '/api/v1/auth/login', null, { phone, password: 'patrol-demo', device_id: `bench-${phone}` });
  if (r.status !== 200) throw new Error(`login ${phone}: ${r.status} ${r.text}`);
  return JSON.parse(r.text);
}

// Probes: one position at a time from the watched village; its longitude
// 121.0XXXXX names the probe so every viewer can time it.
let probeNo = 0;
async function probes(port, token, viewers, n, gapMs) {
  for (let i = 0; i < n; i++) {
    const micro = 121_010_000 + (++probeNo);
    const lon = micro / 1e6;
    viewers.probe(String(micro), now());
    const r = await call(port, 'POST', '/api/v1/sync/push', token, { device_id: 'bench-probe', ops: [{ op_id: uuidv7(), type: 'position.append', body: { points: [{ t: new Date().toISOString(), lat: 28.857, lon }] } }] });
    if (r.status !== 200) throw new Error(`probe push: ${r.status} ${r.text}`);
    await sleep(gapMs);
  }
}

// Positions from another village's device, as fast as the server takes them.
async function ingest(port, token, seconds, conns = 16, opsPerPush = 10, pointsPerOp = 500) {
  let points = 0;
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const base = Date.now() - 3600_000;
  let k = 0;
  await Promise.all(Array.from({ length: conns }, async () => {
    while (Date.now() < end) {
      const ops = Array.from({ length: opsPerPush }, () => ({ op_id: uuidv7(), type: 'position.append', body: { points: Array.from({ length: pointsPerOp }, () => ({ t: new Date(base + (k++)).toISOString(), lat: 28.9 + (k % 1000) / 1e5, lon: 121.2, accuracy_m: 5 })) } }));
      const r = await call(port, 'POST', '/api/v1/sync/push', token, { device_id: 'bench-ingest', ops });
      if (r.status === 200) points += opsPerPush * pointsPerOp; else errors++;
    }
  }));
  return { points_per_s: points / seconds, errors };
}

async function main() {
  const viewersN = Number(opt('viewers', '10000'));
  const secs = Number(opt('seconds', '8'));
  const nProbes = Number(opt('probes', '20'));
  if (mode === 'patrold') {
    const port = Number(opt('port'));
    const pid = Number(opt('pid'));
    const leader = await login(port, '13900000001');
    const volunteer = await login(port, '13900000002');
    const other = await login(port, '13900000003');
    const url = `wss://127.0.0.1:${port}/api/v1/live?access_token=${leader.token}`;
    // Warm: one viewer and one probe, so caches and pools exist before the baseline.
    const warm = await startViewers(url, 1, leader.user.org_unit_id);
    await probes(port, volunteer.token, warm, 2, 100);
    await sleep(500);
    const base = rssKiB(pid);
    const t0 = Date.now();
    const v = await startViewers(url, viewersN, leader.user.org_unit_id);
    const openSecs = (Date.now() - t0) / 1000;
    await sleep(2000);
    const rss = rssKiB(pid);
    console.log(JSON.stringify({ bench: 'live_idle_memory', viewers: v.subscribed, kib_per_conn: (rss - base) / Math.max(1, v.subscribed), rss_mib: rss / 1024, open_s: openSecs }));
    const cpu0 = cpuMs(pid);
    const h0 = await sendHistogram(port);
    await probes(port, volunteer.token, v, nProbes, 250);
    await v.settle(v.subscribed * nProbes);
    const cpu = cpuMs(pid) - cpu0;
    let r = await v.collect();
    const c1 = { ...(await liveCounters(port)), ...serverPercentiles(h0, await sendHistogram(port)) };
    console.log(JSON.stringify({ bench: 'live_fanout', server: 'patrold (TLS)', viewers: v.subscribed, samples: r.lat.length, expected: v.subscribed * nProbes, p50_ms: percentile(r.lat, 0.5), p99_ms: percentile(r.lat, 0.99), max_ms: r.lat.at(-1), closed: r.closed, server_cpu_us_per_delivery: (cpu * 1000) / Math.max(1, r.lat.length), ...c1 }));
    // Ingest from 东溪单村 while 大田刘村 is watched, with probes running.
    const ingestProbes = Math.max(4, Math.floor(secs * 2));
    const [ing] = await Promise.all([ingest(port, other.token, secs), probes(port, volunteer.token, v, ingestProbes, 500)]);
    await v.settle(v.subscribed * ingestProbes);
    r = await v.collect();
    const c2 = await liveCounters(port);
    console.log(JSON.stringify({ bench: 'live_ingest', viewers: v.subscribed, positions_per_s: ing.points_per_s, errors: ing.errors, p50_ms: percentile(r.lat, 0.5), p99_ms: percentile(r.lat, 0.99), samples: r.lat.length, expected: v.subscribed * ingestProbes, closed: r.closed, ...c2 }));
    v.stop();
    warm.stop();
  } else if (mode === 'anchor') {
    // The anchor: the minimal broadcast server the Node world would write
    // (plaintext ws, one serialisation per message, send to every client).
    const server = http.createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    let seq = 0;
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        const text = JSON.stringify({ type: 'event', seq: ++seq, kind: 'position', data: JSON.parse(body) });
        for (const c of wss.clients) c.send(text);
        res.end('{}');
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const aport = server.address().port;
    const before = process.memoryUsage().rss;
    const v = await startViewers(`ws://127.0.0.1:${aport}/`, viewersN, null);
    await sleep(2000);
    const after = process.memoryUsage().rss;
    const hagent = new http.Agent({ keepAlive: true });
    for (let i = 0; i < nProbes; i++) {
      const micro = 121_010_000 + (++probeNo);
      v.probe(String(micro), now());
      await new Promise((res, rej) => {
        const payload = JSON.stringify({ user_id: 'probe', lat: 28.857, lon: micro / 1e6 });
        const req = http.request({ host: '127.0.0.1', port: aport, method: 'POST', path: '/', agent: hagent, headers: { 'content-length': Buffer.byteLength(payload) } }, (resp) => { resp.resume(); resp.on('end', res); });
        req.on('error', rej);
        req.end(payload);
      });
      await sleep(250);
    }
    await v.settle(v.subscribed * nProbes);
    const r = await v.collect();
    console.log(JSON.stringify({ bench: 'live_fanout', server: 'node ws broadcast (plaintext)', viewers: v.subscribed, samples: r.lat.length, expected: v.subscribed * nProbes, p50_ms: percentile(r.lat, 0.5), p99_ms: percentile(r.lat, 0.99), max_ms: r.lat.at(-1), closed: r.closed, kib_per_conn: (after - before) / 1024 / Math.max(1, v.subscribed) }));
    v.stop();
    server.close();
    wss.close();
    process.exit(0);
  } else {
    console.error('usage: live_fanout.mjs patrold --port P --pid PID [--viewers N] | anchor [--viewers N]');
    process.exit(2);
  }
  process.exit(0);
}

if (mode !== 'viewers') await main();
