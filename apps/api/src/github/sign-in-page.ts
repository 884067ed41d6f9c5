const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small page for a refused sign-in: what happened, and a link to start again. */
export function signInRefusedPage(code: string, detail: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in failed · Kli8nt</title></head>
<body>
  <h1>Sign-in with GitHub did not complete</h1>
  <p id="detail">${escapeHtml(detail)}</p>
  <p><code id="code">${escapeHtml(code)}</code></p>
  <p><a href="/auth/github">Sign in with GitHub again</a></p>
</body></html>`;
}
