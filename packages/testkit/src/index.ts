export { failUnderCi, hasCommand, IS_CI } from "./ci.ts";
export { eventually } from "./eventually.ts";
export type {
  CreatedRepo,
  FakeGitHub,
  OAuthAppSpec,
  PushResult,
  PushSpec,
  RateLimitSpec,
  RepoSpec,
  StartFakeGitHubOptions,
  UserSpec,
} from "./fake-github/fake-github-types.ts";
export type { FileChanges } from "./fake-github/git-repos.ts";
export type { OpenPullRequestSpec, PullRequestEventResult } from "./fake-github/pull-request-controls.ts";
export { startFakeGitHub } from "./fake-github/start-fake-github.ts";
export type {
  FakeDeployment,
  FakeDeploymentStatus,
  FakeHook,
  FakeIssueComment,
  FakePullRequest,
  WebhookDelivery,
} from "./fake-github/store.ts";
export { signBody } from "./fake-github/webhook-delivery.ts";
export { freePort } from "./free-port.ts";
export { samplePath } from "./samples.ts";
export { cookieFrom, signInOverHttp } from "./sign-in-over-http.ts";
export { makeTestCertificates, startTlsProxy, type TestCertificates } from "./tls.ts";
