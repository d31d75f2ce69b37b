/**
 * Redaction at the source (docs/design.md §6): anything that may reach a log line, an error message or a
 * Temporal payload passes through here first.
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/(Bearer|AnaplanAuthToken|Basic|CACertificate)\s+[A-Za-z0-9._~+/=-]+/g, '$1 [REDACTED]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[REDACTED PRIVATE KEY]'],
];

/**
 * `key: value` / `key=value` / `"key": "value"` for secret-named keys. A quoted value is removed up
 * to its closing quote (escapes included), so a password with spaces or commas leaves nothing behind;
 * an unquoted one up to the next delimiter (form bodies encode spaces as `+`).
 */
const SECRET_FIELD =
  /((?:"|')?(?:password|client_assertion|client_secret|access_token|refresh_token|tokenValue|token|secret)(?:"|')?\s*[:=]\s*)(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^"'&,\s}]+)/gi;
const redactField = (match: string, key: string) => {
  const q = match[key.length];
  return `${key}${q === '"' || q === "'" ? `${q}[REDACTED]${q}` : '[REDACTED]'}`;
};

export function redactText(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const [re, repl] of PATTERNS) out = out.replace(re, repl);
  out = out.replace(SECRET_FIELD, redactField);
  for (const s of extraSecrets) if (s.length >= 6) out = out.split(s).join('[REDACTED]');
  return out;
}
