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
export interface ManifestRelease extends ManifestFormation {
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

/** One process type of the release's formation (core's `ProcessFormation`). */
export interface ManifestProcess {
  /** `web` gets the port, the probes, the Service and the Ingress; every other type runs without them. */
  readonly type: string;
  /** Run as `sh -c <command>`; null keeps the image's own CMD. */
  readonly command: string | null;
  /** Replicas; 0 keeps the Deployment with no pod (a stopped type). */
  readonly count: number;
  /** Kubernetes quantities, e.g. "512Mi" and "0.5" (see resources.ts for requests and limits). */
  readonly memory: string;
  readonly cpu: string;
}

/** A HorizontalPodAutoscaler for `web` (autoscaling/v2 on CPU utilisation of the request). */
export interface Autoscale {
  readonly min: number;
  readonly max: number;
  /** Target average CPU utilisation in percent of the CPU request. */
  readonly targetCpu: number;
}

/** The formation and lifecycle of a release, beyond its image: what `renderApp` renders per process type. */
export interface ManifestFormation {
  /** Every process type; absent: one `web` with `replicas` and the platform's default resources. */
  readonly processes?: readonly ManifestProcess[];
  /** A rolling restart asked at this time (ISO 8601), as `kubectl rollout restart` annotates it. */
  readonly restartedAt?: string;
  readonly autoscale?: Autoscale;
}
