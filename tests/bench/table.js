// Prints the benchmark results (JSON lines) as the Markdown tables the README quotes.
'use strict';
const fs = require('fs');
const rows = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const f = (x, d = 0) => Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const sqlite = Object.fromEntries(rows.filter((r) => r.bench === 'sqlite_insert').map((r) => [r.batch, r]));
const push = rows.filter((r) => r.bench === 'sync_push');
if (push.length) {
  console.log('\n| sync/push (64 conns) | store | inspections/s durable | p50 ms | p99 ms | errors | plain SQLite rows/s, same batch | server / SQLite |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of push) {
    const s = sqlite[r.batch];
    console.log(`| ${r.batch}-op batches | ${r.store || 'sqlite'} | ${f(r.ops_per_s)} | ${f(r.p50_ms, 1)} | ${f(r.p99_ms, 1)} | ${r.errors} | ${s ? f(s.rows_per_s) : '-'} | ${s ? f(r.ops_per_s / s.rows_per_s, 2) + '×' : '-'} |`);
  }
}
const liveKinds = ['live_idle_memory', 'live_fanout', 'live_ingest'];
const mem = rows.find((r) => r.bench === 'live_idle_memory');
const fan = rows.filter((r) => r.bench === 'live_fanout');
const ing = rows.find((r) => r.bench === 'live_ingest');
if (mem || fan.length) {
  console.log('\n| live feed | viewers | p50 ms | p99 ms | max ms | events delivered / expected | memory per idle connection |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of fan) {
    const kib = r.kib_per_conn ?? (mem && mem.viewers === r.viewers ? mem.kib_per_conn : undefined);
    console.log(`| ${r.server} | ${f(r.viewers)} | ${f(r.p50_ms, 1)} | ${f(r.p99_ms, 1)} | ${f(r.max_ms, 1)} | ${f(r.samples)} / ${f(r.expected)} | ${kib !== undefined ? f(kib, 1) + ' KiB' : '-'} |`);
  }
  if (ing) console.log(`| patrold while ingesting ${f(ing.positions_per_s)} positions/s (other village) | ${f(ing.viewers)} | ${f(ing.p50_ms, 1)} | ${f(ing.p99_ms, 1)} | - | ${f(ing.samples)} probes seen | - |`);
}
const other = rows.filter((r) => r.bench !== 'sync_push' && r.bench !== 'sqlite_insert' && !liveKinds.includes(r.bench));
if (other.length) {
  console.log('\n| benchmark | value | unit | compared with | ratio |');
  console.log('|---|---|---|---|---|');
  for (const r of other) {
    console.log(`| ${r.bench} | ${f(r.value, 3)} | ${r.unit} | ${r.baseline_name ? `${r.baseline_name}: ${f(r.baseline, 3)}` : '-'} | ${r.ratio ? f(r.ratio, 2) + '×' : '-'} |`);
  }
}
