// The answer page: posts the ticked scores as JSON to its own address,
// then shows the hub's page for the used link (thanks).
import { answerBody } from './answer.js';

const form = document.getElementById('survey');
const show = (id) => {
  for (const m of form.querySelectorAll('.msg')) m.hidden = m.id !== id;
};
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const n = Number(form.dataset.questions);
  const picked = [];
  for (let i = 0; i < n; i++) {
    const r = form.querySelector(`input[name="q${i}"]:checked`);
    picked.push(r ? r.value : undefined);
  }
  const comment = form.elements.comment ? form.elements.comment.value : '';
  const optOut = form.elements.opt_out.checked;
  const body = answerBody(picked, n, comment, optOut, form.dataset.lang);
  if (!body) return show('need');
  const button = document.getElementById('send');
  button.disabled = true;
  try {
    const res = await fetch(location.pathname, {
      method: 'POST', credentials: 'omit',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    if (res.status === 429) return show('busy');
    if (res.status === 400) return show('need');
    const q = new URLSearchParams({ lang: form.dataset.lang, done: '1' });
    if (body.opt_out) q.set('out', '1');
    location.replace(`${location.pathname}?${q}`);
  } catch {
    show('failed');
  } finally {
    button.disabled = false;
  }
});
