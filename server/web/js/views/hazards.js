// The hazard board (隐患整改): every hazard in scope with filters (state,
// overdue, escalation level, village, site category, item), and the chosen
// hazard's detail with its transitions. URL: #/hazards[/ID], or
// #/hazards/site/SITE_ID for one site's hazards (the overview links there).

import '../words/hazards.js';
import { download, listAll } from '../api.js';
import { h } from '../dom.js';
import { onLangChange, t } from '../i18n.js';
import { drawer } from '../drawer.js';
import { errorText } from '../errors.js';
import { renderHazard } from '../hazards/detail.js';
import { matches, renderFilters, renderList } from '../hazards/list.js';
import { mayPlanRounds } from '../roles.js';
import { navigate } from '../router.js';

export async function mount(container, ctx, params) {
  const { state } = ctx;
  const me = state.me;
  let hazards = new Map();
  let users = new Map();
  let f = { state: '', overdue: false, escalation: '', village: '', category: '', item: '', site: '' };
  let selected = null;

  const title = h('h1', { class: 'page-title' });
  const count = h('span', { class: 'muted', id: 'hz-count' });
  const exportBtn = h('button', { type: 'button', class: 'secondary small', id: 'hz-export' });
  const filters = h('div', { class: 'filters-bar', id: 'hz-filters' });
  const status = h('p', { class: 'page-error', role: 'alert', hidden: true });
  const list = h('div', { class: 'hz-list-host' });
  const panel = drawer('hz-drawer', () => navigate('hazards'));
  panel.el.hidden = true;
  const page = h('div', { class: 'page hazards-page' },
    h('div', { class: 'page-head' }, title, h('div', { class: 'toolbar' }, count, exportBtn)),
    filters, status, list);
  container.replaceChildren(h('div', { class: 'page-wrap' }, page, panel.el));
  exportBtn.addEventListener('click', () => {
    const q = f.state && f.state !== 'all' ? `?state=${f.state}` : '';
    download(`/api/v1/exports/hazards.csv${q}`).catch((e) => { status.hidden = false; status.textContent = errorText(e); });
  });

  const userName = (id) => users.get(id)?.name || state.userName(id);

  function draw() {
    const all = [...hazards.values()];
    const shown = all.filter((x) => matches(state, x, f));
    renderFilters(filters, state, all, f, (next) => {
      const leavingSite = f.site && !next.site;
      f = next;
      if (leavingSite && location.hash.includes('/site/')) navigate('hazards');
      else draw();
    });
    count.textContent = `${t('hz.count', { n: shown.length })}${shown.some((x) => x.overdue) ? ` · ${t('hz.count_overdue', { n: shown.filter((x) => x.overdue).length })}` : ''}`;
    renderList(list, state, shown, { selectedId: selected, userName, onOpen: (x) => navigate('hazards', x.id) });
  }

  function words() {
    title.textContent = t('hz.title');
    exportBtn.textContent = t('hz.export_csv');
    draw();
  }

  async function load() {
    try {
      const [items, us] = await Promise.all([
        listAll('/api/v1/hazards', {}, { maxPages: 20 }),
        mayPlanRounds(me.role) ? listAll('/api/v1/users').catch(() => []) : [],
      ]);
      hazards = new Map(items.map((x) => [x.id, x]));
      users = new Map(us.map((u) => [u.id, u]));
      status.hidden = true;
    } catch (e) {
      status.textContent = t('hz.load_failed', { message: errorText(e) });
      status.hidden = false;
    }
    draw();
    document.body.dataset.hazardsReady = 'true';
  }

  const detailCtx = {
    state, me, get users() { return users; },
    onChanged: (hz) => {
      hazards.set(hz.id, { ...hazards.get(hz.id), ...hz });
      state.hazards.set(hz.id, { ...state.hazards.get(hz.id), ...hz });
      state.recountHazards();
      draw();
    },
  };

  async function apply(p) {
    if (p[0] === 'site') {
      f = { ...f, site: p[1] ?? '' };
      p = [];
    }
    selected = p[0] ?? null;
    panel.el.hidden = !selected;
    document.body.classList.toggle('drawer-open', !!selected);
    draw();
    if (selected) {
      panel.setTitle(t('detail.hazard'));
      await renderHazard(panel.body, selected, detailCtx);
    }
  }

  // Live: a hazard found, moved or escalated elsewhere shows up here.
  const onChange = (e) => {
    if (e.detail.kind !== 'hazard') return;
    const d = e.detail.data;
    hazards.set(d.id, { ...hazards.get(d.id), ...d });
    draw();
  };
  state.addEventListener('change', onChange);
  const offLang = onLangChange(() => { words(); if (selected) apply([selected]); });

  words();
  await load();
  await apply(params);
  return {
    update: (p) => apply(p),
    unmount() {
      state.removeEventListener('change', onChange);
      offLang();
      document.body.classList.remove('drawer-open');
      delete document.body.dataset.hazardsReady;
    },
  };
}
