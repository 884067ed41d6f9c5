import { useDocumentTitle } from "../hooks.ts";
import { Link } from "../router.tsx";

export function NotFound() {
  useDocumentTitle("Page not found");
  return (
    <section className="page">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <Link to="/">Go to your apps</Link>
      </p>
    </section>
  );
}
