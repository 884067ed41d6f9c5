import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_DATABASE_URL } from "@kli8nt/db";
import { failUnderCi, freePort } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podmanRunArgs, podmanServer } from "./podman-server.ts";
import { runPostgresServerContract } from "./postgres-server-contract.ts";
import { urlServer } from "./url-server.ts";

const missing = failUnderCi(
  !TEST_DATABASE_URL,
  "KLI8NT_TEST_DATABASE_URL is not set: run through scripts/with-services.sh postgres",
);
const PATH = {
  PATH: "/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};

describe.skipIf(missing)("PostgresServer contract: an existing server by URL", () => {
  runPostgresServerContract(() => urlServer({ adminUrl: TEST_DATABASE_URL ?? "", env: PATH }), {
    checksPasswords: false,
  });
});

// No registry is reachable here, so the official image is replaced by a stand-in built from Debian's
// postgresql-15 with the official entrypoint contract (scripts/infra/pgimage.sh, KLI8NT_TEST_POSTGRES_IMAGE).
const IMAGE = process.env.KLI8NT_TEST_POSTGRES_IMAGE;
const noImage = failUnderCi(
  !IMAGE,
  "KLI8NT_TEST_POSTGRES_IMAGE is not set: run through scripts/with-services.sh pgimage",
);

describe.skipIf(noImage)("PostgresServer contract: the podman container", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kli8nt-pg-podman-"));
  const name = `kli8nt-postgres-test-${process.pid}`;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
  });
  const make = () =>
    podmanServer({
      image: IMAGE ?? "",
      dataDir,
      port,
      appHost: "host.containers.internal",
      appBind: "10.88.0.1",
      env: PATH,
      containerName: name,
      volume: `${name}-data`,
    });
  afterAll(() => {
    spawnSync("podman", ["rm", "-f", "-t", "0", name]);
    spawnSync("podman", ["volume", "rm", "-f", `${name}-data`]);
    rmSync(dataDir, { recursive: true, force: true });
  });
  runPostgresServerContract(make, { checksPasswords: true });

  it("is reachable from an app's container at the address apps are given", async () => {
    const { appHost, appPort } = await make().ensure();
    const probe = spawnSync("podman", [
      "run",
      "--rm",
      "--entrypoint",
      "pg_isready",
      IMAGE ?? "",
      "-h",
      appHost,
      "-p",
      String(appPort),
    ]);
    expect(probe.stdout.toString()).toContain("accepting connections");
  });

  it("adopts the container after a restart of the platform, and starts it again when it stopped", async () => {
    const before = await make().ensure();
    expect(spawnSync("podman", ["stop", "-t", "2", name]).status).toBe(0);
    const after = await make().ensure();
    expect(after).toEqual(before);
  });
});

describe("the podman server's container", () => {
  it("keeps its data in a named volume, listens on loopback only and is health-checked", () => {
    const args = podmanRunArgs(
      { image: "docker.io/library/postgres:16", dataDir: "/x", port: 5433, appHost: "h", env: {} },
      "kli8nt-postgres",
    );
    expect(args.join(" ")).toContain("-v kli8nt-postgres-data:/var/lib/postgresql/data");
    expect(args.join(" ")).toContain("-p 127.0.0.1:5433:5432");
    expect(args.join(" ")).toContain("--health-cmd pg_isready -U postgres");
    // The password is passed by name (podman reads it from its own environment), never on the command line.
    expect(args).toContain("POSTGRES_PASSWORD");
    expect(args.join(" ")).not.toMatch(/POSTGRES_PASSWORD=/);
    expect(args.at(-1)).toBe("docker.io/library/postgres:16");
  });
});
