/**
 * A part of a Pod spec that `podman run` cannot reproduce. The translation refuses it rather than dropping
 * it, so a test can never pass on a container that differs from the one the cluster would run.
 */
export class TranslationError extends Error {
  readonly code = "UNTRANSLATABLE_POD_SPEC";
  constructor(what: string, options?: { cause?: unknown }) {
    super(`Cannot reproduce with podman: ${what}`, options);
    this.name = "TranslationError";
  }
}
