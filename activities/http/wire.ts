/**
 * Wire shapes are parsed at the boundary (docs/style.md §9), the same way in both clients: a body the
 * zod schema refuses becomes the vendor's protocol error (NetSuiteProtocolError, AnaplanProtocolError),
 * which is not retried — sending the same request again gets the same body — and names the request
 * and the fields that did not match. Values are never quoted: a body may hold financial data or a token.
 */
import type { z } from 'zod';
import type { ApiError, ApiErrorFields } from './errors';

/** The first few mismatches as `path: problem`, e.g. `task.taskId: Required`. */
export function shapeIssues(error: z.ZodError, max = 3): string {
  const shown = error.issues.slice(0, max).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? ` (+${more} more)` : '');
}

export interface WireRequest extends ApiErrorFields {
  taskId?: string;
  /** Which part of the answer was parsed ("row 41", "journal entry"); default "response". */
  what?: string;
}

/**
 * `value` parsed by `schema`, or the vendor's protocol error built by `refused`, with a message such as
 * `Anaplan GET /users/me: unexpected response shape (email: Required)`.
 */
export function parseWire<S extends z.ZodTypeAny>(
  schema: S,
  value: unknown,
  vendor: string,
  req: WireRequest,
  refused: (message: string, fields: Omit<WireRequest, 'what'>) => ApiError,
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data as z.output<S>;
  const { what, ...fields } = req;
  // Only a success is parsed (error answers are mapped before): 200 unless the caller knows the exact
  // status. A status also marks the failure non-retryable for Temporal (toActivityFailure).
  throw refused(
    `${vendor} ${req.method} ${req.path}: unexpected ${what ?? 'response'} shape (${shapeIssues(r.error)})`,
    {
      ...fields,
      status: fields.status ?? 200,
    },
  );
}

/** A vendor's parser: `parseWire` with its name and protocol error class filled in. */
export function wireParser(
  vendor: string,
  ProtocolError: new (message: string, fields: Omit<WireRequest, 'what'>) => ApiError,
): <S extends z.ZodTypeAny>(schema: S, value: unknown, req: WireRequest) => z.output<S> {
  return (schema, value, req) =>
    parseWire(schema, value, vendor, req, (message, fields) => new ProtocolError(message, fields));
}
