/**
 * ID formats of the real service (docs/anaplan.md §3.4): users and workspaces are 32
 * lowercase hex, models and tasks 32 uppercase hex, model objects 12-digit strings with a type prefix
 * (101 lists, 102 modules, 107 versions, 112 imports, 113 import files, 116 exports, 118 processes).
 */
import { randomBytes } from 'node:crypto';

export function hex32(random: () => number): string {
  let out = '';
  for (let i = 0; i < 32; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** Task and read-request IDs: 32 uppercase hex, random (never deterministic across runs). */
export function taskId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** `prefix` is the 3-digit type prefix, e.g. 112 for imports: 112000000000 + n. */
export function objectId(prefix: number, n: number): string {
  return String(prefix * 1_000_000_000 + n);
}

export function uuid(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
