/**
 * A workflow history as searchable text: keys and values, with every byte array shown both as
 * UTF-8 and as base64. The objects are walked directly because proto messages' toJSON renders
 * payload bytes as base64 only, which a plain-text search would miss.
 */
export function historyText(history: unknown): string {
  const parts: string[] = [];
  const walk = (n: unknown): void => {
    if (n instanceof Uint8Array) parts.push(Buffer.from(n).toString('utf8'), Buffer.from(n).toString('base64'));
    else if (Array.isArray(n)) n.forEach(walk);
    else if (n !== null && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        parts.push(k);
        walk(v);
      }
    } else if (n !== undefined && n !== null) parts.push(String(n));
  };
  walk(history);
  return parts.join('\n');
}
