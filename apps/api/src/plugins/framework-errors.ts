import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { problemType, sendProblem } from "./problem-json.ts";

/** What Fastify's router refuses before any route or hook runs, renamed to our codes (ADR 0004). */
const ROUTER_ERRORS: Readonly<Record<string, { status: number; code: string; detail: string }>> = {
  FST_ERR_BAD_URL: {
    status: 400,
    code: "URL_MALFORMED",
    detail: "The URL is not valid: a percent-encoded part does not decode to UTF-8",
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: "URI_TOO_LONG",
    detail: "A part of the URL is longer than any name or id Kli8nt uses (100 characters at most)",
  },
};

/** Fastify's `frameworkErrors`: router-level failures leave as problem+json like every other error. */
export function onFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const known = ROUTER_ERRORS[error.code];
  if (known) return sendProblem(reply, request, known.status, known.code, known.detail);
  request.log.error({ err: error }, "Request failed in the router");
  return sendProblem(reply, request, 500, "INTERNAL", "Something went wrong on our side; it has been logged");
}

/** A request line this long cannot be headers: the overflow was the URI. */
const LONG_REQUEST_LINE = 2048;

function clientProblem(err: NodeJS.ErrnoException & { rawPacket?: Buffer }) {
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return { status: 408, code: "REQUEST_TIMEOUT", detail: "The request was not received in time" };
  }
  if (err.code === "HPE_HEADER_OVERFLOW") {
    const lineEnd = err.rawPacket?.indexOf("\r\n") ?? -1;
    return lineEnd === -1 || lineEnd > LONG_REQUEST_LINE
      ? {
          status: 414,
          code: "URI_TOO_LONG",
          detail: "The URL is longer than the server accepts; send less in the query",
        }
      : {
          status: 431,
          code: "HEADERS_TOO_LARGE",
          detail: "The request headers are larger than the server accepts",
        };
  }
  return { status: 400, code: "REQUEST_MALFORMED", detail: "The request is not valid HTTP/1.1" };
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (an overlong request line or headers,
 * bytes that are not HTTP) never reaches Fastify's error handler, so it is written to the socket here, as
 * problem+json like every other error, then the connection is closed.
 */
export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const { status, code, detail } = clientProblem(err);
  const body = JSON.stringify({
    type: problemType(code),
    title: STATUS_CODES[status] ?? "Error",
    status,
    detail,
    instance: "/",
    code,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
