import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { DueDelivery } from "@kli8nt/db";
import nodemailer from "nodemailer";
import {
  namesPrivateHost,
  PRIVATE_DESTINATION,
  PrivateDestinationError,
  publicOnlyLookup,
} from "./destination-guard.ts";
import { summaryOf } from "./payload.ts";

/** What one attempt got back: ok, or the status (HTTP or SMTP reply code) and a short error. */
export interface SendResult {
  readonly ok: boolean;
  readonly status: number | null;
  readonly error: string | null;
}

export interface SenderOptions {
  readonly smtpUrl?: string | undefined;
  readonly smtpFrom: string;
  readonly timeoutMs: number;
  /** Webhooks to loopback and private addresses (KLI8NT_NOTIFY_PRIVATE_NETWORKS); refused otherwise. */
  readonly allowPrivateNetworks?: boolean;
}

export const SIGNATURE_HEADER = "x-kli8nt-signature-256";

/** `sha256=<hex>` of the body under the destination's secret, as GitHub signs its webhooks. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Sends one delivery by its destination's kind. Never throws: a failure is a result. */
export async function sendDelivery(delivery: DueDelivery, options: SenderOptions): Promise<SendResult> {
  try {
    if (delivery.kind === "webhook") return await sendWebhook(delivery, options);
    if (delivery.kind === "slack") return await sendSlack(delivery, options);
    return await sendEmail(delivery, options);
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    return { ok: false, status: typeof code === "number" ? code : null, error: describe(error) };
  }
}

async function sendWebhook(delivery: DueDelivery, options: SenderOptions): Promise<SendResult> {
  const body = JSON.stringify(delivery.payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "Kli8nt-Notifications/1",
    "x-kli8nt-event": delivery.event,
    "x-kli8nt-delivery": delivery.id,
  };
  if (delivery.secret) headers[SIGNATURE_HEADER] = signBody(delivery.secret, body);
  return post(delivery.target, headers, body, options);
}

/** Slack's incoming-webhook format (`text`), which Mattermost, Rocket.Chat and Discord's /slack accept. */
async function sendSlack(delivery: DueDelivery, options: SenderOptions): Promise<SendResult> {
  const body = JSON.stringify({ text: summaryOf(delivery.event, delivery.payload) });
  return post(delivery.target, { "content-type": "application/json" }, body, options);
}

async function post(
  target: string,
  headers: Record<string, string>,
  body: string,
  options: SenderOptions,
): Promise<SendResult> {
  const url = new URL(target);
  const guarded = options.allowPrivateNetworks !== true;
  // An IP literal is connected to without a lookup, so it is checked here; a name, on what it resolves to.
  if (guarded && namesPrivateHost(url)) return { ok: false, status: null, error: PRIVATE_DESTINATION };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const status = await new Promise<number>((resolve, reject) => {
    // No redirects are followed: a destination must name where it receives, not bounce the payload elsewhere.
    const req = send(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": Buffer.byteLength(body) },
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(guarded ? { lookup: publicOnlyLookup } : {}),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
  const ok = status >= 200 && status < 300;
  return { ok, status, error: ok ? null : `The receiver answered ${status}` };
}

async function sendEmail(delivery: DueDelivery, options: SenderOptions): Promise<SendResult> {
  if (!options.smtpUrl) {
    return { ok: false, status: null, error: "No SMTP server is configured (KLI8NT_SMTP_URL)" };
  }
  const url = new URL(options.smtpUrl);
  const secure = url.protocol === "smtps:";
  const transport = nodemailer.createTransport({
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  try {
    const summary = summaryOf(delivery.event, delivery.payload);
    const info = await transport.sendMail({
      from: options.smtpFrom,
      to: delivery.target,
      subject: `[Kli8nt] ${summary}`,
      text: `${summary}\n\n${JSON.stringify(delivery.payload, null, 2)}\n`,
      headers: { "X-Kli8nt-Event": delivery.event, "X-Kli8nt-Delivery": delivery.id },
    });
    const code = Number.parseInt(String(info.response).slice(0, 3), 10);
    return { ok: true, status: Number.isFinite(code) ? code : 250, error: null };
  } finally {
    transport.close();
  }
}

/** A short, credential-free reason: the SMTP URL or a Slack URL must never reach a stored error. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return "Sending failed";
  if (error instanceof PrivateDestinationError) return error.message;
  const code = (error as { code?: unknown }).code;
  const responseCode = (error as { responseCode?: unknown }).responseCode;
  const reason = (error as { cause?: unknown }).cause;
  if (error.name === "TimeoutError" || (reason instanceof Error && reason.name === "TimeoutError")) {
    return "The receiver did not answer in time";
  }
  if (typeof responseCode === "number") return `The SMTP server answered ${responseCode}`;
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  const what = typeof code === "string" ? code : typeof cause === "string" ? cause : error.name;
  return `Could not reach the receiver (${what})`;
}
