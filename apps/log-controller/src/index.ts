export { AppSecrets, type AppSecretsOptions } from "./app-secrets.ts";
export { ContainerFollower, type FollowTarget } from "./container-follower.ts";
export {
  LABEL_APP,
  LABEL_APP_ID,
  LABEL_DEPLOYMENT,
  LABEL_PHASE,
  LogController,
  type LogControllerDeps,
  type LogControllerLogger,
} from "./log-controller.ts";
export { Checkpoint, parseTimedLine } from "./log-line.ts";
export { maskAppSecrets } from "./mask-app-secrets.ts";
export { resumePoint } from "./resume-point.ts";
