/** A thin client of the Kli8nt REST API; problem+json answers become CliErrors with the server's detail. */
export class CliError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(message: string, code = "CLI_ERROR", status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export interface Credentials {
  readonly url: string;
  readonly token: string;
}

export interface ApiClient {
  readonly credentials: Credentials;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** ws:// URL of a path, for the log stream. */
  wsUrl(path: string): string;
}

export function createApiClient(credentials: Credentials, fetchImpl: typeof fetch = fetch): ApiClient {
  const base = credentials.url.replace(/\/+$/, "");
  const send = async (method: string, path: string, body: unknown): Promise<Response> => {
    try {
      return await fetchImpl(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${credentials.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new CliError(
        `Cannot reach Kli8nt at ${base}: ${(cause as Error).message}. Is it running?`,
        "UNREACHABLE",
      );
    }
  };
  return {
    credentials,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await send(method, path, body);
      if (response.status === 204) return undefined as T;
      const text = await response.text();
      const json = text ? safeJson(text) : undefined;
      if (response.ok) return json as T;
      const problem = json as { detail?: string; code?: string } | undefined;
      throw new CliError(
        problem?.detail ?? `${method} ${path} answered ${response.status}`,
        problem?.code,
        response.status,
      );
    },
    wsUrl(path: string): string {
      return `${base.replace(/^http/, "ws")}${path}`;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
