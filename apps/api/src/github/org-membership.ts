import { UnavailableError } from "@kli8nt/core";

/**
 * Whether `login` is a member of `org`, asked with the user's own token (`GET /orgs/{org}/members/{user}`):
 * 204 yes; 404, or a 302 to the public-members check (the caller is outside the org), no. A member sees
 * their own private membership this way with the `repo` scope we already hold, without `read:org`.
 */
export async function isOrgMember(
  apiUrl: string,
  token: string,
  org: string,
  login: string,
): Promise<boolean> {
  const url = `${apiUrl}/orgs/${encodeURIComponent(org)}/members/${encodeURIComponent(login)}`;
  let res: Response;
  try {
    res = await fetch(url, {
      redirect: "manual",
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": "kli8nt",
      },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new UnavailableError(
      "GITHUB_UNREACHABLE",
      "GitHub could not be reached to check your organization membership; try again",
      { cause: err },
    );
  }
  await res.body?.cancel();
  if (res.status === 204) return true;
  if (res.status === 404 || res.status === 302) return false;
  throw new UnavailableError(
    "GITHUB_UNAVAILABLE",
    `GitHub answered ${res.status} when checking membership of ${org}; try again in a moment`,
  );
}
