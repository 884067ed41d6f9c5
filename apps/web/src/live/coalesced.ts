import { useEffect, useRef } from "react";

/**
 * `fn` at most once per `ms`: the first call runs at once, calls during the wait run it once when the wait
 * ends. Pushed metrics hints come per app every few seconds; each would otherwise refetch a whole range.
 */
export function useCoalesced(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const state = useRef<{ timer: ReturnType<typeof setTimeout> | null; pending: boolean }>({
    timer: null,
    pending: false,
  });
  useEffect(
    () => () => {
      if (state.current.timer) clearTimeout(state.current.timer);
    },
    [],
  );
  const run = useRef(() => {
    const s = state.current;
    if (s.timer) {
      s.pending = true;
      return;
    }
    latest.current();
    const wait = () => {
      s.timer = setTimeout(() => {
        s.timer = null;
        if (!s.pending) return;
        s.pending = false;
        latest.current();
        wait();
      }, ms);
    };
    wait();
  });
  return run.current;
}
