/**
 * Shapes of the secrets kept in the credential vault (docs/design.md §6). The CLI, the vault and the
 * activities that resolve credentials by connection name all parse with these schemas.
 */
import { z } from 'zod';
import { CredentialShapeError } from './errors';

const pem = (label: string) =>
  z.string().refine((s) => s.includes(`-----BEGIN`) && s.includes(`-----END`), { message: `must be a PEM ${label}` });

/** NetSuite OAuth 2.0 client credentials (M2M): a JWT signed with the private key of an uploaded certificate. */
export const netsuiteSecretSchema = z
  .object({
    accountId: z.string().min(1), // e.g. "1234567" or "1234567_SB1" (sandbox)
    clientId: z.string().min(1), // integration record's consumer key
    certificateId: z.string().min(1), // "kid" shown on the OAuth 2.0 Client Credentials setup page
    privateKeyPem: pem('private key'),
    certificatePem: pem('certificate'),
    algorithm: z.enum(['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'RS256']),
  })
  .strict();

export const anaplanSecretSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('basic'), username: z.string().min(1), password: z.string().min(1) }).strict(),
  z
    .object({ type: z.literal('certificate'), certificatePem: pem('certificate'), privateKeyPem: pem('private key') })
    .strict(),
  // Device-grant OAuth: the refresh token rotates and is written back with CredentialVault.update().
  z
    .object({
      type: z.literal('oauth'),
      clientId: z.string().min(1),
      refreshToken: z.string().min(1),
      // The access token of the last refresh (any process), shared so others use it instead of refreshing.
      accessToken: z.string().min(1).optional(),
      accessTokenExpiresAt: z.number().int().positive().optional(),
    })
    .strict(),
]);

export type NetsuiteSecret = z.infer<typeof netsuiteSecretSchema>;
export type AnaplanSecret = z.infer<typeof anaplanSecretSchema>;
export type CredentialKind = 'netsuite' | 'anaplan';
export const CREDENTIAL_KINDS: readonly CredentialKind[] = ['netsuite', 'anaplan'];
export interface SecretByKind {
  netsuite: NetsuiteSecret;
  anaplan: AnaplanSecret;
}

/** Plain-text, non-secret facts shown by `credentials list`; bound to the record by the AEAD tag. */
export const metadataSchema = z.record(
  z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/),
  z.union([z.string().max(512), z.number(), z.boolean(), z.null()]),
);
export type CredentialMetadata = z.infer<typeof metadataSchema>;

/** What `list()` returns: never secrets. */
export interface CredentialInfo {
  name: string;
  kind: CredentialKind;
  createdAt: string;
  updatedAt: string;
  /** Derived on write: "certificate" (NetSuite, Anaplan certificate), "basic", "oauth". */
  authType: string;
  /** ISO time the stored certificate stops being valid, when there is one. */
  certificateExpiry?: string;
  metadata: CredentialMetadata;
}

export const CONNECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkConnection(name: string, kind: string): asserts kind is CredentialKind {
  if (!CONNECTION_NAME.test(name))
    throw new CredentialShapeError(`connection name must match ${CONNECTION_NAME.source}`);
  if (!CREDENTIAL_KINDS.includes(kind as CredentialKind)) {
    throw new CredentialShapeError(`credential kind must be one of ${CREDENTIAL_KINDS.join(', ')}`);
  }
}

/** Validates a secret for its kind; the error lists field paths and problem codes, never values. */
export function parseSecret<K extends CredentialKind>(kind: K, value: unknown, what: string): SecretByKind[K] {
  const schema = kind === 'netsuite' ? netsuiteSecretSchema : anaplanSecretSchema;
  const r = schema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`).join('; ');
    throw new CredentialShapeError(`${what}: invalid ${kind} credentials (${problems})`);
  }
  return r.data as SecretByKind[K];
}

export function parseMetadata(value: unknown, what: string): CredentialMetadata {
  const r = metadataSchema.safeParse(value ?? {});
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`).join('; ');
    throw new CredentialShapeError(`${what}: invalid metadata (${problems})`);
  }
  return r.data;
}
