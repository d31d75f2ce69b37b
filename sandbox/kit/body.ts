/**
 * Bounded request-body reads shared by both sandboxes. Large uploads (Anaplan file chunks) are
 * streamed by their handlers and never come through here.
 */
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends RangeError {
  constructor(readonly maxBytes: number) {
    super(`request body larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export async function readBody(req: IncomingMessage, maxBytes = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyTooLargeError(maxBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; undefined when empty, throws SyntaxError when malformed. */
export async function readJsonBody(req: IncomingMessage, maxBytes?: number): Promise<unknown> {
  const buf = await readBody(req, maxBytes);
  if (buf.length === 0) return undefined;
  return JSON.parse(buf.toString('utf8'));
}
