/** Where GitHub lives: github.com or an Enterprise Server (web and REST base URLs). */
export interface GitHubEndpoints {
  /** e.g. https://github.com, or https://ghe.example.com */
  webUrl: string;
  /** e.g. https://api.github.com, or https://ghe.example.com/api/v3 */
  apiUrl: string;
}

const trimSlash = (url: string) => url.replace(/\/+$/, "");

/**
 * Fills in the REST base from the web base when only one is configured (`KLI8NT_GITHUB_URL`,
 * `KLI8NT_GITHUB_API_URL`): github.com pairs with api.github.com, an Enterprise host with `<host>/api/v3`.
 */
export function resolveGitHubEndpoints(
  config: { url?: string | undefined; apiUrl?: string | undefined } = {},
): GitHubEndpoints {
  const webUrl = trimSlash(config.url ?? "https://github.com");
  for (const u of [webUrl, config.apiUrl].filter((x): x is string => x !== undefined)) {
    const protocol = new URL(u).protocol;
    if (protocol !== "https:" && protocol !== "http:") throw new Error(`GitHub URL must be http(s): ${u}`);
  }
  if (config.apiUrl) return { webUrl, apiUrl: trimSlash(config.apiUrl) };
  const host = new URL(webUrl).hostname;
  return { webUrl, apiUrl: host === "github.com" ? "https://api.github.com" : `${webUrl}/api/v3` };
}
