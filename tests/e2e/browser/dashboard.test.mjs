// The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) against a real patrold started here with the demo seed:
// log in, the demo sites, a pushed position moving its marker, an inspection
// with a hazard popping in and its detail with the photo, SOS banner, a phone
// viewport, and no request leaving the origin. Screenshots (1280x800 desktop,
// 390x844 phone) go to build/e2e-screenshots/ (artifacts, not committed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  PASSWORD, assertNoCsp, localTime, logInPage, openContext, png, shots, skipReason, startDashboard, uuidv7,
} from './helpers.mjs';

const skip = skipReason('leaflet/leaflet-src.esm.js');

const LEADER = '13900000001';
const VOLUNTEER = '13900000002';

describe('dashboard in headless Chromium', { skip }, () => {
  let dash;  // patrold and Chromium (helpers.mjs startDashboard)
  let browser;
  let origin;
  const requests = [];  // every URL any page asked for
  const pageErrors = [];
  const tokens = {};
  const ids = {};
  let desktop;  // {context, page}
  let site;
  let template;

  const call = (method, path, opts) => dash.call(method, path, opts);
  async function login(phone) {
    const r = await dash.login(phone);
    assert.equal(r.status, 200, r.text);
    return r.json;
  }
  async function push(ops) {
    const r = await call('POST', '/api/v1/sync/push', { token: tokens.volunteer, body: { device_id: 'e2e-browser-phone', ops } });
    assert.equal(r.status, 200, r.text);
    for (const x of r.json.results) assert.ok(x.status === 'applied' || x.status === 'duplicate', JSON.stringify(x));
    return r.json;
  }
  const pushPosition = (lat, lon, deltaMs = 0) => push([{
    op_id: uuidv7(), type: 'position.append', device_time: localTime(),
    body: { points: [{ t: localTime(deltaMs), lat, lon, accuracy_m: 5 }] },
  }]);

  // The policy patrold is about to send: the page must work under it (no
  // inline script, nothing from elsewhere). Added to the page's response here.
  const CSP = "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' blob: data:; "
    + "style-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

  // A page whose index.html carries the stricter CSP above (helpers.mjs openContext).
  async function newPage(viewport) {
    const { context, page } = await openContext(browser, viewport, { requests, pageErrors });
    await context.route((url) => url.pathname === '/' || url.pathname === '/index.html', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
    });
    return { context, page };
  }

  // 'live' once the feed answered the subscribe, 'polling' if it never did.
  async function connectionMode(page) {
    try {
      await page.waitForFunction(() => ['live', 'polling'].includes(document.body.dataset.live), null, { timeout: 30000 });
    } catch (e) {
      const why = await page.evaluate(() => ({ state: document.body.dataset.live, csp: window.__csp }));
      throw new Error(`live feed never connected: ${JSON.stringify(why)}\n${dash.srv.log().slice(-2000)}`);
    }
    return page.evaluate(() => document.body.dataset.live);
  }

  before(async () => {
    // A page fulfilled by the test (to add the CSP header) counts as coming from
    // no network address, and Chromium's Local Network Access checks would then
    // refuse its WebSocket to 127.0.0.1: off, the real page comes from there anyway.
    dash = await startDashboard({
      chromiumArgs: ['--disable-features=LocalNetworkAccessChecks,LocalNetworkAccessChecksWebSockets'],
    });
    ({ browser, origin } = dash);
    const leader = await login(LEADER);
    const volunteer = await login(VOLUNTEER);
    tokens.leader = leader.token;
    tokens.volunteer = volunteer.token;
    ids.volunteer = volunteer.user.id;
    const pulled = await call('GET', '/api/v1/sync/pull?cursor=0&limit=1000', { token: tokens.volunteer });
    const changes = pulled.json.changes;
    const templates = changes.filter((c) => c.entity === 'checklist_template').map((c) => c.data);
    const sites = changes.filter((c) => c.entity === 'site').map((c) => c.data);
    site = sites.find((s) => templates.some((x) => x.id === s.template_id));
    template = templates.find((x) => x.id === site.template_id);
    // a position from before the page opened: it must be on the map from the REST load
    await pushPosition(site.lat - 0.001, site.lon - 0.001, -60000);
  });

  after(async () => {
    await dash?.stop();
  });

  test('log in (Chinese by default) and see the demo sites, outlines, scale and the volunteer', async () => {
    desktop = await newPage({ width: 1280, height: 800 });
    const { page } = desktop;
    await page.goto(`${origin}/`);
    assert.equal(await page.textContent('#login-submit'), '登录');
    await page.fill('#phone', LEADER);
    await page.fill('#password', 'wrong-password');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent.length > 0);
    assert.equal(await page.textContent('#login-error'), '手机号或密码错误');
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('body[data-map-ready]', { timeout: 30000 });
    const r = await call('GET', '/api/v1/sites?limit=1000', { token: tokens.leader });
    const expected = r.json.items.length;
    assert.ok(expected > 5, 'the demo seeds sites');
    await page.waitForFunction((n) => document.querySelectorAll('.site-pin').length === n, expected, { timeout: 10000 });
    for (const s of r.json.items.slice(0, 3)) {
      assert.equal(await page.locator(`.site-pin[data-site-id="${s.id}"]`).count(), 1, `site ${s.name} on the map`);
    }
    assert.match(await page.locator('.village-label').first().textContent(), /大田刘村/, 'village outline (named) without a base map');
    assert.ok(await page.locator('.leaflet-overlay-pane canvas').count() >= 1, 'outline drawn');
    assert.equal(await page.locator('.leaflet-control-scale').count(), 1, 'scale bar');
    assert.equal(await page.locator('.leaflet-tile').count(), 0, 'no tiles configured: none requested');
    const cfg = await call('GET', '/config.json');
    assert.equal(cfg.status, 200, cfg.text);
    assert.deepEqual(cfg.json, { tiles: null }, 'no --tile-url: no base map');
    assert.equal(await page.textContent('#tab-rounds'), '今晚巡防');
    await page.waitForSelector(`.vol-pin[data-user-id="${ids.volunteer}"]`, { timeout: 10000 });
    // The live publisher is part of patrold: a page that fell back to polling
    // means the feed is broken (and the live tests below fail too).
    assert.equal(await connectionMode(page), 'live', 'the dashboard fell back to polling: patrold answered no subscribe');
  });

  test('a pushed position moves the volunteer marker, with its trail (live feed)', async () => {
    const { page } = desktop;
    const sel = `.vol-pin[data-user-id="${ids.volunteer}"]`;
    const a = [site.lat + 0.0005, site.lon + 0.0004];
    const b = [site.lat + 0.0011, site.lon + 0.0009];
    await pushPosition(...a);
    try {
      await page.waitForFunction(([s, lat]) => Math.abs(Number(document.querySelector(s)?.dataset.lat) - lat) < 1e-7, [sel, a[0]], { timeout: 10000 });
    } catch (e) {
      const latest = await call('GET', '/api/v1/positions/latest', { token: tokens.leader });
      const shown = await page.$eval(sel, (el) => ({ ...el.dataset }));
      throw new Error(`marker not moved to ${a}: shown ${JSON.stringify(shown)}; server latest ${latest.text}; live ${await page.evaluate(() => document.body.dataset.live)}`);
    }
    const before = await page.locator(sel).boundingBox();
    await pushPosition(...b, 1000);
    await page.waitForFunction(([s, lat]) => Math.abs(Number(document.querySelector(s)?.dataset.lat) - lat) < 1e-7, [sel, b[0]], { timeout: 10000 });
    const moved = await page.locator(sel).boundingBox();
    assert.ok(Math.hypot(moved.x - before.x, moved.y - before.y) > 3, `marker moved on screen: ${JSON.stringify([before, moved])}`);
    const trail = Number(await page.$eval(sel, (el) => el.dataset.trail));
    assert.ok(trail >= 2, `trail drawn through the pushed points (${trail})`);
    // a late point from a backlog never moves the marker back in time
    await pushPosition(site.lat - 0.002, site.lon - 0.002, -30 * 60000);
    await page.waitForTimeout(1500);
    assert.ok(Math.abs(Number(await page.$eval(sel, (el) => el.dataset.lat)) - b[0]) < 1e-7, 'latest marker kept');
    const label = await page.textContent(`${sel} .vol-label`);
    assert.match(label, /刚刚|秒前/, `marker shows its age: ${label}`);
  });

  test('an inspection with a hazard pops in; its detail shows each item and the photo', async () => {
    const { page } = desktop;
    const photo = png(48, 32, [200, 40, 40]);
    ids.photo = createHash('sha256').update(photo).digest('hex');
    const put = await call('PUT', `/api/v1/attachments/${ids.photo}`, {
      token: tokens.volunteer, body: photo, headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.status, 200, put.text);
    const failing = template.items.find((i) => i.photo_required) ?? template.items[0];
    ids.item = failing.code;
    ids.inspection = uuidv7();
    await push([{
      op_id: uuidv7(), type: 'inspection.create', device_time: localTime(),
      body: {
        id: ids.inspection, site_id: site.id, template_id: template.id, template_version: template.version,
        round_id: null, observed_at: localTime(-2000),
        position: { lat: site.lat, lon: site.lon, accuracy_m: 6, crs: 'wgs84' },
        items: template.items.map((i) => (i.code === failing.code
          ? { code: i.code, result: 'hazard', note: '三楼窗口飞线', photos: [ids.photo] }
          : { code: i.code, result: 'ok' })),
        note: 'e2e 浏览器测试',
      },
    }]);
    await page.waitForSelector(`.hazard-pin[data-site-id="${site.id}"]`, { timeout: 10000 });
    await page.click('#tab-feed');
    await page.waitForSelector(`.feed-item[data-inspection-id="${ids.inspection}"]`, { timeout: 10000 });
    const entry = page.locator(`.feed-item[data-inspection-id="${ids.inspection}"]`);
    assert.match(await entry.textContent(), new RegExp(site.name));
    assert.match(await entry.textContent(), /三楼窗口飞线/);
    assert.equal(await page.locator(`.site-pin[data-site-id="${site.id}"] .badge`).textContent(), '1', 'open-hazard count on the site');

    // the hazard marker opens the hazard; its inspection shows items and photo
    await page.click(`.hazard-pin[data-site-id="${site.id}"]`);
    await page.waitForSelector('.detail-hazard', { timeout: 10000 });
    assert.match(await page.textContent('.detail-hazard'), /待处理/);
    await page.click('#tab-feed');
    await page.click(`.feed-item[data-inspection-id="${ids.inspection}"]`);
    await page.waitForSelector(`.detail-inspection[data-id="${ids.inspection}"]`, { timeout: 10000 });
    const items = await page.locator('.detail-inspection .item').count();
    assert.equal(items, template.items.length, 'every item with its result');
    assert.match(await page.textContent(`.item[data-code="${ids.item}"]`), /隐患/);
    const get = await call('GET', `/api/v1/attachments/${ids.photo}`, { token: tokens.leader });
    assert.equal(get.status, 200, 'the photo is served to the leader');
    const img = page.locator(`img.photo[data-sha256="${ids.photo}"]`);
    await img.waitFor({ timeout: 10000 });
    await page.waitForFunction((sha) => {
      const el = document.querySelector(`img.photo[data-sha256="${sha}"]`);
      return el && el.complete && el.naturalWidth === 48;
    }, ids.photo, { timeout: 10000 });
    await page.screenshot({ path: join(shots, 'desktop-inspection.png') });
  });

  test('SOS: a banner that stays until acknowledged (live feed)', async () => {
    const { page } = desktop;
    await push([{
      op_id: uuidv7(), type: 'sos.raise', device_time: localTime(),
      body: { id: uuidv7(), raised_at: localTime(), position: { lat: site.lat, lon: site.lon }, note: '需要支援' },
    }]);
    await page.waitForSelector('#sos-banner:not([hidden])', { timeout: 10000 });
    assert.match(await page.textContent('#sos-banner'), /需要支援/);
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, 'desktop-sos.png') });
    await page.click('#sos-banner .sos-ack');
    await page.waitForSelector('#sos-banner', { state: 'hidden', timeout: 5000 });
  });

  test('reconnects after a drop with since and gets what it missed, once (live feed)', async () => {
    // The page's socket goes through Playwright's WebSocket route to the real
    // patrold, so the test can cut it (a dropped connection, as in a lift).
    const { page, context } = await newPage({ width: 1280, height: 800 });
    const sockets = [];  // [{route, sent: [client messages]}]
    await page.routeWebSocket(/\/api\/v1\/live/, (ws) => {
      const server = ws.connectToServer();
      const entry = { ws, sent: [] };
      sockets.push(entry);
      ws.onMessage((m) => { entry.sent.push(String(m)); server.send(m); });
    });
    await logInPage(page, origin, LEADER);
    await page.waitForFunction(() => document.body.dataset.live === 'live', null, { timeout: 20000 });
    assert.equal(sockets.length, 1);
    const first = JSON.parse(sockets[0].sent.find((m) => m.includes('subscribe')));
    assert.equal(first.since, undefined, 'a fresh page subscribes without since');
    await sockets[0].ws.close({ code: 1011, reason: 'test drop' });
    await page.waitForFunction(() => document.body.dataset.live === 'offline', null, { timeout: 5000 });
    const c = [site.lat + 0.0021, site.lon - 0.0013];
    await pushPosition(...c, 5000);
    const missed = uuidv7();
    await push([{
      op_id: uuidv7(), type: 'inspection.create', device_time: localTime(),
      body: {
        id: missed, site_id: site.id, template_id: template.id, template_version: template.version,
        round_id: null, observed_at: localTime(-1000), position: null,
        items: template.items.map((i) => ({ code: i.code, result: 'ok' })), note: '断线期间的上报',
      },
    }]);
    await page.waitForFunction(() => document.body.dataset.live === 'live', null, { timeout: 40000 });
    assert.ok(sockets.length >= 2, 'a new socket');
    const again = JSON.parse(sockets[sockets.length - 1].sent.find((m) => m.includes('subscribe')));
    assert.equal(typeof again.since, 'number', `resubscribed with since: ${JSON.stringify(again)}`);
    const sel = `.vol-pin[data-user-id="${ids.volunteer}"]`;
    await page.waitForFunction(([s, lat]) => Math.abs(Number(document.querySelector(s)?.dataset.lat) - lat) < 1e-7, [sel, c[0]], { timeout: 10000 });
    await page.click('#tab-feed');
    await page.waitForSelector(`.feed-item[data-inspection-id="${missed}"]`, { timeout: 10000 });
    assert.equal(await page.locator(`.feed-item[data-inspection-id="${missed}"]`).count(), 1, 'the missed report once');
    const all = await page.$$eval('.feed-item', (els) => els.map((e) => e.dataset.inspectionId));
    assert.equal(new Set(all).size, all.length, 'no report twice in the feed');
    await context.close();
  });

  test('desktop screenshot 1280x800', async () => {
    const { page } = desktop;
    await page.evaluate(() => { location.hash = '#/map'; });
    await page.click('#tab-rounds');
    await page.click('.map-btn.fit');
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(shots, 'desktop.png') });
    await assertNoCsp(page);
  });

  test('phone-sized viewport (390x844): bottom sheet, big targets, no sideways scroll, English switch', async () => {
    const { page, context } = await newPage({ width: 390, height: 844 });
    await logInPage(page, origin, LEADER);
    await page.waitForTimeout(800);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal overflow (${width}px)`);
    const sheet = await page.locator('.sheet').boundingBox();
    assert.ok(sheet && sheet.y > 400 && sheet.y + sheet.height <= 845, `sheet at the bottom: ${JSON.stringify(sheet)}`);
    for (const sel of ['#tab-rounds', '#tab-feed', '#tab-detail', '#lang', '#logout', '.map-btn.fit']) {
      const b = await page.locator(sel).boundingBox();
      assert.ok(b && b.height >= 40 && b.width >= 40, `${sel} is a big enough touch target: ${JSON.stringify(b)}`);
    }
    await page.screenshot({ path: join(shots, 'phone.png') });
    await page.tap('#tab-feed');
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(shots, 'phone-feed.png') });
    if (ids.inspection) {
      await page.tap(`.feed-item[data-inspection-id="${ids.inspection}"]`);
      await page.waitForSelector('.detail-inspection', { timeout: 10000 });
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(shots, 'phone-detail.png') });
    }
    await page.tap('#lang');
    assert.equal(await page.textContent('#tab-feed'), 'Latest reports');
    assert.equal(await page.textContent('#logout'), 'Log out');
    await page.screenshot({ path: join(shots, 'phone-en.png') });
    await assertNoCsp(page);
    await context.close();
  });

  test('no request leaves the origin', () => {
    assert.ok(requests.length > 10, `requests were seen (${requests.length})`);
    const wsOrigin = origin.replace(/^https:/, 'wss:');
    const outside = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith(`${wsOrigin}/`)
      && !u.startsWith('data:') && !u.startsWith('blob:'));
    assert.deepEqual(outside, [], 'every request goes to patrold itself');
    assert.deepEqual(pageErrors, [], 'no uncaught page errors');
  });
});

// A base map drawn in GCJ-02 (as most Chinese tile services): patrold's
// --tile-url/--tile-crs reach the page, tiles come from that URL, and every
// marker is shifted from WGS84 to GCJ-02 so it sits on the right spot of the
// tiles. The tile URL is on patrold itself (404s: the test reads where Leaflet
// places the tiles, not their pictures), so nothing leaves the machine.
describe('dashboard with a GCJ-02 base map', { skip }, () => {
  let dash;
  before(async () => {
    dash = await startDashboard({
      args: ['--tile-url', '/tiles/{z}/{x}/{y}.png', '--tile-crs', 'gcj02', '--tile-attribution', 'e2e tiles'],
    });
  });
  after(async () => {
    await dash?.stop();
  });

  test('tiles from --tile-url; markers shifted to GCJ-02 on them', async () => {
    const { origin } = dash;
    const cfg = await dash.call('GET', '/config.json');
    assert.deepEqual(cfg.json, { tiles: { url: '/tiles/{z}/{x}/{y}.png', crs: 'gcj02', attribution: 'e2e tiles' } });
    const { context, page } = await openContext(dash.browser, { width: 1280, height: 800 });
    await logInPage(page, origin, LEADER);
    await page.waitForSelector('.leaflet-tile', { state: 'attached', timeout: 10000 });
    await page.waitForTimeout(800);  // zoom/pan animations of the first fit
    assert.match(await page.textContent('.leaflet-control-attribution'), /e2e tiles/);
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('patrol.session')).token);
    const sites = (await dash.call('GET', '/api/v1/sites?limit=1000', { token })).json.items;
    const { wgs84ToGcj02 } = await import('../../../server/web/js/geo.js');
    const tile = await page.evaluate(() => {
      const img = [...document.querySelectorAll('.leaflet-tile')].find((t) => t.getBoundingClientRect().width > 0);
      const [, z, x, y] = img.getAttribute('src').match(/\/tiles\/(\d+)\/(\d+)\/(\d+)\.png/).map(Number);
      const r = img.getBoundingClientRect();
      return { z, x, y, left: r.left, top: r.top, width: r.width };
    });
    const scale = tile.width / 256;
    const world = 256 * 2 ** tile.z;
    const screen = ([lat, lon]) => {
      const gx = ((lon + 180) / 360) * world;
      const s = Math.sin((lat * Math.PI) / 180);
      const gy = (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * world;
      return [tile.left + (gx - tile.x * 256) * scale, tile.top + (gy - tile.y * 256) * scale];
    };
    for (const s of sites.slice(0, 4)) {
      const box = await page.locator(`.site-pin[data-site-id="${s.id}"]`).boundingBox();
      const at = [box.x + box.width / 2, box.y + box.height / 2];
      const gcj = screen(wgs84ToGcj02(s.lat, s.lon));
      const wgs = screen([s.lat, s.lon]);
      assert.ok(Math.hypot(wgs[0] - gcj[0], wgs[1] - gcj[1]) > 20, 'the datum shift is visible at this zoom');
      assert.ok(Math.hypot(at[0] - gcj[0], at[1] - gcj[1]) < 3,
        `${s.name} drawn at its GCJ-02 place on the tiles: ${at} vs ${gcj} (WGS84 would be ${wgs})`);
    }
    await page.screenshot({ path: join(shots, 'desktop-gcj02-tiles.png') });
    await context.close();
  });
});
