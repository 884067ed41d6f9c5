import { useEffect, useRef } from "react";
import { isSignedOut } from "../api/client.ts";
import { explain } from "../problem-help.ts";

interface Props {
  readonly error: unknown;
  readonly onRetry?: () => void;
  /** Move focus to the alert, for errors that answer a submit. */
  readonly focus?: boolean;
}

/** An api error as the user should read it: what happened (the problem's detail) and what to do. */
export function ErrorAlert({ error, onRetry, focus = false }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focus && error) ref.current?.focus();
  }, [focus, error]);
  if (!error) return null;
  const shown = explain(error);
  return (
    <div className="alert alert-error" role="alert" tabIndex={-1} ref={ref}>
      <p className="alert-title">{shown.title}</p>
      <p>{shown.detail}</p>
      <p className="alert-hint">
        <strong>What to do:</strong> {shown.hint}
      </p>
      <p className="alert-code">
        Error code <code>{shown.code}</code>
      </p>
      {isSignedOut(error) ? (
        // A full load: the shell asks who is signed in again and shows the sign-in page.
        <button type="button" className="button" onClick={() => location.assign("/")}>
          Sign in again
        </button>
      ) : null}
      {onRetry && !isSignedOut(error) ? (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A feature whose api route this server does not have yet. */
export function Unavailable({
  feature,
  children,
}: {
  readonly feature: string;
  readonly children?: React.ReactNode;
}) {
  return (
    <div className="alert alert-info" role="status">
      <p className="alert-title">{feature} is not available on this server yet</p>
      {children}
    </div>
  );
}
