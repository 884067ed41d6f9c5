import { type FieldIssue, httpStatusOf, isKli8ntError } from "@kli8nt/core";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { safePath } from "../safe-path.ts";

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: string;
  readonly errors?: readonly FieldIssue[];
}

const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Fastify's own client errors, renamed to our codes with a detail a user can act on. */
const FASTIFY_CODES: Readonly<Record<string, { code: string; detail?: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "BODY_MALFORMED", detail: "The request body is not valid JSON" },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: "BODY_MALFORMED",
    detail: "The request body is empty; send a JSON object",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "BODY_TOO_LARGE", detail: "The request body is larger than allowed" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: "MEDIA_TYPE_UNSUPPORTED",
    detail: "Send the body as application/json",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: "BODY_MALFORMED",
    detail: "Content-Length does not match the body",
  },
};

const MAX_SEGMENT = 100;
const OVERLONG_DETAIL =
  "A part of the URL is longer than any name or id Kli8nt uses (100 characters at most)";

function hasOverlongSegment(url: string): boolean {
  return (url.split("?")[0] ?? "").split("/").some((segment) => segment.length > MAX_SEGMENT);
}

export function problemType(code: string): string {
  return `https://kli8nt.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`;
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  code: string,
  detail: string,
  errors?: readonly FieldIssue[],
): FastifyReply {
  const problem: Problem = {
    type: problemType(code),
    title: TITLES[status] ?? "Error",
    status,
    detail,
    instance: safePath(request.url),
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
  return reply.code(status).type("application/problem+json; charset=utf-8").send(problem);
}

/** Every error leaves the api as application/problem+json; unknown ones as a generic 500, logged. */
export function installProblemJson(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isKli8ntError(error)) {
      const status = httpStatusOf(error.kind);
      if (status >= 500) request.log.error({ err: error }, "Request failed");
      return sendProblem(reply, request, status, error.code, error.message, error.issues);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = error.validation.map((v) => ({
        path: [error.validationContext, v.instancePath.replace(/^\//, "").replaceAll("/", ".")]
          .filter(Boolean)
          .join("."),
        message: v.message ?? "is invalid",
      }));
      const detail = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
      return sendProblem(reply, request, 400, "INPUT_INVALID", detail, errors);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const known = FASTIFY_CODES[error.code];
      return sendProblem(
        reply,
        request,
        status,
        known?.code ?? "REQUEST_INVALID",
        known?.detail ?? error.message,
      );
    }
    request.log.error({ err: error }, "Request failed");
    return sendProblem(
      reply,
      request,
      500,
      "INTERNAL",
      "Something went wrong on our side; it has been logged",
    );
  });

  app.setNotFoundHandler((request, reply) => {
    // The router skips a route whose parameter is over its 100-character limit: say so, not "no route".
    if (hasOverlongSegment(request.url)) {
      return sendProblem(reply, request, 414, "URI_TOO_LONG", OVERLONG_DETAIL);
    }
    return sendProblem(
      reply,
      request,
      404,
      "ROUTE_NOT_FOUND",
      `No route for ${request.method} ${safePath(request.url)}`,
    );
  });
}
