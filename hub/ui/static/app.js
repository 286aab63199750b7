// Head office's screen's entry, the one script index.html loads as a module.
// It loads the rest with a dynamic import so that a module that fails to
// arrive (a hub restarting) is noticed: the page says so and reloads,
// instead of staying on "loading" for good. The words are in both languages
// because the dictionaries are among what did not arrive.
import('./main.js').then((m) => m.start(), (err) => {
  console.error(err);
  const page = document.getElementById('page');
  if (page) page.textContent = '页面加载失败，正在重试… / The screen did not load; retrying…';
  setTimeout(() => location.reload(), 3000);
});
