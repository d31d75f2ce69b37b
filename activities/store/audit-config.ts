/**
 * Which audit backend a setting names: `postgres://…` / `postgresql://…` opens the PostgreSQL
 * trail (shared by every host), anything else is the embedded SQLite file.
 */
import { AuditTrail, type AuditStore } from './audit';
import { isPostgresUrl, PgAuditStore } from './audit-pg';

export function openAuditStore(spec: string, opts: { readonly?: boolean } = {}): AuditStore {
  return isPostgresUrl(spec)
    ? new PgAuditStore({ url: spec, readonly: opts.readonly })
    : new AuditTrail({ file: spec, readonly: opts.readonly });
}
