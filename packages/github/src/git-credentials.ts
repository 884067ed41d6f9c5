/** A git invocation: pass `args` to `git` and merge `env` over the child's environment. */
export interface GitCommand {
  args: string[];
  env: Record<string, string>;
}

function checkCloneUrl(cloneUrl: string): URL {
  const url = new URL(cloneUrl);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("clone URL must be http(s)");
  // Credentials in the URL would land in .git/config, process listings and logs.
  if (url.username !== "" || url.password !== "") throw new Error("clone URL must not carry credentials");
  return url;
}

/**
 * Environment that makes git send the token as an HTTP header to the clone URL's origin only, through
 * git's environment config (GIT_CONFIG_COUNT/KEY/VALUE): the token never appears in argv, in the URL,
 * or in the cloned repository's .git/config. Existing GIT_CONFIG_* entries in `baseEnv` are kept.
 */
export function gitAuthEnv(
  cloneUrl: string,
  token: string,
  baseEnv: Record<string, string | undefined> = {},
) {
  const url = checkCloneUrl(cloneUrl);
  if (!/^[\w.-]+$/.test(token)) throw new Error("token has unexpected characters");
  const index = Number(baseEnv.GIT_CONFIG_COUNT ?? 0) || 0;
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    GIT_CONFIG_COUNT: String(index + 1),
    [`GIT_CONFIG_KEY_${index}`]: `http.${url.origin}/.extraHeader`,
    [`GIT_CONFIG_VALUE_${index}`]: `Authorization: Basic ${basic}`,
    // Fail instead of prompting when the token is refused.
    GIT_TERMINAL_PROMPT: "0",
  } satisfies Record<string, string>;
}

/**
 * `git clone` of one branch (shallow by default) with the token supplied as in `gitAuthEnv`.
 * Run it as `spawn("git", cmd.args, { env: { ...process.env, ...cmd.env } })`.
 */
export function gitCloneCommand(opts: {
  cloneUrl: string;
  token?: string;
  dest: string;
  branch?: string;
  depth?: number;
  baseEnv?: Record<string, string | undefined>;
}): GitCommand {
  checkCloneUrl(opts.cloneUrl);
  const args = ["clone", "--quiet", "--no-tags", "--single-branch"];
  if (opts.depth !== 0) args.push("--depth", String(opts.depth ?? 1));
  if (opts.branch) args.push("--branch", opts.branch);
  args.push("--", opts.cloneUrl, opts.dest);
  const env = opts.token ? gitAuthEnv(opts.cloneUrl, opts.token, opts.baseEnv) : { GIT_TERMINAL_PROMPT: "0" };
  return { args, env };
}
