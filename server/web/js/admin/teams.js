// Teams of the admin page (when patrold has /api/v1/teams): the list, and the
// form (name, unit, leader, members). Members are users of the team's area.

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { deleteButton, field, onSubmit } from './forms.js';
import { unitsInScope } from './users.js';

export function renderTeams(el, state, teams, { onOpen }) {
  if (!teams.length) {
    el.replaceChildren(h('p', { class: 'empty' }, t('adm.no_teams')));
    return;
  }
  el.replaceChildren(h('ul', { class: 'user-list', id: 'team-list' }, teams.map((x) => {
    const leader = x.members?.find((m) => m.role === 'leader');
    return h('li', { class: 'user-row', dataset: { teamId: x.id } },
      h('div', { class: 'user-main' }, h('strong', {}, x.name),
        h('span', { class: 'muted' }, [state.orgName(x.org_unit_id), leader ? `${t('adm.leader')}：${leader.name}` : null,
          t('adm.members_n', { n: x.members?.length ?? 0 })].filter(Boolean).join(' · '))),
      h('div', { class: 'user-actions' }, h('button', { type: 'button', class: 'secondary small', onclick: () => onOpen(x) }, t('common.edit'))));
  })));
}

// existing: a team or null; users: the area's users (for leader and members).
export function renderTeamForm(el, state, existing, users, { onSaved, onDeleted, onCancel }) {
  const name = h('input', { id: 'team-name', maxlength: 100, value: existing?.name ?? '', required: true });
  const org = h('select', { id: 'team-org', disabled: !!existing },
    unitsInScope(state).map((o) => h('option', { value: String(o.id), selected: String(o.id) === String(existing?.org_unit_id ?? state.me.org_unit_id) }, o.name)));
  const active = users.filter((u) => !u.disabled);
  const memberIds = new Set((existing?.members ?? []).map((m) => m.user_id));
  const leaderId = existing?.members?.find((m) => m.role === 'leader')?.user_id ?? existing?.leader_id ?? '';
  const leader = h('select', { id: 'team-leader' }, h('option', { value: '' }, t('adm.no_leader')),
    active.map((u) => h('option', { value: u.id, selected: u.id === leaderId }, `${u.name} · ${t(`role.${u.role}`)}`)));
  const members = h('div', { class: 'member-picks', id: 'team-members' }, active.map((u) => h('label', { class: 'check-chip' },
    h('input', { type: 'checkbox', value: u.id, checked: memberIds.has(u.id) }), h('span', {}, u.name))));
  const error = h('p', { class: 'error', id: 'team-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'team-save' }, t('common.save'));
  const form = h('form', { class: 'form card', id: 'team-form', novalidate: true },
    h('h2', { class: 'section-title' }, t(existing ? 'adm.edit_team' : 'adm.new_team')),
    h('div', { class: 'field-row' }, field(t('adm.team_name'), name), field(t('adm.org'), org)),
    field(t('adm.leader'), leader),
    h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('adm.members')), members),
    error,
    h('div', { class: 'actions' }, submit,
      h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('common.cancel')),
      existing ? deleteButton('team-delete', t('adm.delete_team'), async () => {
        await api(`/api/v1/teams/${encodeURIComponent(existing.id)}`, { method: 'DELETE' });
        onDeleted(existing);
      }, (msg) => { error.textContent = msg; }) : null));
  onSubmit(form, {
    submit, error,
    labels: () => ({ name: t('adm.team_name'), org_unit_id: t('adm.org'), leader_id: t('adm.leader'), members: t('adm.members') }),
    method: () => (existing ? 'PUT' : 'POST'),
    path: () => (existing ? `/api/v1/teams/${encodeURIComponent(existing.id)}` : '/api/v1/teams'),
    body: () => {
      const b = {
        name: name.value.trim(), leader_id: leader.value || null,
        members: [...members.querySelectorAll('input:checked')].map((x) => x.value),
      };
      if (!existing) b.org_unit_id = org.value;
      return b;
    },
    onSaved,
  });
  el.replaceChildren(form);
}
