// An ApiError in the user's words: the status says what kind of refusal it
// is, the field (when the server names one) says where. `labels` maps the
// server's field names to the form's labels ({phone: '手机号'}); `detail`
// overrides the explanation (e.g. a hazard transition names both states).

import { t } from './i18n.js';

const PROBLEMS = {
  required: 'problem.required', conflict: 'problem.conflict', not_found: 'problem.not_found',
  out_of_range: 'problem.out_of_range', too_long: 'problem.too_long',
};

export function errorText(e, { labels = {}, detail } = {}) {
  if (!e || typeof e.status !== 'number') return t('error.generic', { message: e?.message ?? String(e) });
  if (e.status === 0) return t('error.network');
  const base = String(e.field ?? '').replace(/\[\d+\].*$/, '').split('.')[0];
  const field = labels[e.field] ?? labels[base];
  const about = field
    ? t('err.field', { field, problem: t(PROBLEMS[e.code] ?? 'problem.invalid') })
    : null;
  const d = detail ?? about ?? e.message ?? e.code;
  if ([403, 409, 422].includes(e.status)) return t(`err.${e.status}`, { detail: d });
  if ([404, 413, 429, 503].includes(e.status)) return t(`err.${e.status}`);
  return t('err.other', { status: e.status, detail: d });
}
