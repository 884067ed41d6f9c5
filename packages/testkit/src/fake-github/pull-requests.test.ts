import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeGitHub } from "./fake-github-types.ts";
import { startFakeGitHub } from "./start-fake-github.ts";
import { signBody } from "./webhook-delivery.ts";

const execFileAsync = promisify(execFile);
const SECRET = "pr-secret";

describe("fake GitHub pull requests, forks, labels and comments", () => {
  let gh: FakeGitHub;
  let token: string;
  let receiver: Server;
  const received: Array<{ event: string; signature: string; body: string }> = [];

  beforeAll(async () => {
    gh = await startFakeGitHub();
    token = gh.addUser({ login: "ann" }).token;
    gh.addUser({ login: "bob" });
    await gh.addRepo({ owner: "ann", name: "shop" });
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
      });
      req.on("end", () => {
        received.push({
          event: String(req.headers["x-github-event"]),
          signature: String(req.headers["x-hub-signature-256"]),
          body,
        });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const made = await fetch(`${gh.apiUrl}/repos/ann/shop/hooks`, {
      method: "POST",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ config: { url, content_type: "json", secret: SECRET }, events: ["push"] }),
    });
    const hook = (await made.json()) as { id: number };
    // A hook made for pushes only gains pull_request through PATCH, as Kli8nt's sync does.
    const patched = await fetch(`${gh.apiUrl}/repos/ann/shop/hooks/${hook.id}`, {
      method: "PATCH",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ events: ["push", "pull_request"] }),
    });
    expect(await patched.json()).toMatchObject({ events: ["push", "pull_request"] });
  });
  afterAll(async () => {
    receiver.close();
    await gh.stop();
  });

  const prDeliveries = () => received.filter((d) => d.event === "pull_request");

  it("delivers signed pull_request events for open, synchronize, label and close", async () => {
    const opened = await gh.openPullRequest("ann/shop", { head: "feature", title: "Faster", labels: ["x"] });
    await gh.pushToPullRequest("ann/shop", opened.number, { "b.txt": "b\n" });
    await gh.labelPullRequest("ann/shop", opened.number, "preview");
    await gh.closePullRequest("ann/shop", opened.number);
    const bodies = prDeliveries().map((d) => {
      expect(d.signature).toBe(signBody(SECRET, d.body));
      return JSON.parse(d.body) as Record<string, unknown> & { pull_request: Record<string, never> };
    });
    expect(bodies.map((b) => b.action)).toEqual(["opened", "synchronize", "labeled", "closed"]);
    const [first, second] = bodies;
    expect(first).toMatchObject({
      number: opened.number,
      pull_request: {
        title: "Faster",
        state: "open",
        head: { ref: "feature", sha: opened.headSha, repo: { full_name: "ann/shop", fork: false } },
        base: { ref: "main", repo: { full_name: "ann/shop" } },
      },
    });
    expect(second?.pull_request.head).toMatchObject({ ref: "feature" });
    expect(bodies[2]).toMatchObject({ label: { name: "preview" } });
    expect(bodies[3]).toMatchObject({ pull_request: { state: "closed" } });
  });

  it("keeps a fork's head fetchable from the base repository as refs/pull/<n>/head", async () => {
    const fork = await gh.fork("ann/shop", "bob");
    const opened = await gh.openPullRequest("ann/shop", { head: "from-fork", headRepo: fork.fullName });
    const last = JSON.parse(prDeliveries().at(-1)?.body ?? "{}");
    expect(last.pull_request.head.repo).toMatchObject({ full_name: "bob/shop", fork: true });
    const { stdout } = await execFileAsync("git", ["ls-remote", `${gh.gitUrl}/ann/shop.git`]);
    expect(stdout).toContain(`${opened.headSha}\trefs/pull/${opened.number}/head`);
  });

  it("creates, lists and edits issue comments over REST", async () => {
    const { number } = await gh.openPullRequest("ann/shop", { head: "comments" });
    const headers = { authorization: `token ${token}`, "content-type": "application/json" };
    const made = await fetch(`${gh.apiUrl}/repos/ann/shop/issues/${number}/comments`, {
      method: "POST",
      headers,
      body: JSON.stringify({ body: "first" }),
    });
    expect(made.status).toBe(201);
    const { id } = (await made.json()) as { id: number };
    const edited = await fetch(`${gh.apiUrl}/repos/ann/shop/issues/comments/${id}`, {
      method: "PATCH",
      headers,
      body: JSON.stringify({ body: "second" }),
    });
    expect(edited.status).toBe(200);
    const list = await fetch(`${gh.apiUrl}/repos/ann/shop/issues/${number}/comments`, { headers });
    expect(await list.json()).toMatchObject([{ id, body: "second", user: { login: "ann" } }]);
    expect(gh.issueComments("ann/shop", number).map((c) => c.body)).toEqual(["second"]);
    const missing = await fetch(`${gh.apiUrl}/repos/ann/shop/issues/999/comments`, { headers });
    expect(missing.status).toBe(404);
  });
});
