import { InputError } from "@kli8nt/core";
import type { FastifyInstance } from "fastify";

/**
 * Keys that would reach an object's prototype if the body were ever merged with Object.assign or a deep
 * merge: Fastify's own parser refuses them too, but says only "not valid JSON" of a body that is valid.
 */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === "__proto__") {
    throw new InputError(
      "BODY_KEY_REFUSED",
      'The request body has a "__proto__" key; Kli8nt refuses it (it could change the prototype of objects built from the body)',
    );
  }
  if (key === "constructor" && typeof value === "object" && value !== null && "prototype" in value) {
    throw new InputError(
      "BODY_KEY_REFUSED",
      'The request body has a "constructor" object with a "prototype" key; Kli8nt refuses it (prototype pollution)',
    );
  }
  return value;
}

/** What JSON.parse found wrong ("Unexpected token '}'", "Unexpected end of JSON input"), without the body. */
function syntaxDetail(error: unknown): string {
  // V8 appends `, "<part of the body>" is not valid JSON`: the sender knows its body.
  const first = error instanceof SyntaxError ? error.message.replace(/, ".*$/s, "") : "";
  return first === "" ? "" : `: ${first.slice(0, 80)}`;
}

/**
 * application/json bodies, parsed with errors that say what is wrong: empty, not JSON (and where), or a
 * prototype key (ADR 0232). The body limit still applies before parsing, as with Fastify's parser.
 */
export function installJsonBody(app: FastifyInstance): void {
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") {
      done(new InputError("BODY_MALFORMED", "The request body is empty; send a JSON object"), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text, refuseProtoKeys);
    } catch (error) {
      if (error instanceof InputError) return done(error, undefined);
      return done(
        new InputError("BODY_MALFORMED", `The request body is not valid JSON${syntaxDetail(error)}`),
        undefined,
      );
    }
    done(null, parsed);
  });
}
