// Calendar dates ("YYYY-MM-DD") in the patrols' time zone, and ISO weeks.
// Plain strings, so no browser time zone can shift a day.

import { locale, timeZone } from './i18n.js';

// Today (or the day of instant ms) in the zone.
export function dateIn(ms = Date.now(), tz = timeZone()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(ms));
}

const toUtc = (d) => Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10));
const fromUtc = (ms) => new Date(ms).toISOString().slice(0, 10);

export function addDays(d, n) { return fromUtc(toUtc(d) + n * 86400000); }

// ISO weekday, 1 = Monday.
export function isoWeekday(d) { return ((new Date(toUtc(d)).getUTCDay() + 6) % 7) + 1; }

// The Monday of d's week.
export function weekStart(d) { return addDays(d, 1 - isoWeekday(d)); }

export const isDate = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s ?? '') && !Number.isNaN(toUtc(s));

// "11月30日 周一" / "Mon 30 Nov" for a date string.
export function dayLabel(d, opts = { month: 'short', day: 'numeric', weekday: 'short' }) {
  return new Date(toUtc(d)).toLocaleDateString(locale(), { ...opts, timeZone: 'UTC' });
}

// "19:05" of an instant in the zone.
export function hhmm(when) {
  const dt = new Date(when);
  if (Number.isNaN(dt.getTime())) return '';
  return dt.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: timeZone() });
}
