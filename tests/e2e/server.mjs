// Starts the real patrold on a free loopback port with a fresh data directory
// and talks to it over HTTPS (self-signed certificate: checks off).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true, maxSockets: 4 });

// One HTTPS request. body: object (sent as JSON), Buffer or string.
export function request(port, method, path, { token, body, headers = {}, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    let payload;
    if (body !== undefined) {
      if (Buffer.isBuffer(body) || typeof body === 'string') payload = body;
      else {
        payload = JSON.stringify(body);
        h['content-type'] ??= 'application/json';
      }
      h['content-length'] = Buffer.byteLength(payload);
    }
    if (token) h.authorization = `Bearer ${token}`;
    const req = https.request({ host: '127.0.0.1', port, method, path, headers: h, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        if ((res.headers['content-type'] ?? '').startsWith('application/json') && text.length > 0) {
          try { json = JSON.parse(text); } catch { json = undefined; }
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

// Starts patrold; resolves once /healthz answers 200. Returns {port, dir, stop(), log()}.
export async function startServer(exe, { demo = true, readyTimeoutMs = 60000, args: extraArgs = [] } = {}) {
  if (!existsSync(exe)) throw new Error(`${exe} is missing`);
  const dir = mkdtempSync(join(tmpdir(), 'patrol-e2e-'));
  const port = await freePort();
  const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', dir];
  if (demo) args.push('--demo');
  args.push(...extraArgs);
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d) => { output = (output + d.toString()).slice(-20000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`patrold exited early (${JSON.stringify(exited)}):\n${output}`);
    try {
      const r = await request(port, 'GET', '/healthz', { timeoutMs: 2000 });
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`patrold not healthy within ${readyTimeoutMs} ms:\n${output}`);
    }
    await sleep(100);
  }
  return {
    port,
    dir,
    log: () => output,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const t0 = Date.now();
        while (!exited && Date.now() - t0 < 10000) await sleep(50);
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
      return exited;
    },
  };
}

// Opens a WebSocket on path and returns {status, firstMessage} (or the HTTP
// status when the upgrade is refused). A minimal client: one text frame read.
export function wsFirstMessage(port, path, headers = {}, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = https.request({
      host: '127.0.0.1', port, path, method: 'GET', rejectUnauthorized: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, ...headers },
    });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`websocket ${path}: timed out`)); }, timeoutMs);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, json, text });
      });
    });
    req.on('upgrade', (res, socket, head) => {
      let buf = head;
      const tryFrame = () => {
        if (buf.length < 2) return;
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
        if (buf.length < off + len) return;
        clearTimeout(timer);
        const payload = buf.subarray(off, off + len).toString('utf8');
        // Close politely: a masked close frame with code 1000.
        const mask = randomBytes(4);
        const code = Buffer.from([0x03, 0xe8]);
        const masked = Buffer.from(code.map((b, i) => b ^ mask[i % 4]));
        socket.end(Buffer.concat([Buffer.from([0x88, 0x80 | 2]), mask, masked]));
        let json;
        try { json = JSON.parse(payload); } catch { json = undefined; }
        resolve({ status: res.statusCode, opcode, text: payload, json });
      };
      socket.on('data', (d) => { buf = Buffer.concat([buf, d]); tryFrame(); });
      socket.on('error', () => {});
      tryFrame();
    });
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    req.end();
  });
}
