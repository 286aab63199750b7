// Reply templates: the texts customer service and the counters answer
// complaints from. Head office creates one, edits it (the outlets take the
// new text on their next sync) and withdraws one that should no longer be
// used; the list pages and exports as every list does.

import { h, written, field, select, button, showError, showInfo, clearError } from '../dom.js';
import { label } from '../i18n.js';
import { listView } from '../list.js';
import { codes, prefix } from '../vocab.js';

export const ROLES = ['admin', 'service', 'emergency'];
// EDITORS may create, edit and withdraw templates (the hub's role table).
export const EDITORS = ['admin', 'emergency'];

// keywordList reads the keywords field: words separated by commas (either
// width) or spaces, blanks and repeats dropped.
export function keywordList(s) {
  return [...new Set(String(s || '').split(/[,，、\s]+/).map((w) => w.trim()).filter(Boolean))];
}

// templateBody is what POST and PUT take, or null with the missing field.
export function templateBody(title, text, category, keywords) {
  const b = { title: String(title || '').trim(), text: String(text || '').trim(), category: category || '', keywords: keywordList(keywords) };
  return b.title && b.text ? b : null;
}

// form is the create or edit form, filled from x when editing.
function form(ctx, x, save) {
  const { t } = ctx;
  const title = h('input', { name: 'title', value: x?.title || '', size: 30 });
  const text = h('textarea', { name: 'text', rows: 4 }, x?.text || '');
  const cat = select('category', codes('complaintCategory'), (c) => label(prefix('complaintCategory'), c), x?.category || '', t('tpl.anyCategory'));
  const kw = h('input', { name: 'keywords', value: (x?.keywords || []).join(', '), size: 30 });
  const go = button(x ? t('tpl.save') : t('tpl.create'), async () => {
    const body = templateBody(title.value, text.value, cat.value, kw.value);
    if (!body) { showError(t('tpl.missing')); return; }
    await save(body);
  }, 'btn btn-primary');
  go.dataset.tpl = x ? 'save' : 'create';
  return h('div', { class: 'step-form', 'data-tpl-form': x ? x.id : 'new' },
    h('div', { class: 'form-grid' }, field(t('tpl.title'), title), field(t('tpl.category'), cat), field(t('tpl.keywords'), kw)),
    field(t('tpl.text'), text), h('div', { class: 'form-row' }, go));
}

export const page = {
  id: 'templates',
  path: '/templates',
  roles: ROLES,
  nav: 'nav.templates',
  reads: ['GET /api/v1/reply-templates'],
  acts: { roles: EDITORS, routes: ['POST /api/v1/reply-templates', 'PUT /api/v1/reply-templates/{id}', 'POST /api/v1/reply-templates/{id}/withdraw'] },
  render(ctx) {
    const { t } = ctx;
    const canEdit = EDITORS.includes(ctx.account.role);
    const editing = h('div', {});
    let list;
    const done = async (msg) => { clearError(); showInfo(msg); editing.replaceChildren(); await list.reload(); };
    const columns = [
      { label: 'tpl.title', cell: (x) => [written('strong', {}, x.title), x.withdrawn ? [' ', h('span', { class: 'tag tag-bad' }, t('tpl.withdrawn'))] : null] },
      { label: 'tpl.category', cell: (x) => (x.category ? label('cat.', x.category) : t('tpl.anyCategory')) },
      { label: 'tpl.col.keywords', cell: (x) => written('span', {}, (x.keywords || []).join(', ')) },
      { label: 'tpl.text', cell: (x) => written('span', { class: 'tpl-text' }, x.text) },
    ];
    if (canEdit) {
      columns.push({ label: 'tpl.actions', cell: (x) => (x.withdrawn ? '' : [
        h('button', { type: 'button', class: 'btn', 'data-tpl-edit': x.id, onclick: () => {
          editing.replaceChildren(h('h2', {}, t('tpl.editing')), form(ctx, x, async (body) => {
            await ctx.api.put('/api/v1/reply-templates/' + encodeURIComponent(x.id), body);
            await done(t('tpl.saved'));
          }));
          editing.scrollIntoView?.();
        } }, t('tpl.edit')), ' ',
        button(t('tpl.withdraw'), async () => {
          await ctx.api.post('/api/v1/reply-templates/' + encodeURIComponent(x.id) + '/withdraw', {});
          await done(t('tpl.withdrawnDone'));
        }, 'btn btn-danger'),
      ]) });
    }
    list = listView(ctx, { path: '/api/v1/reply-templates', key: 'templates', columns });
    const create = canEdit ? h('details', { class: 'panel' }, h('summary', {}, t('tpl.new')), form(ctx, null, async (body) => {
      await ctx.api.post('/api/v1/reply-templates', body);
      await done(t('tpl.created'));
    })) : null;
    return { node: h('div', {}, h('h1', {}, t('tpl.heading')), create, editing, list.node), dispose: list.dispose };
  },
};
