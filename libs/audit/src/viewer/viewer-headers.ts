/**
 * Only the viewer's own origin, for everything: its scripts, its styles, and the GraphQL API it
 * calls. No inline script or style, no eval, no frames, no plugins, no form posts elsewhere.
 */
export const VIEWER_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every viewer response. */
export const VIEWER_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': VIEWER_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};
