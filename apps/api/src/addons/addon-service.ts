import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, InputError, WorkQueue } from "@kli8nt/core";
import {
  type AddonRow,
  addonPassword,
  allAddonIds,
  createAddon,
  type Db,
  deleteAddonRow,
  findAddon,
  getAppAddon,
  isPreviewApp,
  listAddons,
  markRestore,
  type SecretBox,
  updateAddon,
} from "@kli8nt/db";
import type { Logger } from "pino";
import { recordBackupFailed } from "../notifications/addon-events.ts";
import { backupsDir, listBackups, restoreBackup, takeBackup } from "./addon-backups.ts";
import {
  type BackupItem,
  type ClusterTarget,
  clusterTarget,
  type DumpItem,
  finalDumpOf,
  listClusterBackups,
  listDumps,
  localItem,
  removeClusterAddon,
  requestClusterBackup,
  requestClusterRestore,
} from "./cluster-backups.ts";
import { dumpNotInCluster, readFinalDump, recordFinalDump } from "./final-dumps.ts";
import type { PostgresServer } from "./postgres-server.ts";
import { copyDatabase, previewTenant } from "./preview-databases.ts";
import { databaseSize, dropTenant, ensureTenant, runDumpAsTenant } from "./tenant-sql.ts";

export interface AddonServiceOptions {
  readonly db: Db;
  readonly box: SecretBox;
  /** Null in `process` mode: add-ons are refused with a problem saying why. */
  readonly server: PostgresServer | null;
  /** Where final dumps go: `<dataDir>/addons/dumps`. */
  readonly dumpDir: string;
  /** Where backups go, a folder per add-on: `<dataDir>/addons/backups`. */
  readonly backupDir?: string;
  /** A ready add-on whose newest backup is older than this gets one on the next reconcile (nightly). */
  readonly backupEveryMs?: number;
  readonly logger: Logger;
  /** How often every add-on is looked at again (status, size). */
  readonly resyncMs?: number;
  /**
   * Cluster mode (ADR 0226): the deploy controller makes each add-on in its app's namespace and records its
   * status; here rows are only written and removed, with no password (it lives in the cluster's Secret).
   */
  readonly inCluster?: boolean;
  /** Cluster mode: the apps' namespace prefix, as the deploy controller's KLI8NT_K8S_NAMESPACE_PREFIX. */
  readonly namespacePrefix?: string;
}

export interface RemovedAddon {
  readonly id: string;
  /** The final dump's id, and its file on the platform's machine (null in a cluster: the controller takes it). */
  readonly dump: { readonly id: string; readonly path: string | null };
}

/**
 * Managed PostgreSQL add-ons (ADR 0225). Rows are the desired state; a level-triggered reconciler keyed by
 * add-on id makes the server, role and database exist (`provisioning` → `ready`, or `error` with the reason,
 * retried with backoff) and refreshes sizes on a resync. Deleting dumps first and drops only after a dump.
 */
export class AddonService {
  readonly #o: AddonServiceOptions;
  #server: PostgresServer | null;
  readonly #queue: WorkQueue;
  /** One reconcile or removal per add-on at a time, so a removal is never undone by a late reconcile. */
  readonly #locks = new Map<string, Promise<unknown>>();
  #resync: NodeJS.Timeout | undefined;

  constructor(options: AddonServiceOptions) {
    this.#o = options;
    this.#server = options.server;
    this.#queue = new WorkQueue({
      reconcile: async (id) => {
        await this.#locked(id, () => this.reconcile(id));
        return undefined;
      },
      onError: (id, err, retryInMs) =>
        options.logger.warn({ err, addonId: id, retryInMs }, "Add-on reconcile failed; will retry"),
    });
  }

  /** Cluster mode: backups, restores and deletes are requests the deploy controller executes (202). */
  get inCluster(): boolean {
    return this.#o.inCluster === true;
  }

  get available(): boolean {
    return this.#server !== null || this.#o.inCluster === true;
  }

  /**
   * Gives the service its server once the composition root knows it (`kli8nt start` learns whether podman
   * runs apps only after the api listens); add-ons left waiting are enqueued again.
   */
  useServer(server: PostgresServer): void {
    this.#server = server;
    if (this.#resync) void this.#enqueueAll();
  }

  /** Enqueues every add-on now and on each resync (adoption after a restart is the first resync). */
  start(): void {
    this.#resync = setInterval(() => void this.#enqueueAll(), this.#o.resyncMs ?? 60_000);
    void this.#enqueueAll();
    this.#resync.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#resync);
    await this.#queue.stop();
  }

  /** Resolves once queued reconciles ran (tests). */
  drained(): Promise<void> {
    return this.#queue.drained();
  }

  /**
   * Records a new add-on; with `fromDump`, one of the app's final dumps is loaded into it: here once it is
   * provisioned (before answering), in a cluster by the controller once the add-on is ready.
   */
  async create(
    app: { id: string; name: string },
    type: AddonRow["type"],
    fromDump?: string,
  ): Promise<AddonRow> {
    const dump = fromDump === undefined ? undefined : await finalDumpOf(this.#o.db, app, fromDump);
    const restore = dump ? { restoreBackupId: dump.id } : {};
    if (this.#o.inCluster) {
      if (dump?.location?.startsWith("file:")) throw dumpNotInCluster(dump.id);
      return createAddon(this.#o.db, this.#o.box, app, type, { passwordInCluster: true, ...restore });
    }
    const server = this.#requireServer();
    const sql = dump ? readFinalDump(this.#o.dumpDir, dump) : undefined;
    const row = await createAddon(this.#o.db, this.#o.box, app, type, restore);
    if (sql === undefined) {
      this.#queue.add(row.id);
      return row;
    }
    await this.#locked(row.id, () => this.#loadDump(server, row, sql));
    return (await findAddon(this.#o.db, row.id)) ?? row;
  }

  /** Provisions a new add-on and runs a final dump in it as its role; the outcome is its restore state. */
  async #loadDump(server: PostgresServer, row: AddonRow, sql: string): Promise<void> {
    try {
      await this.reconcile(row.id);
      const { adminUrl } = await server.ensure();
      await runDumpAsTenant(adminUrl, previewTenant(this.#o.box, row), sql);
      await markRestore(this.#o.db, row.id, { status: "done", detail: null });
      this.#o.logger.info({ addonId: row.id, backupId: row.restoreBackupId }, "Restored final dump");
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      await markRestore(this.#o.db, row.id, { status: "error", detail });
      this.#o.logger.warn({ err: error, addonId: row.id }, "Final dump restore failed");
      this.#queue.add(row.id);
    }
  }

  /** The app's final dumps, newest first, in either mode. */
  dumps(app: { id: string }): Promise<DumpItem[]> {
    return listDumps(this.#o.db, app);
  }

  /** Where kli8nt psql reaches a cluster add-on: its pod (no password leaves the cluster). */
  clusterTarget(app: { name: string }, row: AddonRow): ClusterTarget {
    return clusterTarget(this.#o.namespacePrefix ?? "kli8nt-app-", app, row);
  }

  /**
   * Where the platform's own machine reaches the server (`kli8nt psql`): the admin URL's host and port.
   * Apps may use another name for it (podman's host.containers.internal, which the host cannot resolve).
   */
  async localAddress(): Promise<{ host: string; port: number }> {
    const url = new URL((await this.#requireServer().ensure()).adminUrl);
    return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 5432) };
  }

  /** Converges one add-on; records `error` with the reason and rethrows so the queue retries. */
  async reconcile(id: string): Promise<void> {
    const row = await findAddon(this.#o.db, id);
    const server = this.#server;
    if (!row || !server) return;
    try {
      const endpoint = await server.ensure();
      await ensureTenant(endpoint.adminUrl, {
        database: row.database,
        role: row.role,
        password: addonPassword(this.#o.box, row),
      });
      const sizeBytes = await databaseSize(endpoint.adminUrl, row.database);
      await updateAddon(this.#o.db, id, {
        status: "ready",
        detail: null,
        host: endpoint.appHost,
        port: endpoint.appPort,
        sizeBytes,
      });
      if (row.status !== "ready")
        this.#o.logger.info({ addonId: id, database: row.database }, "Provisioned add-on");
      // A failed nightly backup is logged, told to the app's notification destinations (once a day) and
      // tried again on the next resync; the database is still ready.
      await this.#scheduledBackup(server, row).catch(async (err: unknown) => {
        this.#o.logger.warn({ err, addonId: id }, "Scheduled add-on backup failed");
        await recordBackupFailed(this.#o.db, {
          addonId: id,
          appId: row.appId,
          type: row.type,
          error: err,
          occurredAt: new Date(),
        }).catch((e: unknown) =>
          this.#o.logger.warn({ err: e, addonId: id }, "Backup failure notice failed"),
        );
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      await updateAddon(this.#o.db, id, { status: "error", detail });
      throw error;
    }
  }

  /**
   * Removes an add-on after `confirm` names its app: dumps the database to `dumpDir`, then drops it and its
   * role, then forgets the row (its variables leave the app's environment with it).
   */
  async remove(
    app: { id: string; name: string },
    id: string,
    confirm: string | undefined,
  ): Promise<RemovedAddon> {
    if (confirm !== app.name) {
      throw new InputError(
        "ADDON_CONFIRM_REQUIRED",
        `Deleting an add-on drops its database: send {"confirm":"${app.name}"} to confirm (a final dump is kept)`,
        { details: { app: app.name } },
      );
    }
    if (this.#o.inCluster) return removeClusterAddon(this.#o.db, app, id);
    const server = this.#requireServer();
    const row = await getAppAddon(this.#o.db, app.id, id);
    return this.#locked(id, async () => {
      const endpoint = await server.ensure();
      mkdirSync(this.#o.dumpDir, { recursive: true, mode: 0o700 });
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const dumpPath = join(this.#o.dumpDir, `${app.name}-${row.database}-${stamp}.sql`);
      // As INSERTs, so a new add-on can load it over a client connection (create with fromDump).
      await server.dump(row.database, dumpPath, { inserts: true });
      const final = await recordFinalDump(this.#o.db, app, row.database, dumpPath);
      await dropTenant(endpoint.adminUrl, row);
      await deleteAddonRow(this.#o.db, id);
      this.#o.logger.info({ addonId: id, dumpPath, backupId: final.id }, "Deleted add-on");
      return { id, dump: { id: final.id, path: dumpPath } };
    });
  }

  /** A backup now: with pg_dump into the add-on's backup folder, or requested from the controller. */
  async backup(app: { id: string }, id: string): Promise<BackupItem> {
    if (this.#o.inCluster) return requestClusterBackup(this.#o.db, app, id);
    const server = this.#requireServer();
    const row = await getAppAddon(this.#o.db, app.id, id);
    const taken = await this.#locked(id, () => takeBackup(server, row.database, this.#backups(id)));
    return localItem(taken);
  }

  async backups(app: { id: string }, id: string): Promise<BackupItem[]> {
    if (this.#o.inCluster) return listClusterBackups(this.#o.db, app, id);
    await getAppAddon(this.#o.db, app.id, id);
    return listBackups(this.#backups(id)).map(localItem);
  }

  /**
   * Replaces the add-on's database with one of its backups (the app's sessions are closed): here now
   * (`done`), in a cluster by the controller (`requested`, the add-on's restore state says how it went).
   */
  async restore(app: { id: string }, id: string, backupId: string): Promise<"done" | "requested"> {
    if (this.#o.inCluster) {
      await requestClusterRestore(this.#o.db, app, id, backupId);
      return "requested";
    }
    const server = this.#requireServer();
    const row = await getAppAddon(this.#o.db, app.id, id);
    const tenant = { database: row.database, role: row.role, password: addonPassword(this.#o.box, row) };
    await this.#locked(id, () => restoreBackup(server, tenant, this.#backups(id), backupId));
    this.#o.logger.info({ addonId: id, backupId }, "Restored add-on");
    return "done";
  }

  /**
   * Gives a preview its own database for each of its parent's add-ons (ADR 0201): a row of the preview's app
   * (so its DATABASE_URL and PG* are its own), provisioned now, then left empty or filled with a copy of the
   * parent's. Idempotent: a preview that has its add-on keeps it (a push does not copy again).
   */
  async provisionPreview(
    parentId: string,
    preview: { id: string; name: string },
    database: "empty" | "copy",
  ): Promise<AddonRow[]> {
    const server = this.#server;
    if (!server) return [];
    const made: AddonRow[] = [];
    const own = await listAddons(this.#o.db, preview.id);
    for (const source of await listAddons(this.#o.db, parentId)) {
      if (own.some((a) => a.type === source.type)) continue;
      const row = await createAddon(this.#o.db, this.#o.box, preview, source.type);
      await this.#locked(row.id, async () => {
        await this.reconcile(row.id);
        if (database === "copy" && source.status === "ready") {
          await copyDatabase(server, source.database, previewTenant(this.#o.box, row));
        }
      });
      this.#o.logger.info(
        { addonId: row.id, preview: preview.name, database },
        "Provisioned preview database",
      );
      made.push(row);
    }
    return made;
  }

  /** Drops every database of a preview being torn down, and its role; no final dump (ADR 0201). */
  async removePreview(previewAppId: string): Promise<void> {
    const rows = await listAddons(this.#o.db, previewAppId);
    if (rows.length === 0) return;
    const server = this.#requireServer();
    for (const row of rows) {
      await this.#locked(row.id, async () => {
        const endpoint = await server.ensure();
        await dropTenant(endpoint.adminUrl, row);
        await deleteAddonRow(this.#o.db, row.id);
      });
      this.#o.logger.info({ addonId: row.id, database: row.database }, "Dropped preview database");
    }
  }

  #backups(id: string): string {
    return backupsDir(this.#o.backupDir ?? join(this.#o.dumpDir, "..", "backups"), id);
  }

  async #scheduledBackup(server: PostgresServer, row: AddonRow): Promise<void> {
    // A preview's database lives as long as its pull request: no backups of it (ADR 0201).
    if (await isPreviewApp(this.#o.db, row.appId)) return;
    const newest = listBackups(this.#backups(row.id))[0];
    const every = this.#o.backupEveryMs ?? 24 * 3_600_000;
    if (newest && Date.now() - Date.parse(newest.createdAt) < every) return;
    const taken = await takeBackup(server, row.database, this.#backups(row.id));
    this.#o.logger.info({ addonId: row.id, backupId: taken.id }, "Backed up add-on");
  }

  #enqueueAll(): Promise<void> {
    return allAddonIds(this.#o.db)
      .then((ids) => {
        for (const id of ids) this.#queue.add(id);
      })
      .catch((err: unknown) => this.#o.logger.warn({ err }, "Add-on resync failed"));
  }

  #requireServer(): PostgresServer {
    if (this.#server) return this.#server;
    if (this.#o.inCluster)
      throw new ConflictError(
        "ADDON_UNSUPPORTED_IN_CLUSTER",
        "This needs the platform's own PostgreSQL server, which cluster mode does not run (ADR 0226)",
      );
    throw new ConflictError(
      "ADDONS_UNAVAILABLE",
      "Managed PostgreSQL needs a container engine: this platform runs apps in process mode, which cannot " +
        "host add-ons. Run it with podman (KLI8NT_ADDONS=podman) or give an existing server " +
        "(KLI8NT_ADDONS=url, KLI8NT_ADDONS_POSTGRES_URL)",
    );
  }

  async #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(id) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(fn);
    this.#locks.set(id, run);
    try {
      return await run;
    } finally {
      if (this.#locks.get(id) === run) this.#locks.delete(id);
    }
  }
}
