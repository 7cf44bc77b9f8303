// The one REST client every view uses: the token, JSON errors, paging, pull,
// and photos (fetched with the token, since an <img> cannot send one).

const KEY = 'patrol.session';

export class ApiError extends Error {
  constructor(status, code, field, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// The signed-in session: {token, expires_at, user:{id,name,role,org_unit_id}}.
// "Remember me" keeps it in localStorage, otherwise only for this tab.
function loadSession() {
  for (const store of [sessionStorage, localStorage]) {
    try {
      const s = JSON.parse(store.getItem(KEY) ?? 'null');
      if (s && s.token && (!s.expires_at || Date.parse(s.expires_at) > Date.now())) return s;
    } catch { /* unreadable: ignore */ }
  }
  return null;
}

let session = loadSession();
const signOutListeners = new Set();

export function currentSession() { return session; }
export function token() { return session?.token ?? null; }

// fn() when the session ends (logout, 401 from the server).
export function onSignedOut(fn) { signOutListeners.add(fn); }

function forget() {
  session = null;
  try { sessionStorage.removeItem(KEY); localStorage.removeItem(KEY); } catch { /* ignore */ }
  for (const fn of signOutListeners) fn();
}

// fetch + JSON + the error envelope. Resolves the parsed body (null when empty);
// throws ApiError (status 0, code "network" when the request did not get through).
export async function api(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (session) h.Authorization = `Bearer ${session.token}`;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' || body instanceof Blob ? body : JSON.stringify(body);
    h['Content-Type'] ??= 'application/json';
  }
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: payload, signal, cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', '', e.message);
  }
  const text = await res.text();
  let json = null;
  if (text && (res.headers.get('content-type') ?? '').startsWith('application/json')) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (!res.ok) {
    const e = json?.error ?? {};
    if (res.status === 401 && session) forget();
    throw new ApiError(res.status, e.code ?? 'http_error', e.field ?? '', e.message ?? res.statusText);
  }
  return json;
}

export async function login(phone, password, remember) {
  const res = await api('/api/v1/auth/login', {
    method: 'POST',
    body: { phone, password, device_id: deviceId() },
  });
  session = { token: res.token, expires_at: res.expires_at, user: res.user };
  const store = remember ? localStorage : sessionStorage;
  try { store.setItem(KEY, JSON.stringify(session)); } catch { /* private mode: tab only */ }
  return session;
}

export async function logout() {
  try { await api('/api/v1/auth/logout', { method: 'POST' }); } catch { /* gone already */ }
  forget();
}

// One stable id per browser, so the server's audit log can tell dashboards apart.
function deviceId() {
  try {
    let id = localStorage.getItem('patrol.device');
    if (!id) {
      id = `web-${crypto.randomUUID()}`;
      localStorage.setItem('patrol.device', id);
    }
    return id;
  } catch {
    return 'web-dashboard';
  }
}

function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

// Every item of a list route, following `next` (pages of 1000).
export async function listAll(path, params = {}, { maxPages = 50 } = {}) {
  const items = [];
  let after = null;
  for (let i = 0; i < maxPages; i++) {
    const page = await api(withQuery(path, { ...params, limit: 1000, after }));
    items.push(...page.items);
    if (!page.next) break;
    after = page.next;
  }
  return items;
}

// The first page of a list route (newest first where the route sorts so).
export async function listPage(path, params = {}) {
  return (await api(withQuery(path, params))).items;
}

// The reference data in scope, as the phones get it: {entity: Map(id -> data)}
// with deletions applied, plus the cursor reached.
export async function pullAll() {
  const out = {};
  let cursor = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await api(withQuery('/api/v1/sync/pull', { cursor, limit: 1000 }));
    for (const ch of page.changes) {
      const m = (out[ch.entity] ??= new Map());
      if (ch.op === 'delete') m.delete(ch.id);
      else m.set(ch.id, ch.data);
    }
    cursor = page.cursor;
    if (!page.has_more) break;
  }
  return { cursor, entities: out };
}

export function getTrack(userId, from) {
  return listAll(`/api/v1/users/${encodeURIComponent(userId)}/track`, { from });
}

// A photo as an object URL (the caller revokes it), or null when absent.
const photoCache = new Map();
export async function photoUrl(sha256) {
  if (photoCache.has(sha256)) return photoCache.get(sha256);
  const p = (async () => {
    const res = await fetch(`/api/v1/attachments/${encodeURIComponent(sha256)}`, {
      headers: session ? { Authorization: `Bearer ${session.token}` } : {},
    });
    if (!res.ok) throw new ApiError(res.status, 'photo', '', res.statusText);
    return URL.createObjectURL(await res.blob());
  })();
  photoCache.set(sha256, p);
  p.catch(() => photoCache.delete(sha256));
  return p;
}

// Dashboard settings from patrold (base map tiles): {tiles: {url, crs, attribution, max_zoom} | null}.
export async function dashboardConfig() {
  try {
    return (await api('/config.json')) ?? {};
  } catch {
    return {};
  }
}

// Saves what a GET route answers as a file (exports: CSV, GeoJSON, GPX). The
// token cannot ride on a plain link, so the bytes come through fetch and are
// handed to the browser as a blob: (same origin, nothing leaves it).
export async function download(path, filename) {
  const res = await fetch(path, { headers: session ? { Authorization: `Bearer ${session.token}` } : {}, cache: 'no-store' });
  if (!res.ok) {
    let e = {};
    try { e = (await res.json()).error ?? {}; } catch { /* not JSON */ }
    if (res.status === 401 && session) forget();
    throw new ApiError(res.status, e.code ?? 'http_error', e.field ?? '', e.message ?? res.statusText);
  }
  const cd = res.headers.get('content-disposition') ?? '';
  const name = filename ?? cd.match(/filename="([^"]+)"/)?.[1] ?? 'export';
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return name;
}

// Uploads a photo (a File from an <input type=file>) the way the phones do:
// named by the SHA-256 of its bytes, PUT whole to /api/v1/attachments/{sha256}.
// Resolves the hash to name in a transition's "photos".
export async function uploadPhoto(file) {
  const bytes = await file.arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  const sha = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  await api(`/api/v1/attachments/${sha}`, {
    method: 'PUT', body: new Blob([bytes]), headers: { 'Content-Type': 'application/octet-stream' },
  });
  return sha;
}
