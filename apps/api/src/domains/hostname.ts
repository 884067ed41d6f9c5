import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { InputError, TerminalError } from "@kli8nt/core";

/** A custom hostname as stored: lowercased ASCII (punycode for IDNs), no trailing dot. */
export interface NormalHostname {
  readonly hostname: string;
  readonly wildcard: boolean;
}

/** The names the platform itself answers on: never attachable to an app. */
export interface PlatformHosts {
  /** Apps are `<app>.<appsDomain>`; the domain and every name under it are the platform's. */
  readonly appsDomain: string;
  /** The API/dashboard host (from the public URL). */
  readonly apiHost: string;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_NAME = 253;

function invalid(input: string, why: string): InputError {
  return new InputError(
    "DOMAIN_HOSTNAME_INVALID",
    `"${input.slice(0, 300)}" is not a valid hostname: ${why}`,
    {
      details: { hostname: input.slice(0, 300) },
    },
  );
}

/**
 * Normalises what a user typed: trims, drops one trailing dot (the fully-qualified spelling), lowercases,
 * turns a unicode name into punycode (as DNS and certificates carry it) and checks every label.
 */
export function normaliseHostname(input: string): NormalHostname {
  let name = input.trim();
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name === "") throw invalid(input, "it is empty");
  if (name.includes("://") || /[/:?#@\s]/.test(name)) {
    throw invalid(input, "give the bare hostname, like www.example.com (no scheme, port, path or spaces)");
  }
  const wildcard = name.startsWith("*.");
  const rest = wildcard ? name.slice(2) : name;
  if (rest.includes("*"))
    throw invalid(input, "a wildcard is only allowed as the whole first label, like *.example.com");
  // domainToASCII lowercases and applies IDNA; it answers "" for what IDNA refuses.
  const ascii = /^[\x21-\x7e]*$/.test(rest) ? rest.toLowerCase() : domainToASCII(rest);
  if (ascii === "") throw invalid(input, "it is not a valid internationalised domain name");
  const hostname = wildcard ? `*.${ascii}` : ascii;
  if (hostname.length > MAX_NAME) throw invalid(input, `it is longer than ${MAX_NAME} characters`);
  const labels = ascii.split(".");
  if (labels.length < 2) throw invalid(input, "it needs at least two labels, like example.com");
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    throw invalid(
      input,
      bad === ""
        ? "it has an empty label (two dots in a row)"
        : `the label "${bad.slice(0, 70)}" must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen`,
    );
  }
  if (/^\d+$/.test(labels.at(-1) ?? "")) throw invalid(input, "the last label cannot be all digits");
  return { hostname, wildcard };
}

function isUnder(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

/** 422 for names the platform answers on itself: its apps domain, its API host, localhost, IP literals. */
export function assertNotPlatformHost(input: string, platform: PlatformHosts): void {
  const bare = input.trim().replace(/^\[|\]$/g, "");
  if (isIP(bare) !== 0) {
    throw refused(input, "an IP address cannot be a custom domain; attach a hostname that resolves to it");
  }
  const typed = bare.toLowerCase().replace(/\.$/, "");
  if (isUnder(typed, "localhost")) throw refused(typed, "localhost names are the platform's own");
  const { hostname } = normaliseHostname(input);
  const name = hostname.replace(/^\*\./, "");
  if (isUnder(name, "localhost")) throw refused(hostname, "localhost names are the platform's own");
  if (isUnder(name, platform.appsDomain)) {
    throw refused(hostname, `names under ${platform.appsDomain} are the platform's app hosts`);
  }
  if (name === platform.apiHost || (hostname.startsWith("*.") && isUnder(platform.apiHost, name))) {
    throw refused(hostname, "it is the platform's API and dashboard host");
  }
  // A page under the dashboard's host can set cookies for it (Domain=<dashboard host>): fixation of its
  // sign-in state, or shadowing of its cookies over http (ADR 0131, 0232).
  if (isUnder(name, platform.apiHost)) {
    throw refused(hostname, `names under ${platform.apiHost} could set the dashboard's cookies`);
  }
}

function refused(hostname: string, why: string): TerminalError {
  return new TerminalError("DOMAIN_RESERVED", `${hostname} cannot be attached to an app: ${why}`, {
    details: { hostname },
  });
}
