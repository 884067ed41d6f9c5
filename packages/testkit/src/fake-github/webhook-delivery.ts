import { createHmac, randomUUID } from "node:crypto";
import type { FakeHook, FakeRepo, FakeStore, WebhookDelivery } from "./store.ts";

/** GitHub gives a receiver 10 seconds before it records the delivery as failed. */
const DELIVERY_TIMEOUT_MS = 10_000;

export interface WebhookSender {
  /** Sends `event` to every active hook of `repo` subscribed to it; resolves when all attempts finished. */
  send(repo: FakeRepo, event: string, payload: unknown): Promise<WebhookDelivery[]>;
  /** Sends to one hook only (the `ping` on creation). */
  sendToHook(hook: FakeHook, event: string, payload: unknown): Promise<WebhookDelivery>;
  /** Sends an earlier delivery again with the same `X-GitHub-Delivery` id, as "Redeliver" does. */
  redeliver(deliveryId: string): Promise<WebhookDelivery>;
}

/** `sha256=<hex HMAC>` of the exact body bytes, as in `X-Hub-Signature-256`. */
export function signBody(secret: string, body: string, algorithm: "sha256" | "sha1" = "sha256"): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest("hex")}`;
}

export function createWebhookSender(store: FakeStore): WebhookSender {
  const post = async (
    hook: FakeHook,
    event: string,
    id: string,
    body: string,
    redelivery: boolean,
  ): Promise<WebhookDelivery> => {
    const headers: Record<string, string> = {
      "content-type": hook.contentType === "json" ? "application/json" : "application/x-www-form-urlencoded",
      "user-agent": "GitHub-Hookshot/fake",
      "x-github-event": event,
      "x-github-delivery": id,
      "x-github-hook-id": String(hook.id),
      "x-github-hook-installation-target-type": "repository",
      "x-github-hook-installation-target-id": String(hook.repoId),
    };
    if (hook.secret) {
      headers["x-hub-signature"] = signBody(hook.secret, body, "sha1");
      headers["x-hub-signature-256"] = signBody(hook.secret, body);
    }
    const delivery: WebhookDelivery = {
      id,
      hookId: hook.id,
      event,
      url: hook.url,
      requestHeaders: headers,
      body,
      durationMs: 0,
      redelivery,
    };
    const started = performance.now();
    try {
      const res = await fetch(hook.url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      delivery.status = res.status;
      delivery.responseBody = (await res.text()).slice(0, 4096);
    } catch (err) {
      delivery.error = err instanceof Error ? err.message : String(err);
    }
    delivery.durationMs = Math.round(performance.now() - started);
    store.deliveries.push(delivery);
    return delivery;
  };

  const encode = (hook: FakeHook, payload: unknown) => {
    const json = JSON.stringify(payload);
    return hook.contentType === "json" ? json : `payload=${encodeURIComponent(json)}`;
  };

  const sendToHook = (hook: FakeHook, event: string, payload: unknown) =>
    post(hook, event, randomUUID(), encode(hook, payload), false);

  return {
    sendToHook,
    async send(repo, event, payload) {
      const hooks = [...store.hooks.values()].filter(
        (h) => h.repoId === repo.id && h.active && (h.events.includes(event) || h.events.includes("*")),
      );
      return Promise.all(hooks.map((h) => sendToHook(h, event, payload)));
    },
    async redeliver(deliveryId) {
      const original = store.deliveries.find((d) => d.id === deliveryId);
      const hook = original ? store.hooks.get(original.hookId) : undefined;
      if (!original || !hook) throw new Error(`no delivery ${deliveryId} to a live hook`);
      return post(hook, original.event, original.id, original.body, true);
    },
  };
}
