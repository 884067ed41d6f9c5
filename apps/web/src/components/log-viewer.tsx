import { useEffect, useMemo, useRef, useState } from "react";
import { isNotAvailable } from "../api/client.ts";
import { probeLogs } from "../api/endpoints.ts";
import { useLoad } from "../hooks.ts";
import { openSocket, socketUrl } from "../live/browser-socket.ts";
import { type LogLine, LogStream, type StreamStatus } from "../logs/log-stream.ts";
import { Link, useLocation } from "../router.tsx";
import { ErrorAlert, Unavailable } from "./error-alert.tsx";

const KEEP = 20_000;
const SHOW = 3_000;
type Phase = "" | "build" | "release" | "run" | "cron";
const PHASES: readonly Phase[] = ["", "build", "release", "run", "cron"];

function streamUrl(name: string, phase: Phase, deployment: string | null, from: number | null): string {
  const query = new URLSearchParams(from === null ? { tail: "1000" } : { from: String(from) });
  if (phase) query.set("phase", phase);
  if (deployment) query.set("deployment", deployment);
  return socketUrl(`/api/apps/${encodeURIComponent(name)}/logs/stream?${query}`);
}

/** Build then runtime lines, live: follow or pause, search, phase filter, download; resumes by offset. */
export function LogViewer({ name }: { readonly name: string }) {
  const probe = useLoad(`logs:${name}`, () => probeLogs(name));
  if (probe.loading && !probe.data && !probe.error) return <p role="status">Opening the logs…</p>;
  if (isNotAvailable(probe.error)) {
    return (
      <Unavailable feature="The log viewer">
        <p>Build and runtime logs appear here once this server streams them.</p>
      </Unavailable>
    );
  }
  if (probe.error) return <ErrorAlert error={probe.error} onRetry={probe.reload} />;
  return <LiveLog name={name} />;
}

function LiveLog({ name }: { readonly name: string }) {
  // ?deployment=<id> (the history's "Logs" links): one deploy's lines only; ?phase=release: one phase.
  const query = new URLSearchParams(useLocation().split("?")[1] ?? "");
  const deployment = query.get("deployment");
  const [phase, setPhase] = useState<Phase>(PHASES.find((p) => p && p === query.get("phase")) ?? "");
  const [search, setSearch] = useState("");
  const [follow, setFollow] = useState(true);
  const [paused, setPaused] = useState(false);
  const [status, setStatus] = useState<StreamStatus>({ state: "connecting" });
  const [dropped, setDropped] = useState(0);
  const [version, setVersion] = useState(0);
  const lines = useRef<LogLine[]>([]);
  const shownUpTo = useRef(0);
  const stream = useRef<LogStream | null>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    lines.current = [];
    shownUpTo.current = 0;
    setDropped(0);
    const s = new LogStream({
      url: (from) => streamUrl(name, phase, deployment, from),
      connect: openSocket,
      onLines: (more) => {
        lines.current.push(...more);
        if (lines.current.length > KEEP) lines.current.splice(0, lines.current.length - KEEP);
        setVersion((v) => v + 1);
      },
      onDropped: (count) => setDropped((d) => d + count),
      onStatus: setStatus,
    });
    stream.current = s;
    s.start();
    return () => s.stop();
  }, [name, phase, deployment]);

  // Paused: the view stays where it is while lines keep arriving underneath.
  if (!paused) shownUpTo.current = lines.current.length;
  const pending = lines.current.length - shownUpTo.current;
  // biome-ignore lint/correctness/useExhaustiveDependencies: version says the line buffer grew
  const visible = useMemo(() => {
    const all = lines.current.slice(0, shownUpTo.current);
    const needle = search.trim().toLowerCase();
    return needle ? all.filter((l) => l.line.toLowerCase().includes(needle)) : all;
  }, [search, version, paused]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll after each render of new lines
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [visible, follow]);

  const download = () => {
    const text = lines.current.map((l) => `${l.timestamp} [${l.phase}] ${l.source} ${l.line}`).join("\n");
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
    a.download = `${name}${phase ? `-${phase}` : ""}-logs.txt`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  return (
    <section className="logs" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <div className="log-toolbar">
        <div className="field field-inline">
          <label htmlFor="log-phase">Phase</label>
          <select id="log-phase" value={phase} onChange={(e) => setPhase(e.target.value as Phase)}>
            <option value="">All phases</option>
            <option value="build">Build</option>
            <option value="release">Release</option>
            <option value="run">Run</option>
            <option value="cron">Cron</option>
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor="log-search">Search</label>
          <input id="log-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          Follow
        </label>
        <button
          type="button"
          className="button button-small"
          aria-pressed={paused}
          onClick={() => setPaused(!paused)}
        >
          {paused ? `Resume${pending > 0 ? ` (${pending} new)` : ""}` : "Pause"}
        </button>
        <button
          type="button"
          className="button button-small"
          onClick={download}
          disabled={lines.current.length === 0}
        >
          Download
        </button>
      </div>
      {deployment ? (
        <p className="muted">
          One deploy only. <Link to={`/apps/${encodeURIComponent(name)}/logs`}>Show every deploy</Link>
        </p>
      ) : null}
      <StatusLine
        status={status}
        count={visible.length}
        total={shownUpTo.current}
        onReconnect={() => stream.current?.reconnectNow()}
      />
      {dropped > 0 ? (
        <p className="muted">{dropped} lines were skipped because the browser fell behind.</p>
      ) : null}
      <div
        className="log-box"
        ref={box}
        role="log"
        aria-live="off"
        aria-label={`Log lines of ${name}`}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
        tabIndex={0}
      >
        {visible.length === 0 ? (
          <p className="muted">{search ? "No line matches." : "No log lines yet."}</p>
        ) : null}
        {visible.slice(-SHOW).map((l) => (
          <div key={l.offset} className={`log-line log-${l.stream}`}>
            <time className="log-time" dateTime={l.timestamp}>
              {clock(l.timestamp)}
            </time>
            <span className="log-phase">{l.phase}</span>
            <span className="log-text">{l.line}</span>
          </div>
        ))}
      </div>
    </section>
  );
}

interface StatusProps {
  readonly status: StreamStatus;
  readonly count: number;
  readonly total: number;
  readonly onReconnect: () => void;
}

function StatusLine({ status, count, total, onReconnect }: StatusProps) {
  const words = describe(status);
  return (
    <p className={`log-status log-status-${status.state}`} role="status">
      <span>{words}</span> ·{" "}
      {count === total ? plural(total, "line") : `${count} of ${plural(total, "line")} match`}
      {status.state === "reconnecting" ? (
        <button type="button" className="button button-small" onClick={onReconnect}>
          Reconnect now
        </button>
      ) : null}
    </p>
  );
}

function describe(status: StreamStatus): string {
  switch (status.state) {
    case "live":
      return "Live";
    case "connecting":
      return "Connecting…";
    case "reconnecting":
      return `Connection lost; reconnecting in ${Math.ceil(status.retryInMs / 1000)}s from the last line`;
    case "closed":
      return `Stream closed: ${status.reason}`;
  }
}

function clock(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? "" : new Date(time).toLocaleTimeString(undefined, { hour12: false });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
