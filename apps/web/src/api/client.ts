/** The api's fetch wrapper: JSON in, JSON out, every failure an ApiError built from problem+json. */

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly detail: string;
  readonly errors: readonly FieldIssue[];

  constructor(
    status: number,
    code: string,
    detail: string,
    errors: readonly FieldIssue[] = [],
    cause?: unknown,
  ) {
    super(detail, cause === undefined ? undefined : { cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = errors;
  }
}

/** The route itself is missing: this server does not offer the feature (yet). */
export function isNotAvailable(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.code === "ROUTE_NOT_FOUND";
}

export function isSignedOut(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: "same-origin",
    headers:
      body === undefined
        ? { accept: "application/json" }
        : { accept: "application/json", "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  };
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(
      0,
      "NETWORK",
      "Kli8nt's API did not answer. Check that Kli8nt is running and that you are online, then try again.",
      [],
      error,
    );
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  if (!response.ok) throw toApiError(response.status, text);
  return (text ? JSON.parse(text) : undefined) as T;
}

function toApiError(status: number, text: string): ApiError {
  try {
    const problem = JSON.parse(text) as { code?: unknown; detail?: unknown; errors?: unknown };
    if (typeof problem.code === "string" && typeof problem.detail === "string") {
      const errors = Array.isArray(problem.errors) ? (problem.errors as FieldIssue[]) : [];
      return new ApiError(status, problem.code, problem.detail, errors);
    }
  } catch {
    // Not problem+json (a proxy's error page, say): fall through to a generic error.
  }
  return new ApiError(status, `HTTP_${status}`, `The server answered ${status} without an explanation.`);
}
