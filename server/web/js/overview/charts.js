// The overview's charts with Apache ECharts (vendored from npm into
// /vendor/echarts by scripts/dev.sh deps; nothing comes from the internet).
// SVG renderer: crisp on any screen and the labels stay text.

const COLORS = { completed: '#2e7d32', in_progress: '#1565c0', planned: '#90a4ae', missed: '#c62828', cancelled: '#d0d4d8' };

let lib = null;
export async function loadECharts() {
  lib ??= import('/vendor/echarts/echarts.esm.min.js');
  try {
    return await lib;
  } catch (e) {
    lib = null;
    throw e;
  }
}

const FONT = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

// Draws option into el (replacing what was there); returns the chart.
export function draw(echarts, el, option) {
  echarts.getInstanceByDom(el)?.dispose();
  const chart = echarts.init(el, null, { renderer: 'svg' });
  chart.setOption({ textStyle: { fontFamily: FONT }, animation: false, ...option });
  return chart;
}

const grid = (left = 8) => ({ left, right: 24, top: 36, bottom: 8, containLabel: true });

// Rounds by state: per child node (stacked bars) or, with no children, the node's own.
export function roundsOption(ov, t) {
  const states = ['completed', 'in_progress', 'planned', 'missed', 'cancelled'];
  // per child when rounds are planned at that level (towns of a city, villages
  // of a town); a village's rounds belong to it, not to its grids
  const rows = ov.children.some((c) => c.rounds.total > 0) ? ov.children : [{ name: ov.name ?? '', rounds: ov.rounds }];
  return {
    color: states.map((s) => COLORS[s]),
    legend: { top: 0, itemWidth: 12, itemHeight: 12 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: grid(),
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: rows.map((c) => c.name) },
    series: states.map((s) => ({
      name: t(`round.${s}`), type: 'bar', stack: 'rounds', barMaxWidth: 22,
      data: rows.map((c) => c.rounds[s] ?? 0),
    })),
  };
}

// {key: n} as horizontal bars, biggest first, labelled by label(key).
export function countsOption(counts, label, color = '#e53935') {
  const entries = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1]);
  return {
    color: [color],
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { ...grid(), top: 8 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: entries.map(([k]) => label(k)) },
    series: [{ type: 'bar', barMaxWidth: 22, data: entries.map(([, n]) => n), label: { show: true, position: 'right' } }],
  };
}

export function rateOption(children) {
  const rows = children.filter((c) => c.rectification_rate !== null);
  return {
    color: ['#2e7d32'],
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${v}%` },
    grid: { ...grid(), top: 8 },
    xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', inverse: true, data: rows.map((c) => c.name) },
    series: [{ type: 'bar', barMaxWidth: 22, data: rows.map((c) => Math.round(c.rectification_rate * 100)), label: { show: true, position: 'right', formatter: '{c}%' } }],
  };
}

// The week-by-week trend (when the server sends "weekly").
export function trendOption(weekly, t) {
  const series = [
    ['rounds_completed', 'ov.rounds_completed', COLORS.completed],
    ['rounds_missed', 'ov.rounds_missed', COLORS.missed],
    ['hazards_found', 'ov.hazards_found', '#ef6c00'],
    ['hazards_closed', 'hazard.closed', '#546e7a'],
  ];
  return {
    color: series.map((s) => s[2]),
    legend: { top: 0, itemWidth: 12, itemHeight: 12 },
    tooltip: { trigger: 'axis' },
    grid: grid(),
    xAxis: { type: 'category', data: weekly.map((w) => w.week_start.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: series.map(([k, label]) => ({ name: t(label), type: 'line', smooth: false, data: weekly.map((w) => w[k] ?? 0) })),
  };
}

// A chart's height for n category rows.
export function barsHeight(n) { return Math.max(160, 60 + n * 30); }
