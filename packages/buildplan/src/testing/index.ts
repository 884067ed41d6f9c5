export {
  buildImage,
  type ContainerEnv,
  type PreparedContext,
  prepareContext,
  type RunningContainer,
  runImage,
  waitForHttp,
} from "./container-build.ts";
export { containerEnvFromProcess, type ServedSample, withServedSample } from "./serve-sample.ts";
