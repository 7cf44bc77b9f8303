// Viewers for an ingest benchmark: logs in as the demo team leader and keeps
// N WebSocket viewers subscribed to the leader's node (where the push
// benchmark's inspections land) until SIGTERM, then prints
// {"viewers","subscribed","events","bytes","closed"} as one JSON line.
//   node live_watch.mjs --port P --viewers N
import https from 'node:https';
import WebSocket from 'ws';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const port = Number(opt('port'));
const n = Number(opt('viewers', '10'));

function login(phone) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ phone, password: 'patrol-demo', device_id: `watch-${phone}` });
    const req = https.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/auth/login', rejectUnauthorized: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`login ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const leader = await login('13900000001');
const url = `wss://127.0.0.1:${port}/api/v1/live?access_token=${leader.token}`;
let subscribed = 0, events = 0, bytes = 0, closed = 0;
await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
  const ws = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false });
  ws.on('error', () => {});
  ws.on('close', () => { closed++; resolve(); });
  ws.on('message', (data) => {
    const s = data.toString();
    if (s.startsWith('{"type":"hello"')) ws.send(JSON.stringify({ type: 'subscribe', org_unit_id: leader.user.org_unit_id }));
    else if (s.startsWith('{"type":"snapshot"')) { subscribed++; resolve(); }
    else if (s.startsWith('{"type":"event"')) { events++; bytes += data.length; }
  });
})));
console.error(`live_watch: ${subscribed}/${n} viewers subscribed`);
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ viewers: n, subscribed, events, bytes, closed }));
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
