/**
 * Polls `probe` until it returns a value (not undefined), for what a test waits on in a real system (a
 * pod, a message, a line). A throw counts as "not yet", so an assertion works as a probe when it returns
 * something once it passes (`() => { expect(x).toBe(1); return true; }`). On timeout the error names
 * `what` and the last failure, which is also its cause.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message.split("\n")[0]}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
