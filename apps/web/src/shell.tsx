import { useEffect, useRef } from "react";
import { isSignedOut } from "./api/client.ts";
import { getMe, signOut } from "./api/endpoints.ts";
import type { User } from "./api/types.ts";
import { ErrorAlert } from "./components/error-alert.tsx";
import { useLoad } from "./hooks.ts";
import { LiveNotice } from "./live/live-notice.tsx";
import { startLiveUpdates } from "./live/live-updates.ts";
import { AppPage } from "./pages/app-page.tsx";
import { Dashboard } from "./pages/dashboard.tsx";
import { NewApp } from "./pages/new-app.tsx";
import { NotFound } from "./pages/not-found.tsx";
import { SignIn } from "./pages/sign-in.tsx";
import { Tokens } from "./pages/tokens.tsx";
import { Link, matchRoute, navigate, useLocation } from "./router.tsx";

/** Header, skip link and the page for the current route; signed-out visitors get the sign-in page. */
export function Shell() {
  const location = useLocation();
  const me = useLoad("me", getMe);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const signedIn = me.data !== undefined && !me.error;
  // One events socket for the whole signed-in session; pages subscribe to it (ADR 0096).
  useEffect(() => (signedIn ? startLiveUpdates() : undefined), [signedIn]);

  // After a client-side navigation, put focus on the new page's heading as a page load would.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each navigation by design
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [location.split("?")[0]]);

  if (me.loading && !me.data && !me.error) {
    return (
      <p className="boot" role="status">
        Loading Kli8nt…
      </p>
    );
  }
  const signedOut = isSignedOut(me.error) || (!me.data && !me.error);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header user={signedOut ? null : (me.data ?? null)} />
      <main id="main" ref={main} className="main">
        {me.error && !isSignedOut(me.error) ? (
          <ErrorAlert error={me.error} onRetry={me.reload} />
        ) : signedOut || !me.data ? (
          <SignIn />
        ) : (
          <>
            <LiveNotice />
            <Page location={location} />
          </>
        )}
      </main>
    </>
  );
}

function Page({ location }: { readonly location: string }) {
  const route = matchRoute(location);
  switch (route.page) {
    case "dashboard":
      return <Dashboard />;
    case "new-app":
      return <NewApp />;
    case "app":
      return <AppPage key={route.name} name={route.name} tab={route.tab} />;
    case "tokens":
      return <Tokens />;
    case "sign-in":
      return <Redirect to="/" />;
    default:
      return <NotFound />;
  }
}

function Header({ user }: { readonly user: User | null }) {
  const out = async () => {
    try {
      await signOut();
    } finally {
      navigate("/", { replace: true });
      location.reload();
    }
  };
  return (
    <header className="header">
      <Link to="/" className="brand" aria-label="Kli8nt, your apps">
        <span aria-hidden="true" className="brand-mark">
          K
        </span>
        Kli8nt
      </Link>
      {user ? (
        <nav aria-label="Main" className="header-nav">
          <Link to="/">Apps</Link>
          <Link to="/apps/new" className="button button-small">
            New app
          </Link>
          <div className="header-account">
            <span className="header-user" title={user.name ?? user.login}>
              {user.login}
            </span>
            <Link to="/tokens" className="button button-small button-quiet">
              Tokens
            </Link>
            <button type="button" className="button button-small button-quiet" onClick={() => void out()}>
              Sign out
            </button>
          </div>
        </nav>
      ) : null}
    </header>
  );
}

/** Already signed in: /sign-in has nothing to show, so go to the apps without a history entry. */
function Redirect({ to }: { readonly to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
