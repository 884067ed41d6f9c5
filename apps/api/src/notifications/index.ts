export { reasonOf, recordBackupFailed } from "./addon-events.ts";
export {
  backoffMs,
  DEFAULT_DELIVERY_POLICY,
  type DeliveryPolicy,
  DeliveryWorker,
} from "./delivery-worker.ts";
export { recordDeploymentEvents, sweepDeploymentEvents } from "./deployment-events.ts";
export { sweepDomainEvents } from "./domain-events.ts";
export { SIGNATURE_HEADER, signBody } from "./senders.ts";
