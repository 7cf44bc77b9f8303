// The overview (平安全景图) of an org node over a period: headline numbers,
// charts (rounds, hazards by item and category, rectification rate by child,
// week-by-week trend), the children to drill into (city → town → village),
// a village's sites (the last level: each to the live map or the hazard
// board) and the exports. URL: #/overview[/ORG_ID]

import '../words/overview.js';
import { api, download } from '../api.js';
import { h } from '../dom.js';
import { currentLang, onLangChange, t } from '../i18n.js';
import { addDays, dateIn } from '../dates.js';
import { errorText } from '../errors.js';
import { barsHeight, countsOption, draw, loadECharts, rateOption, roundsOption, trendOption } from '../overview/charts.js';
import { kindWord, renderChildren, renderKpis } from '../overview/kpis.js';
import { renderSites } from '../overview/sites.js';
import { navigate } from '../router.js';

// The period survives drilling down and coming back.
const period = { from: addDays(dateIn(), -29), to: dateIn() };

export async function mount(container, ctx, params) {
  const { state } = ctx;
  let node = params[0] ?? String(state.me.org_unit_id);
  let ov = null;
  let echarts = null;
  const charts = [];

  const title = h('h1', { class: 'page-title' });
  const crumbs = h('nav', { class: 'crumbs', id: 'ov-crumbs' });
  const from = h('input', { type: 'date', id: 'ov-from', value: period.from });
  const to = h('input', { type: 'date', id: 'ov-to', value: period.to });
  const presets = [7, 30, 90].map((n) => h('button', {
    type: 'button', class: 'secondary small preset', dataset: { days: n },
    onclick: () => { period.to = dateIn(); period.from = addDays(period.to, 1 - n); from.value = period.from; to.value = period.to; load(); },
  }));
  for (const el of [from, to]) el.addEventListener('change', () => {
    if (from.value && to.value && from.value <= to.value) { period.from = from.value; period.to = to.value; load(); }
  });
  const status = h('p', { class: 'page-error', role: 'alert', hidden: true });
  const kpis = h('div', { class: 'kpis', id: 'ov-kpis' });
  const chartsEl = h('div', { class: 'charts', id: 'ov-charts' });
  const childTitle = h('h2', { class: 'section-title' });
  const children = h('div', { class: 'ov-children' });
  const sitesTitle = h('h2', { class: 'section-title', id: 'ov-sites-title', hidden: true });
  const sitesEl = h('div', { class: 'ov-sites', hidden: true });
  const exportTitle = h('h2', { class: 'section-title' });
  const exports = h('div', { class: 'actions exports', id: 'ov-exports' });
  const page = h('div', { class: 'page overview-page' },
    h('div', { class: 'page-head' }, title, h('div', { class: 'toolbar period' }, presets, from, h('span', {}, '–'), to)),
    crumbs, status, kpis, sitesTitle, sitesEl, chartsEl, childTitle, children, exportTitle, exports);
  container.replaceChildren(h('div', { class: 'page-wrap' }, page));

  function drawCrumbs() {
    const chain = state.orgChain(node);
    const mine = chain.findIndex((o) => String(o.id) === String(state.me.org_unit_id));
    const shown = mine >= 0 ? chain.slice(mine) : chain;
    crumbs.replaceChildren(...shown.map((o, i) => (i === shown.length - 1
      ? h('span', { class: 'crumb current', 'aria-current': 'page' }, o.name)
      : h('button', { type: 'button', class: 'link crumb', onclick: () => navigate('overview', String(o.id)) }, o.name))));
    if (!shown.length && ov) crumbs.replaceChildren(h('span', { class: 'crumb current' }, state.orgName(node)));
  }

  // Every box is laid out before any chart is drawn (the grid's column width
  // depends on how many there are), and each is watched for size changes.
  function drawCharts() {
    for (const c of charts.splice(0)) c.dispose();
    observer.disconnect();
    chartsEl.replaceChildren();
    if (!ov) return;
    if (!echarts) {
      chartsEl.append(h('p', { class: 'page-error' }, t('ov.charts_missing')));
      return;
    }
    const lang = currentLang();
    const childKind = kindWord(ov.children[0]?.kind);
    const specs = [];
    const nRows = ov.children.some((c) => c.rounds.total > 0) ? ov.children.length : 1;
    specs.push(['chart-rounds', t('ov.chart_rounds'), barsHeight(nRows) + 30, roundsOption({ ...ov, name: state.orgName(node) }, t)]);
    const items = ov.hazards.by_item ?? {};
    specs.push(['chart-items', t('ov.chart_items'), barsHeight(Object.keys(items).length),
      countsOption(items, (code) => state.itemLabel(code, lang))]);
    if (ov.hazards.by_category) {
      specs.push(['chart-categories', t('ov.chart_categories'), barsHeight(Object.keys(ov.hazards.by_category).length),
        countsOption(ov.hazards.by_category, (c) => t(`cat.${c}`), '#ef6c00')]);
    }
    const rated = ov.children.filter((c) => c.rectification_rate !== null);
    if (rated.length) {
      specs.push(['chart-rate', t('ov.chart_rate', { kind: childKind }), barsHeight(rated.length), rateOption(ov.children)]);
    }
    if (Array.isArray(ov.weekly) && ov.weekly.length) {
      specs.push(['chart-trend', t('ov.chart_trend'), 260, trendOption(ov.weekly, t)]);
    }
    const boxes = specs.map(([id, heading, height]) => {
      const box = h('div', { class: 'chart', id });
      box.style.height = `${height}px`;
      chartsEl.append(h('section', { class: 'chart-card card' }, h('h3', {}, heading), box));
      return box;
    });
    specs.forEach(([, , , option], i) => {
      charts.push(draw(echarts, boxes[i], option));
      observer.observe(boxes[i]);
    });
  }

  function drawAll() {
    title.textContent = t('ov.title');
    presets.forEach((b) => { b.textContent = t(`ov.last${b.dataset.days}`); });
    from.setAttribute('aria-label', t('ov.from'));
    to.setAttribute('aria-label', t('ov.to'));
    drawCrumbs();
    if (ov) {
      renderKpis(kpis, ov);
      childTitle.textContent = t('ov.children', { kind: kindWord(ov.children[0]?.kind) });
      childTitle.hidden = !ov.children.length;
      // A village has no children: its sites are the level to drill into.
      const sites = Array.isArray(ov.site_details) ? ov.site_details : null;
      children.hidden = !!sites && !ov.children.length;
      if (!children.hidden) renderChildren(children, ov, (c) => navigate('overview', c.org_unit_id));
      sitesTitle.hidden = !sites;
      sitesEl.hidden = !sites;
      if (sites) {
        sitesTitle.textContent = t('ov.sites_title', { n: sites.length });
        renderSites(sitesEl, sites, { period });
      }
    } else {
      sitesTitle.hidden = true;
      sitesEl.hidden = true;
    }
    exportTitle.textContent = t('ov.exports');
    const q = `?org_unit_id=${encodeURIComponent(node)}`;
    const files = [
      ['ov.export_inspections', `/api/v1/exports/inspections.csv${q}`],
      ['ov.export_hazards', `/api/v1/exports/hazards.csv${q}`],
      ['ov.export_sites_geo', `/api/v1/exports/sites.geojson${q}`],
      ['ov.export_hazards_geo', `/api/v1/exports/hazards.geojson${q}`],
    ];
    exports.replaceChildren(...files.map(([k, path]) => h('button', {
      type: 'button', class: 'secondary', dataset: { href: path },
      onclick: () => download(path).catch((e) => { status.hidden = false; status.textContent = errorText(e); }),
    }, `⤓ ${t(k)}`)));
    drawCharts();
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    delete document.body.dataset.overviewReady;
    try {
      const [data, lib] = await Promise.all([
        api(`/api/v1/overview?org_unit_id=${encodeURIComponent(node)}&from=${period.from}&to=${period.to}`),
        loadECharts().catch(() => null),
      ]);
      if (mine !== seq) return;
      ov = data;
      echarts = lib;
      status.hidden = true;
    } catch (e) {
      if (mine !== seq) return;
      ov = null;
      status.textContent = errorText(e);
      status.hidden = false;
    }
    drawAll();
    document.body.dataset.overviewReady = node;
  }

  const observer = new ResizeObserver(() => { for (const c of charts) c.resize(); });
  const offLang = onLangChange(drawAll);
  drawAll();
  await load();
  return {
    update(p) { node = p[0] ?? String(state.me.org_unit_id); load(); },
    unmount() {
      observer.disconnect();
      offLang();
      for (const c of charts.splice(0)) c.dispose();
      delete document.body.dataset.overviewReady;
    },
  };
}
