// The one builder of INFORM progress lives in core, shared with the deploy controller.
export { progressMessage } from "@kli8nt/core";
