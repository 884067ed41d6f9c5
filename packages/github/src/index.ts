export type { DeploymentSpec, DeploymentState, DeploymentStatusSpec } from "./deployments.ts";
export { type GitHubEndpoints, resolveGitHubEndpoints } from "./endpoints.ts";
export { type GitCommand, gitAuthEnv, gitCloneCommand } from "./git-credentials.ts";
export {
  createGitHubClient,
  createOctokit,
  type GitHubClient,
  type GitHubClientOptions,
  type GitHubUser,
} from "./github-client.ts";
export {
  GitHubError,
  type GitHubErrorCode,
  type GitHubErrorDetails,
  isGitHubError,
  toGitHubError,
} from "./github-error.ts";
export {
  type AuthorizationRequest,
  createAuthorizationRequest,
  DEFAULT_SCOPES,
  exchangeCode,
  needsRefresh,
  type OAuthAppConfig,
  pkceChallenge,
  refreshAccessToken,
  statesMatch,
  type TokenSet,
} from "./oauth.ts";
export { type PullRequestChange, pullRequestChange } from "./pull-request-event.ts";
export {
  type GitHubBranch,
  type GitHubRepo,
  type Page,
  parseLinkPages,
  type ResolvedCommit,
} from "./repos.ts";
export { type RetryOptions, retryGitHub } from "./retry.ts";
export { createTokenSealer, type TokenSealer, TokenUnreadableError } from "./token-sealer.ts";
export {
  type IncomingHeaders,
  type PushToBranch,
  pushToBranch,
  readWebhook,
  type WebhookReading,
} from "./webhook-event.ts";
export { signWebhookBody, verifyWebhookSignature } from "./webhook-signature.ts";
export type { WebhookSpec } from "./webhooks-api.ts";
