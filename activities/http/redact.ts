/**
 * Redaction at the source (DESIGN.md §6): anything that may reach a log line, an error message or a
 * Temporal payload passes through here first.
 */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$/i;
const PATTERNS: Array<[RegExp, string]> = [
  [/(Bearer|AnaplanAuthToken|Basic|CACertificate)\s+[A-Za-z0-9._~+/=-]+/g, '$1 [REDACTED]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[REDACTED PRIVATE KEY]'],
  [/("?(?:password|client_assertion|access_token|refresh_token|tokenValue|token|secret)"?\s*[:=]\s*"?)[^"&,\s}]+/gi, '$1[REDACTED]'],
];

export function redactText(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const [re, repl] of PATTERNS) out = out.replace(re, repl);
  for (const s of extraSecrets) if (s.length >= 6) out = out.split(s).join('[REDACTED]');
  return out;
}

export function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = SECRET_HEADER.test(k) ? '[REDACTED]' : v;
  return out;
}
