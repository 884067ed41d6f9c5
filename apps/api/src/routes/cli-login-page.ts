const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Kli8nt</title></head>
<body>
${body}
</body></html>`;

/** Asks the signed-in user to confirm; a plain form (no script: the dashboard's CSP allows none inline). */
export function cliLoginConfirmPage(input: {
  login: string;
  port: number;
  state: string;
  host: string;
}): string {
  return page(
    "Log in the CLI",
    `  <h1>Log in the Kli8nt CLI?</h1>
  <p>A <code>kli8nt login</code> on <strong id="host">${escapeHtml(input.host)}</strong> asks for an API token for
  <strong id="login">${escapeHtml(input.login)}</strong>. It will be sent to the CLI waiting at
  <code>http://127.0.0.1:${input.port}</code> on your computer.</p>
  <p>Only continue if you just ran <code>kli8nt login</code> yourself.</p>
  <form method="post" action="/auth/cli">
    <input type="hidden" name="port" value="${input.port}">
    <input type="hidden" name="state" value="${escapeHtml(input.state)}">
    <input type="hidden" name="host" value="${escapeHtml(input.host)}">
    <button type="submit" id="approve">Create a token for the CLI</button>
  </form>
  <p><a href="/">Cancel</a></p>`,
  );
}

/** Not signed in: the confirm page needs the session, so sign in first and come back. */
export function cliLoginSignInPage(returnTo: string): string {
  return page(
    "Sign in first",
    `  <h1>Sign in to Kli8nt first</h1>
  <p>Sign in in this browser, then open this page again to log in the CLI:</p>
  <p><a id="again" href="${escapeHtml(returnTo)}">${escapeHtml(returnTo)}</a></p>
  <p><a href="/">Sign in</a></p>`,
  );
}
