// The answer page's one pure rule: the body it posts from what was
// ticked, or null when there is nothing to send.

// answerBody takes the scores ticked per question (a number 1–5, or
// undefined for none), the comment and the opt-out box.
export function answerBody(picked, n, comment, optOut, lang) {
  const scores = [];
  let given = 0;
  for (let i = 0; i < n; i++) {
    const v = Number(picked[i] || 0);
    const ok = Number.isInteger(v) && v >= 1 && v <= 5;
    scores.push(ok ? v : 0);
    if (ok) given++;
  }
  const text = (comment || '').trim();
  if (given === 0) {
    if (!optOut) return null;
    return { scores: [], comment: '', opt_out: true, lang };
  }
  return { scores, comment: text, opt_out: !!optOut, lang };
}
