function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** Reads the hidden fields of the consent form, the way a browser would submit them. */
function formFields(html: string): URLSearchParams {
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.set(unescapeHtml(m[1] ?? ""), unescapeHtml(m[2] ?? ""));
  }
  return form;
}

/**
 * Does over HTTP what a user does in the browser: opens the authorize URL, then clicks Authorize (or
 * Cancel). Returns the URL the fake redirected to (the app's callback with `code`+`state`, or an error).
 */
export async function driveConsent(
  webUrl: string,
  authorizeUrl: string,
  opts: { login?: string; deny?: boolean },
): Promise<URL> {
  const page = new URL(authorizeUrl);
  if (opts.login) page.searchParams.set("login", opts.login);
  const shown = await fetch(page, { redirect: "manual" });
  const early = shown.headers.get("location");
  if (early) return new URL(early);
  if (shown.status !== 200) throw new Error(`consent page answered ${shown.status}: ${await shown.text()}`);
  const form = formFields(await shown.text());
  form.set("authorize", opts.deny ? "0" : "1");
  const decided = await fetch(new URL("/login/oauth/authorize", webUrl), {
    method: "POST",
    body: form,
    redirect: "manual",
  });
  const location = decided.headers.get("location");
  if (!location) throw new Error(`consent answered ${decided.status} without a redirect`);
  return new URL(location);
}
