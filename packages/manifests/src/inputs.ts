/** The app as the manifests see it: only what shapes Kubernetes objects. */
export interface ManifestApp {
  readonly id: string;
  /** A DNS label (core's APP_NAME_PATTERN): becomes the subdomain, the namespace suffix and object names. */
  readonly name: string;
}

export interface HealthCheck {
  /** HTTP path probed for readiness and liveness; without it the probes only open a TCP connection. */
  readonly path: string;
}

/** One release of an app: the deployment that produced it and the image it runs. */
export interface ManifestRelease {
  readonly deploymentId: string;
  /** Always by digest (`repo@sha256:…`), never a moving tag, so a rollback runs the exact bytes again. */
  readonly image: string;
  readonly port: number;
  readonly healthCheck?: HealthCheck;
  /**
   * Checksum of the env Secret's content (see `envChecksum`). It goes into the pod template, so changing
   * a variable rolls the pods even when the image is the same.
   */
  readonly envChecksum?: string;
  readonly replicas?: number;
}
