// Sites of the admin page (when patrold takes POST /api/v1/sites): the list,
// and the form (name, category, unit, position, address).

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { deleteButton, field, onSubmit } from './forms.js';
import { unitsInScope } from './users.js';

export const CATEGORIES = ['shop', 'eatery', 'inn', 'karaoke', 'internet_cafe', 'beauty_bath', 'workshop', 'school',
  'clinic', 'rental_housing', 'road_junction', 'stairwell', 'square'];

export function renderSites(el, state, sites, { onOpen }) {
  if (!sites.length) {
    el.replaceChildren(h('p', { class: 'empty' }, t('adm.no_sites')));
    return;
  }
  el.replaceChildren(h('ul', { class: 'user-list', id: 'site-list' }, sites.map((s) => h('li', { class: 'user-row', dataset: { siteId: s.id } },
    h('div', { class: 'user-main' }, h('strong', {}, s.name),
      h('span', { class: 'muted' }, [t(`cat.${s.category}`), state.orgName(s.org_unit_id), s.address].filter(Boolean).join(' · '))),
    h('div', { class: 'user-actions' }, h('button', { type: 'button', class: 'secondary small', onclick: () => onOpen(s) }, t('common.edit')))))));
}

export function renderSiteForm(el, state, existing, { onSaved, onDeleted, onCancel }) {
  const name = h('input', { id: 'site-name', maxlength: 200, value: existing?.name ?? '', required: true });
  const category = h('select', { id: 'site-category' },
    CATEGORIES.map((c) => h('option', { value: c, selected: c === existing?.category }, t(`cat.${c}`))));
  const org = h('select', { id: 'site-org' },
    unitsInScope(state).map((o) => h('option', { value: String(o.id), selected: String(o.id) === String(existing?.org_unit_id ?? state.me.org_unit_id) }, o.name)));
  const lat = h('input', { id: 'site-lat', type: 'number', step: 'any', min: -90, max: 90, value: existing?.lat ?? '' });
  const lon = h('input', { id: 'site-lon', type: 'number', step: 'any', min: -180, max: 180, value: existing?.lon ?? '' });
  const address = h('input', { id: 'site-address', maxlength: 500, value: existing?.address ?? '' });
  const error = h('p', { class: 'error', id: 'site-error', role: 'alert' });
  const here = h('button', { type: 'button', class: 'secondary small', onclick: () => {
    navigator.geolocation?.getCurrentPosition((p) => {
      lat.value = p.coords.latitude.toFixed(6);
      lon.value = p.coords.longitude.toFixed(6);
    }, (e) => { error.textContent = e.message; }, { enableHighAccuracy: true, timeout: 15000 });
  } }, `⌖ ${t('adm.here')}`);
  const submit = h('button', { type: 'submit', class: 'primary', id: 'site-save' }, t('common.save'));
  const form = h('form', { class: 'form card', id: 'site-form', novalidate: true },
    h('h2', { class: 'section-title' }, t(existing ? 'adm.edit_site' : 'adm.new_site')),
    h('div', { class: 'field-row' }, field(t('adm.site_name'), name), field(t('adm.category'), category)),
    h('div', { class: 'field-row' }, field(t('adm.org'), org), field(t('adm.address'), address)),
    h('div', { class: 'field-row' }, field(t('adm.lat'), lat), field(t('adm.lon'), lon)),
    navigator.geolocation ? here : null,
    error,
    h('div', { class: 'actions' }, submit,
      h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('common.cancel')),
      existing ? deleteButton('site-delete', t('adm.delete_site'), async () => {
        await api(`/api/v1/sites/${encodeURIComponent(existing.id)}`, { method: 'DELETE' });
        onDeleted(existing);
      }, (msg) => { error.textContent = msg; }) : null));
  onSubmit(form, {
    submit, error,
    labels: () => ({ name: t('adm.site_name'), category: t('adm.category'), org_unit_id: t('adm.org'), lat: t('adm.lat'), lon: t('adm.lon'), position: t('adm.lat'), address: t('adm.address') }),
    method: () => (existing ? 'PUT' : 'POST'),
    path: () => (existing ? `/api/v1/sites/${encodeURIComponent(existing.id)}` : '/api/v1/sites'),
    body: () => ({
      name: name.value.trim(), category: category.value, org_unit_id: org.value,
      lat: lat.value === '' ? undefined : Number(lat.value), lon: lon.value === '' ? undefined : Number(lon.value),
      address: address.value.trim() || undefined,
    }),
    onSaved,
  });
  el.replaceChildren(form);
}
