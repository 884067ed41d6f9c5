import type { Builder, BuildRequest, BuildResult, ImageBuild } from "./builder.ts";
import { planFacts } from "./builder.ts";
import { prepareBuild } from "./prepare-build.ts";
import { type CloneCredentials, checkoutRepository } from "./workspace.ts";

export interface LocalBuildOptions {
  /** Where workspaces are created (and always removed). */
  readonly workRoot: string;
  readonly allowLocalRepos: boolean;
  readonly cloneTimeoutMs: number;
  readonly baseImages: Readonly<Record<string, string>>;
  /** The owner's token for a clone URL, when the request carries none. */
  readonly credentials?: CloneCredentials | undefined;
}

/**
 * The Builder port on a single machine: checks the repository out into a workspace, detects and renders
 * the plan (the same prepareBuild the Kaniko Job's prepare step runs), builds the tree with `image`
 * (buildah or the process builder) and always removes the workspace.
 */
export function localBuilder(image: ImageBuild, options: LocalBuildOptions): Builder {
  return {
    kind: image.kind,
    isolated: image.isolated,
    build: (request) => buildLocally(image, options, request),
  };
}

async function buildLocally(
  image: ImageBuild,
  options: LocalBuildOptions,
  request: BuildRequest,
): Promise<BuildResult> {
  const { onLine, repository } = request;
  onLine("stdout", `Cloning ${repository.url} at ${repository.ref}`);
  const given = request.cloneToken;
  const workspace = await checkoutRepository(repository, {
    appId: request.appId,
    workRoot: options.workRoot,
    allowLocalRepos: options.allowLocalRepos,
    timeoutMs: options.cloneTimeoutMs,
    credentials: given === undefined ? options.credentials : async () => given,
    onLine,
  });
  try {
    onLine("stdout", `Checked out ${workspace.commitSha}`);
    const prepared = await prepareBuild(
      workspace.dir,
      workspace.scratch,
      repository.rootDir,
      options.baseImages,
      undefined,
      request.settings,
    );
    const { plan } = prepared;
    const framework = plan.framework ? ` (${plan.framework})` : "";
    onLine("stdout", `Build plan: ${plan.provider}${framework}, builder ${image.kind}`);
    const output = await image.build({
      deploymentId: request.deploymentId,
      appId: request.appId,
      appName: request.appName,
      contextDir: prepared.contextDir,
      dockerfile: prepared.dockerfile,
      plan,
      target: request.settings.buildTarget,
      buildArgs: request.buildArgs,
      buildSecrets: request.buildSecrets,
      scratchDir: workspace.scratch,
      timeoutMs: request.timeoutMs,
      onLine,
    });
    return { image: output.image, commitSha: workspace.commitSha, plan: planFacts(plan) };
  } finally {
    await workspace.remove();
  }
}
