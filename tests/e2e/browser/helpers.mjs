// What the browser tests share: where patrold, the web root and Chromium
// are; starting patrold and logging in over its API; launching Chromium and
// opening a page that records its requests, errors and CSP violations;
// logging in through the page; ids and times as the phones make them, and
// real PNG photos the browser can decode.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { request, startServer } from '../server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..', '..');
export const build = resolve(process.env.PATROL_BUILD_DIR ?? join(repo, 'build', 'asan'));
export const patrold = join(build, 'server', 'patrold');
export const webRoot = join(repo, 'server', 'web');
export const shots = join(repo, 'build', 'e2e-screenshots');  // artifacts, not committed
export const chromiumPath = process.env.PATROL_CHROMIUM ?? '/usr/bin/chromium';
export const PASSWORD = 'patrol-demo';

// Why a browser suite cannot run here (for describe's `skip`), or false.
// `vendor`: a file under server/web/vendor the pages need (scripts/dev.sh deps).
export function skipReason(vendor) {
  if (!existsSync(patrold)) return `patrold not built: ${patrold} is missing`;
  if (!existsSync(chromiumPath)) return `${chromiumPath} missing (scripts/dev.sh deps installs Debian's chromium)`;
  if (!existsSync(join(webRoot, 'vendor', vendor))) return `server/web/vendor/${vendor} missing: run scripts/dev.sh deps`;
  return false;
}

// patrold with the demo seed serving the dashboard, and Chromium. Returns
// {srv, origin, browser, call(method, path, opts), login(phone, password?, device?)
// (the raw response), stop()}.
export async function startDashboard({ args = [], chromiumArgs = [] } = {}) {
  mkdirSync(shots, { recursive: true });
  const srv = await startServer(patrold, { args: ['--web-root', webRoot, '--access-log=false', ...args] });
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', ...chromiumArgs],
    });
  } catch (e) {
    await srv.stop();
    throw e;
  }
  const call = (method, path, opts) => request(srv.port, method, path, opts);
  return {
    srv,
    browser,
    origin: `https://127.0.0.1:${srv.port}`,
    call,
    login: (phone, password = PASSWORD, device = `e2e-browser-${phone}`) =>
      call('POST', '/api/v1/auth/login', { body: { phone, password, device_id: device } }),
    async stop() {
      await browser?.close();
      await srv.stop();
    },
  };
}

// A fresh browser context and page (zh-CN, Asia/Shanghai; a touch phone
// below 500 px wide) that records every URL it asks for in `requests`
// (WebSockets too), uncaught errors in `pageErrors` (prefixed with `label`)
// and CSP violations in window.__csp (see cspViolations()).
export async function openContext(browser, viewport, { requests = [], pageErrors = [], label = '', ...options } = {}) {
  const mobile = viewport.width < 500;
  const context = await browser.newContext({
    viewport, ignoreHTTPSErrors: true, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: 1,
    locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options,
  });
  context.on('request', (r) => requests.push(r.url()));
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(label ? `${label}: ${e.message}` : e.message));
  page.on('websocket', (ws) => requests.push(ws.url()));
  return { context, page };
}

// Logs in through the page's form and waits for the live map; the page's response.
export async function logInPage(page, origin, phone, password = PASSWORD) {
  const res = await page.goto(`${origin}/`);
  await page.fill('#phone', phone);
  await page.fill('#password', password);
  await page.click('#login-submit');
  await page.waitForSelector('body[data-map-ready]', { timeout: 30000 });
  return res;
}

export async function assertNoCsp(page) {
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no Content-Security-Policy violation');
}

export function uuidv7() {
  const hex = Date.now().toString(16).padStart(12, '0');
  const r = randomUUID().replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${r.slice(13, 16)}-${((parseInt(r[16], 16) & 3) | 8).toString(16)}${r.slice(17, 20)}-${r.slice(20, 32)}`;
}

// RFC 3339 in +08:00, deltaMs from now.
export function localTime(deltaMs = 0) {
  const d = new Date(Date.now() + deltaMs + 480 * 60000);
  return `${d.toISOString().slice(0, 23)}+08:00`;
}

// A real PNG (solid colour) so the browser can decode and show it.
export function png(width, height, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);  // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
