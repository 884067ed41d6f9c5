import { randomBytes } from "node:crypto";
import {
  renderControllerAdmissionPolicy,
  renderDeployControllerRbac,
  resolveSettings,
} from "@kli8nt/manifests";
import { eventually } from "@kli8nt/testkit";
import {
  AdmissionregistrationV1Api,
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";

/** The HTTP status of a refused call, or "ok"; and the refusal's message. */
export async function outcome(
  call: () => Promise<unknown>,
): Promise<{ status: number | "ok"; text: string }> {
  try {
    await call();
    return { status: "ok", text: "" };
  } catch (error) {
    if (error instanceof ApiException) return { status: error.code, text: String(error.body) };
    throw error;
  }
}

/**
 * The deploy controller's RBAC (packages/manifests) and the controllers' admission policy installed in
 * the test cluster under names of this suite, and a kubeconfig holding the controller's own
 * ServiceAccount token: what the controller can do in production, nothing more.
 */
export async function installDeployControllerAccess(admin: KubeConfig) {
  const suffix = randomBytes(3).toString("hex");
  const platform = `kli8nt-sys-${suffix}`;
  const controller = { namespace: platform, name: `kli8nt-deploy-controller-${suffix}` };
  const prefix = `kadm${suffix}-`;
  const policyName = `kli8nt-controllers-${suffix}`;
  const objects = KubernetesObjectApi.makeApiClient(admin);
  const [policy, binding] = renderControllerAdmissionPolicy({
    name: policyName,
    namespace: platform,
    deployController: controller.name,
    buildController: `kli8nt-build-controller-${suffix}`,
    logController: `kli8nt-log-controller-${suffix}`,
    buildNamespace: `kli8nt-builds-${suffix}`,
    namespacePrefix: prefix,
  });
  for (const o of [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: platform } },
    ...renderDeployControllerRbac(controller),
    policy,
    binding,
  ]) {
    await objects.patch(o, undefined, undefined, "kli8nt-test", true, PatchStrategy.ServerSideApply);
  }
  const core = admin.makeApiClient(CoreV1Api);
  const token = await eventually("ServiceAccount token", () =>
    core
      .createNamespacedServiceAccountToken({
        name: controller.name,
        namespace: platform,
        body: { spec: { audiences: [], expirationSeconds: 900 } },
      })
      .then((r) => r.status?.token),
  );
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no cluster");
  const asController = new KubeConfig();
  asController.loadFromClusterAndUser(cluster, { name: "deploy-controller", token });
  const settings = resolveSettings({ appsDomain: "apps.test.invalid", namespacePrefix: prefix, controller });
  return {
    asController,
    controller,
    prefix,
    settings,
    policyName,
    async remove() {
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      const adm = admin.makeApiClient(AdmissionregistrationV1Api);
      await adm.deleteValidatingAdmissionPolicyBinding({ name: policyName }).catch(() => undefined);
      await adm.deleteValidatingAdmissionPolicy({ name: policyName }).catch(() => undefined);
      await rbac.deleteClusterRoleBinding({ name: controller.name }).catch(() => undefined);
      await rbac.deleteClusterRole({ name: controller.name }).catch(() => undefined);
      await rbac.deleteClusterRole({ name: `${controller.name}-app` }).catch(() => undefined);
      const namespaces = await core.listNamespace();
      for (const ns of namespaces.items) {
        const name = ns.metadata?.name ?? "";
        if (name === platform || name.startsWith(prefix))
          await core.deleteNamespace({ name }).catch(() => undefined);
      }
    },
  };
}
