import { describe, expect, it } from "vitest";
import { postgresAddonNames, renderCnpgCluster, renderPostgresAddon } from "./postgres-addon.ts";

const input = {
  appName: "shop",
  namespace: "kli8nt-app-shop",
  database: "shop",
  user: "shop",
  password: "s3cret/+=",
  image: "postgres:16",
  storage: "1Gi",
};

describe("renderPostgresAddon", () => {
  const out = renderPostgresAddon(input);

  it("puts the app's variables in a Secret in the app's namespace, the URL pointing at the add-on's Service", () => {
    expect(out.secret.metadata?.namespace).toBe("kli8nt-app-shop");
    expect(out.secret.stringData).toEqual({
      DATABASE_URL: "postgres://shop:s3cret%2F%2B%3D@shop-postgres.kli8nt-app-shop.svc:5432/shop",
      PGHOST: "shop-postgres.kli8nt-app-shop.svc",
      PGPORT: "5432",
      PGUSER: "shop",
      PGPASSWORD: "s3cret/+=",
      PGDATABASE: "shop",
    });
  });

  it("runs one postgres replica on a PVC of the default StorageClass, its password from that Secret only", () => {
    const spec = out.statefulSet.spec;
    expect(spec?.replicas).toBe(1);
    const claim = spec?.volumeClaimTemplates?.[0]?.spec;
    expect(claim?.resources?.requests).toEqual({ storage: "1Gi" });
    expect(claim).not.toHaveProperty("storageClassName");
    const env = spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === "POSTGRES_PASSWORD")?.valueFrom?.secretKeyRef).toEqual({
      name: postgresAddonNames("shop").secret,
      key: "PGPASSWORD",
    });
    expect(JSON.stringify(out.statefulSet)).not.toContain("s3cret");
  });

  it("admits only the app's own pods and its backup Jobs, on the PostgreSQL port", () => {
    expect(out.networkPolicy.spec?.podSelector?.matchLabels).toEqual(out.service.spec?.selector);
    expect(out.networkPolicy.spec?.ingress).toEqual([
      {
        _from: [
          { podSelector: { matchLabels: { "kli8nt.io/app": "shop" } } },
          { podSelector: { matchLabels: { "kli8nt.io/addon-job": "shop-postgres" } } },
        ],
        ports: [{ protocol: "TCP", port: 5432 }],
      },
    ]);
  });
});

// Rendered objects only: CloudNativePG's CRDs cannot be fetched here, so this is not validated against them.
describe("renderCnpgCluster (not validated against the real CNPG CRDs)", () => {
  it("bootstraps the app's database and owner from a basic-auth Secret", () => {
    const { secret, cluster } = renderCnpgCluster({ ...input, storageClassName: "fast" });
    expect(secret.type).toBe("kubernetes.io/basic-auth");
    expect(cluster).toMatchObject({
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Cluster",
      metadata: { name: "shop-postgres", namespace: "kli8nt-app-shop" },
      spec: {
        instances: 1,
        storage: { size: "1Gi", storageClass: "fast" },
        bootstrap: { initdb: { database: "shop", owner: "shop", secret: { name: secret.metadata?.name } } },
      },
    });
  });
});
