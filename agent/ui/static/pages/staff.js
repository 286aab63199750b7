// Staff (员工): a supervisor adds staff, disables and enables them, unlocks
// an id locked by wrong PINs and sets a new PIN, while the counter runs.
// The agent checks the role on every request; the page only spares a clerk
// buttons that would be refused.

import { h, field, written, showError, clearError, showInfo } from '../dom.js';
import { t, label } from '../i18n.js';
import { api, currentStaff } from '../api.js';
import { fmtClock } from '../format.js';

export function renderStaff(root) {
  if (currentStaff()?.role !== 'supervisor') {
    root.append(h('section', { class: 'panel' }, h('h1', {}, t('stf.title')), h('p', { class: 'muted', id: 'stf-refused' }, t('stf.supervisorOnly'))));
    return;
  }
  const id = h('input', { id: 'stf-id', autocomplete: 'off', spellcheck: 'false' });
  const name = h('input', { id: 'stf-name', autocomplete: 'off' });
  const role = h('select', { id: 'stf-role' }, ['clerk', 'supervisor'].map((r) => h('option', { value: r }, label('role.', r))));
  const pin = h('input', { id: 'stf-pin', type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8' });
  const add = h('button', { type: 'button', class: 'btn btn-primary', id: 'stf-add' }, t('stf.add'));
  const list = h('ul', { class: 'list cards', id: 'stf-list' }, h('li', { class: 'muted' }, t('loading')));

  async function load() {
    try {
      const res = await api('GET', '/api/v1/staff');
      draw(res.staff || []);
    } catch (err) {
      list.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  // act runs one change and redraws, saying what was done.
  async function act(button, method, path, body, done) {
    button.disabled = true;
    try {
      await api(method, path, body);
      clearError();
      showInfo(done);
      await load();
    } catch (err) {
      showError(err);
      button.disabled = false;
    }
  }

  function draw(all) {
    const me = currentStaff()?.id;
    list.replaceChildren(...all.map((m) => {
      const path = '/api/v1/staff/' + encodeURIComponent(m.id);
      const locked = Boolean(m.locked_until);
      const status = m.disabled ? t('stf.disabled') : locked ? t('stf.locked', { until: fmtClock(m.locked_until) }) : t('stf.active');
      const toggle = h('button', { type: 'button', class: 'btn btn-small' + (m.disabled ? '' : ' btn-danger-ghost'), 'data-act': m.disabled ? 'enable' : 'disable',
        // Disabling yourself would end this very session.
        disabled: m.id === me },
      m.disabled ? t('stf.enable') : t('stf.disable'));
      toggle.addEventListener('click', () => act(toggle, 'POST', path + (m.disabled ? '/enable' : '/disable'), undefined,
        t(m.disabled ? 'stf.enabled' : 'stf.disabledDone', { id: m.id })));
      const unlock = locked ? h('button', { type: 'button', class: 'btn btn-small', 'data-act': 'unlock' }, t('stf.unlock')) : null;
      unlock?.addEventListener('click', () => act(unlock, 'POST', path + '/unlock', undefined, t('stf.unlocked', { id: m.id })));
      const newPIN = h('input', { type: 'password', class: 'stf-newpin', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8', placeholder: t('stf.newPIN') });
      const setPIN = h('button', { type: 'button', class: 'btn btn-small', 'data-act': 'pin' }, t('stf.setPIN'));
      setPIN.addEventListener('click', () => act(setPIN, 'PUT', path + '/pin', { pin: newPIN.value }, t('stf.pinSet', { id: m.id })));
      return h('li', { class: 'item', 'data-id': m.id, 'data-status': m.disabled ? 'disabled' : locked ? 'locked' : 'active' },
        h('span', { class: 'item-code' }, m.id),
        written('span', { class: 'item-main grow' }, m.name),
        h('span', { class: 'item-sub' }, label('role.', m.role)),
        h('span', { class: 'tag' + (m.disabled || locked ? ' tag-major' : ''), 'data-role': 'status' }, status),
        toggle, unlock, newPIN, setPIN);
    }));
  }

  add.addEventListener('click', async () => {
    add.disabled = true;
    try {
      await api('POST', '/api/v1/staff', { id: id.value.trim(), name: name.value.trim(), role: role.value, pin: pin.value });
      clearError();
      showInfo(t('stf.added', { id: id.value.trim().toLowerCase() }));
      id.value = name.value = pin.value = '';
      await load();
    } catch (err) {
      showError(err);
    } finally {
      add.disabled = false;
    }
  });

  root.append(h('div', { class: 'split split-even' },
    h('section', { class: 'panel' }, h('h1', {}, t('stf.title')), list),
    h('section', { class: 'panel side' }, h('h2', {}, t('stf.new')),
      field(t('login.staff'), id), field(t('stf.name'), name), field(t('stf.role'), role), field(t('login.pin'), pin),
      h('p', { class: 'muted small' }, t('stf.pinHint')), add)));
  load();
}
