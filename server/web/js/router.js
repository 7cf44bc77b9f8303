// A small hash router: pages plug in with register(), one module per view.
//   register('map', {title: 'nav.map', load: () => import('./views/map.js'), nav: true})
// A view module exports mount(container, ctx, params) -> {unmount(), update?(params)}.
// URLs look like #/map or #/map/site/ID (params = the segments after the name).

import { t } from './i18n.js';

const routes = new Map();
let current = null;  // {name, view}
let container = null;
let ctx = null;
let fallback = null;

export function register(name, def) {
  routes.set(name, def);
  if (!fallback) fallback = name;
}

export function routeNames() { return [...routes.keys()]; }
export function routeDef(name) { return routes.get(name); }

export function navigate(name, ...params) {
  const hash = `#/${[name, ...params].map(encodeURIComponent).join('/')}`;
  if (location.hash !== hash) location.hash = hash;
  else render();
}

function parse() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const name = routes.has(parts[0]) ? parts[0] : fallback;
  return { name, params: routes.has(parts[0]) ? parts.slice(1) : [] };
}

async function render() {
  if (!container) return;
  const { name, params } = parse();
  if (current?.name === name && current.view?.update) {
    current.view.update(params);
    return;
  }
  current?.view?.unmount?.();
  current = { name, view: null };
  container.replaceChildren();
  const def = routes.get(name);
  try {
    const mod = await def.load();
    if (current?.name !== name) return;  // navigated away while loading
    current.view = await mod.mount(container, ctx, params);
  } catch (e) {
    console.error(e);
    const p = document.createElement('p');
    p.className = 'page-error';
    p.textContent = t('error.generic', { message: e.message });
    container.append(p);
  }
  document.dispatchEvent(new CustomEvent('patrol:route', { detail: { name } }));
}

// Starts routing into el with the shared context (state, live client, api…).
export function start(el, context) {
  container = el;
  ctx = context;
  window.addEventListener('hashchange', render);
  render();
}

export function stop() {
  window.removeEventListener('hashchange', render);
  current?.view?.unmount?.();
  current = null;
  container?.replaceChildren();
  container = null;
}
