import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

/**
 * The dashboard's Content-Security-Policy (ADR 0132). The built UI is one module script and one stylesheet
 * from /assets, talking to its own origin over fetch and WebSocket, so nothing inline is allowed: a tenant
 * name or a log line that slips into the page as markup cannot run. React's `style` props set CSSOM
 * properties, which style-src does not govern. The favicon is a data: URL.
 */
export const CONTENT_SECURITY_POLICY = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "font-src": ["'self'"],
  // 'self' covers ws:/wss: to the same host in CSP Level 3 browsers (Chromium, Firefox, Safari).
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

/**
 * Security headers on every answer of the api and the UI: CSP, nosniff, no framing (CSP and the older
 * X-Frame-Options), a same-origin referrer, and HSTS when the public URL is https.
 */
export async function installSecurityHeaders(app: FastifyInstance, options: { secure: boolean }) {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "same-origin" },
    // Over plain http (a local install) HSTS would be ignored at best and sticky on localhost at worst.
    strictTransportSecurity: options.secure ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    // The UI loads nothing cross-origin; COEP would only break GitHub's OAuth redirect pages for no gain.
    crossOriginEmbedderPolicy: false,
  });
}
