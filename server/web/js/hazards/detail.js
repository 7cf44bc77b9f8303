// One hazard on the board: what and where, deadline and escalation, the
// history with its photos, and the transitions the caller's role may make
// (note, photos uploaded from the browser, assignee and deadline when
// assigning). The server decides: a 403 or 409 is shown in the user's words.

import { api, uploadPhoto } from '../api.js';
import { h } from '../dom.js';
import { age, clock, currentLang, t, timeZone } from '../i18n.js';
import { errorText } from '../errors.js';
import { photos } from '../map/detail.js';
import { nextStates } from '../roles.js';

function row(label, ...value) {
  return h('div', { class: 'kv' }, h('span', { class: 'k' }, label), h('span', { class: 'v' }, ...value));
}

// "2026-12-01T18:00" typed in the patrols' zone -> RFC 3339.
function deadlineOf(local) {
  if (!local) return undefined;
  if (timeZone() === 'Asia/Shanghai') return `${local}:00+08:00`;
  return new Date(local).toISOString();
}

function actionKey(from, to) {
  return from === 'rectified' && to === 'assigned' ? 'hz.do.reassign' : `hz.do.${to}`;
}

// ctx: {state, me, users (Map id -> user) , onChanged(hazard)}
export async function renderHazard(el, id, ctx) {
  const { state, me } = ctx;
  el.replaceChildren(h('p', { class: 'muted' }, t('common.loading')));
  let hz;
  try {
    hz = await api(`/api/v1/hazards/${encodeURIComponent(id)}`);
  } catch (e) {
    el.replaceChildren(h('p', { class: 'page-error' }, errorText(e)));
    return;
  }
  const lang = currentLang();
  const site = state.sites.get(hz.site_id);
  const name = (u) => ctx.users.get(u)?.name || state.userName(u) || u;
  const notice = h('p', { class: 'notice', role: 'status', hidden: true });
  const error = h('p', { class: 'error', id: 'hz-error', role: 'alert' });
  const formHost = h('div', { class: 'hz-form-host' });

  const buttons = nextStates(hz.state, me.role).map((to) => h('button', {
    // the step forward stands out; sending back does not
    type: 'button', class: hz.state === 'rectified' && to === 'assigned' ? 'secondary' : 'primary',
    dataset: { to }, id: `hz-do-${to}`, onclick: () => openForm(to),
  }, t(actionKey(hz.state, to))));

  function openForm(to) {
    error.textContent = '';
    const assign = to === 'assigned';
    const note = h('textarea', { id: 'hz-note', maxlength: 4000, placeholder: t('hz.note_ph') });
    // the native file button speaks the browser's language: ours speaks the user's
    const files = h('input', { id: 'hz-photos', type: 'file', accept: 'image/*', multiple: true, capture: 'environment', class: 'visually-hidden' });
    const chosen = h('span', { class: 'file-names muted' });
    files.addEventListener('change', () => { chosen.textContent = [...files.files].map((f) => f.name).join('、'); });
    const assignee = assign ? h('select', { id: 'hz-assignee', required: true },
      h('option', { value: '' }, t('hz.pick_assignee')),
      [...ctx.users.values()].filter((u) => !u.disabled).map((u) => h('option', { value: u.id, selected: u.id === hz.assignee_id }, `${u.name} · ${t(`role.${u.role}`)}`)))
      : null;
    const deadline = assign ? h('input', { id: 'hz-deadline', type: 'datetime-local' }) : null;
    const submit = h('button', { type: 'submit', class: 'primary', id: 'hz-submit' }, t('hz.submit', { action: t(actionKey(hz.state, to)) }));
    const form = h('form', { class: 'form hz-form', id: 'hz-form', dataset: { to }, novalidate: true },
      assign ? h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('hz.assignee')), assignee) : null,
      assign ? h('label', { class: 'field' }, h('span', { class: 'field-label' }, `${t('hz.deadline')}（${t('hz.deadline_default')}）`), deadline) : null,
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('hz.note')), note),
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('hz.photos')),
        h('label', { class: 'file-btn' }, files, h('span', { class: 'secondary file-face' }, `📷 ${t('hz.add_photos')}`), chosen)),
      h('div', { class: 'actions' }, submit,
        h('button', { type: 'button', class: 'secondary', onclick: () => formHost.replaceChildren() }, t('common.cancel'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      submit.disabled = true;
      try {
        const shas = [];
        const list = [...files.files];
        for (let i = 0; i < list.length; i++) {
          notice.hidden = false;
          notice.textContent = t('hz.uploading', { i: i + 1, n: list.length });
          shas.push(await uploadPhoto(list[i]));
        }
        const body = { to, note: note.value.trim() || undefined, photos: shas.length ? shas : undefined };
        if (assign) {
          body.assignee_id = assignee.value || undefined;
          body.deadline = deadlineOf(deadline.value);
        }
        const out = await api(`/api/v1/hazards/${encodeURIComponent(hz.id)}/transitions`, { method: 'POST', body });
        ctx.onChanged(out);
        await renderHazard(el, hz.id, ctx);
        const n = el.querySelector('.notice');
        if (n) { n.hidden = false; n.textContent = t('hz.done', { state: t(`hazard.${out.state}`) }); }
      } catch (e) {
        notice.hidden = true;
        submit.disabled = false;
        const from = t(`hazard.${hz.state}`);
        let detail;
        if (e.status === 409 && e.code === 'invalid_transition') {
          // someone moved it meanwhile: show where it is now
          const now = await api(`/api/v1/hazards/${encodeURIComponent(hz.id)}`).catch(() => null);
          if (now) ctx.onChanged(now);
          detail = t('hz.err_409', { from: t(`hazard.${now?.state ?? hz.state}`), to: t(`hazard.${to}`) });
          const msg = errorText(e, { detail });
          await renderHazard(el, hz.id, ctx);
          const err = el.querySelector('#hz-error');
          if (err) err.textContent = msg;
          return;
        }
        if (e.status === 403) detail = t('hz.err_403', { role: t(`role.${me.role}`), from, to: t(`hazard.${to}`) });
        error.textContent = errorText(e, { detail, labels: { assignee_id: t('hz.assignee'), deadline: t('hz.deadline'), note: t('hz.note'), photos: t('hz.photos') } });
      }
    });
    formHost.replaceChildren(form);
    (assignee ?? note).focus();
  }

  const history = hz.history ?? [];
  el.replaceChildren(h('div', { class: `detail hz-detail state-${hz.state}`, dataset: { id: hz.id, state: hz.state } },
    h('h2', { class: 'detail-title' }, state.itemLabel(hz.item_code, lang)),
    notice,
    row(t('detail.state'), h('span', { class: `chip hazard-state-${hz.state}`, id: 'hz-state-chip' }, t(`hazard.${hz.state}`)),
      hz.overdue ? h('span', { class: 'chip overdue' }, t('detail.overdue')) : null,
      hz.escalation && hz.escalation !== 'village' ? h('span', { class: `chip esc esc-${hz.escalation}` }, t(`hz.esc.${hz.escalation}`)) : null),
    row(t('hz.site'), site?.name ?? hz.site_id, site ? ` · ${t(`cat.${site.category}`)}` : ''),
    row(t('hz.village'), state.orgChain(hz.org_unit_id).slice(1).map((o) => o.name).join(' › ')),
    row(t('detail.severity'), t(`severity.${hz.severity}`)),
    row(t('hz.assignee'), hz.assignee_id ? name(hz.assignee_id) : t('hz.unassigned')),
    hz.deadline ? row(t('hz.deadline'), clock(hz.deadline)) : null,
    row(t('detail.occurrences'), String(hz.occurrences ?? 1)),
    row(t('detail.first_found'), clock(hz.first_found_at)),
    row(t('detail.last_found'), clock(hz.last_found_at), ` (${age(hz.last_found_at)})`),
    hz.note ? row(t('detail.note'), hz.note) : null,
    h('h3', {}, t('hz.actions')),
    buttons.length ? h('div', { class: 'actions hz-actions' }, buttons) : h('p', { class: 'muted' }, t('hz.no_actions')),
    error,
    formHost,
    h('h3', {}, t('detail.history')),
    history.length
      ? h('ol', { class: 'history', id: 'hz-history' }, history.map((x) => h('li', { dataset: { to: x.to } },
        h('div', {}, h('strong', {}, `${x.from ? t(`hazard.${x.from}`) : '—'} → ${t(`hazard.${x.to}`)}`),
          ` · ${clock(x.at)} · ${name(x.by)}`),
        x.note ? h('div', { class: 'item-note' }, x.note) : null,
        photos(x.photos))))
      : h('p', { class: 'muted' }, t('detail.no_history'))));
}
