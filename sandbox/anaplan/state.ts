/**
 * Everything the sandbox remembers: the seeded model, server files, users and their credentials,
 * tokens (auth service and OAuth), tasks with a per-model timeline, dumps, faults, the tenant budget
 * and a clock offset (so a test can jump past a 35-minute token lifetime without waiting).
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { FileStore, type StoredChunk } from './files';
import { Faults } from './faults';
import { RequestStats } from '../kit/stats';
import { TenantBudget } from './rate-limit';
import { buildSeed, type Seed } from './seed';
import type { SandboxTask, TaskScheduler, TimelineEntry } from './tasks';
import { hex32, uuid } from './ids';
import type { ReadRequest } from './read-requests';
import { rng } from '../demo-company';

export interface SandboxConfig {
  seed: number;
  /** Auth-service token lifetime (35 minutes on the real service, docs/anaplan.md §2.3). */
  tokenLifetimeSec: number;
  requestsPerMinute: number;
  /** Budget window; 60 000 for "per minute", shorter only to make tests fast. */
  rateWindowMs: number;
  /** Minimum run time of every task (the model lock is held this long). */
  taskDurationMs: number;
  /** Extra run time per source/exported row (large imports take longer). */
  msPerRow: number;
  /** Accepted clock skew for certificate v2 timestamps (UNCONFIRMED on the real service). */
  certSkewSec: number;
  /** Refuse v1 (un-timestamped) certificate payloads, as Anaplan does after its 2026 cut-over. */
  requireCertV2: boolean;
  deviceCodeTtlSec: number;
  /** Device-grant polling interval sent to clients (RFC 8628 `interval`; Anaplan's example 5 s). */
  deviceIntervalSec: number;
  /** OAuth access-token lifetime (`expires_in` 2100 s live, docs/anaplan.md §2.7). */
  oauthAccessTokenSec: number;
  /** Rotatable refresh tokens: a new one on every use and the old one refused (docs/anaplan.md §2.7). */
  rotateRefreshTokens: boolean;
  dumpChunkBytes: number;
  exportChunkBytes: number;
  /**
   * While a task holds a model, model endpoints other than actions/tasks/dumps/status wait for it
   * ("All other endpoints wait for the model to become available", docs/anaplan.md §8).
   */
  blockWhileBusy: boolean;
  /** `/token/refresh` returns a new tokenValue (Anaplan Connect fixtures) instead of the same one (live report). */
  refreshNewTokenValue: boolean;
  /** `POST …/files/{id}/complete` answers 500 to users who are not workspace admins (seen live, docs/anaplan.md §16). */
  completeRequiresAdmin: boolean;
  /**
   * Re-posting the exact chunk count on an open-ended (`-1`) upload whose chunks are all present
   * closes it; off (default), any chunk-count POST restarts the upload and discards the chunks.
   * Which one the real service does is UNCONFIRMED; the connector survives both.
   */
  chunkCountFinalizes: boolean;
  /** Seed Accounts as a composite hierarchy under `Account Groups` (default) instead of one parent-child list. */
  compositeAccounts: boolean;
  /** Largest page of a large-volume read request (view or list), in bytes. */
  readPageBytes: number;
  /** Every read-request page starts with the CSV header (off: page 0 only); which one is real is UNCONFIRMED. */
  readPageHeaderEveryPage: boolean;
  /**
   * HTTP status of the device-grant `authorization_pending` and `slow_down` answers: 400 per RFC 8628;
   * Anaplan's own status is UNCONFIRMED (docs/anaplan.md §2.7), and some OAuth servers use 403 / 429.
   */
  devicePollStatus: number;
  /** `details[].type` of a module import's result (UNCONFIRMED, docs/anaplan.md §15); the counts are keyed the same either way. */
  moduleDetailType: string;
  /** Task `currentStep` texts in another wording (`Running`, `Completed`, `Failed`…); the real texts are UNCONFIRMED (docs/anaplan.md §15). */
  alternateStepTexts: boolean;
  /** Imports match Time periods by exact case (`OCT 26` ≠ `Oct 26`); whether the real import does is UNCONFIRMED (docs/anaplan.md §11, §15). */
  periodCaseSensitive: boolean;
}

/** Switches the control plane may flip at run time (`POST /__sandbox/switches`). */
export const RUNTIME_SWITCHES = [
  'completeRequiresAdmin',
  'chunkCountFinalizes',
  'blockWhileBusy',
  'refreshNewTokenValue',
  'requireCertV2',
  'periodCaseSensitive',
  'alternateStepTexts',
  'readPageHeaderEveryPage',
] as const;

export const DEFAULT_CONFIG: SandboxConfig = {
  seed: 42,
  tokenLifetimeSec: 35 * 60,
  requestsPerMinute: 600,
  rateWindowMs: 60_000,
  taskDurationMs: 500,
  msPerRow: 0,
  certSkewSec: 300,
  requireCertV2: false,
  deviceCodeTtlSec: 900,
  deviceIntervalSec: 5,
  oauthAccessTokenSec: 2100,
  rotateRefreshTokens: true,
  dumpChunkBytes: 10 * 1024 * 1024,
  exportChunkBytes: 10 * 1024 * 1024,
  refreshNewTokenValue: false,
  blockWhileBusy: true,
  completeRequiresAdmin: false,
  chunkCountFinalizes: false,
  compositeAccounts: true,
  readPageBytes: 10 * 1024 * 1024,
  readPageHeaderEveryPage: false,
  devicePollStatus: 400,
  moduleDetailType: 'moduleRowsProcessed',
  periodCaseSensitive: false,
  alternateStepTexts: false,
};

export interface SandboxUser {
  id: string;
  email: string;
  password?: string;
  certificatePem?: string;
  certFingerprint?: string;
  firstName: string;
  lastName: string;
  /** Workspace administrator (the seeded integration user is one until the control plane says otherwise). */
  workspaceAdmin: boolean;
}

export interface IssuedToken {
  tokenId: string;
  value: string;
  refreshTokenId: string;
  userId: string;
  expiresAt: number;
  revoked: boolean;
  source: 'auth' | 'oauth';
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  intervalMs: number;
  lastPollAt?: number;
  approvedUserId?: string;
  denied: boolean;
  consumed: boolean;
}

export interface RefreshToken {
  value: string;
  clientId: string;
  userId: string;
  scope: string;
  expiresAt?: number;
  used: boolean;
}

export interface AuthEvent {
  at: number;
  kind: 'authenticate' | 'refresh' | 'validate' | 'logout' | 'device-code' | 'oauth-token' | 'oauth-refresh' | 'revoke';
  method?: 'basic' | 'certificate-v1' | 'certificate-v2' | 'device' | 'refresh_token';
  email?: string;
  ok: boolean;
  reason?: string;
}

export interface DemoUser {
  email: string;
  password: string;
  certificatePem: string;
  privateKeyPem: string;
}

export class SandboxState {
  seedData!: Seed;
  files!: FileStore;
  readonly users = new Map<string, SandboxUser>();
  readonly tokens = new Map<string, IssuedToken>();
  readonly devices = new Map<string, DeviceAuthorization>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  /** OAuth device-grant client registered in the tenant (client_id → rotatable). */
  readonly oauthClients = new Map<string, { rotatable: boolean }>();
  /** SHA-256 of v2 certificate payloads already used, with the time they may be forgotten. */
  readonly usedCertPayloads = new Map<string, number>();
  readonly tasks = new Map<string, SandboxTask>();
  readonly timeline = new Map<string, TimelineEntry[]>();
  /** Latest dump per user and import (older tasks' dumps answer 404, docs/anaplan.md §7.2). */
  readonly latestDump = new Map<string, { taskId: string; chunks: StoredChunk[]; createdAt: number }>();
  readonly authLog: AuthEvent[] = [];
  /** Large-volume read requests (views and lists) by request id. */
  readonly readRequests = new Map<string, ReadRequest>();
  /** Kit statistics: requests per `METHOD /route/:pattern` (control plane excluded) and faults fired. */
  readonly stats = new RequestStats();
  faults: Faults;
  budget: TenantBudget;
  clockOffsetMs = 0;
  /** Bumped by reset so tasks of the previous model never write into the new one. */
  epoch = 0;
  readonly demoClientId: string;
  /** Set by the server right after construction (tasks.ts needs the state, and vice versa). */
  scheduler!: TaskScheduler;
  /** When the model was (re)opened: the `creationTime` of its idle status (epoch ms). */
  modelOpenedAt = 0;
  /** Base URL the server listens on (for `meta.validationUrl`, paging links, verification URIs). */
  baseUrl = '';

  /** Switch values at start-up, restored by reset. */
  private readonly startSwitches: Pick<SandboxConfig, (typeof RUNTIME_SWITCHES)[number]>;

  constructor(
    readonly config: SandboxConfig,
    readonly dataDir: string,
    readonly demoUser: DemoUser,
  ) {
    this.startSwitches = Object.fromEntries(RUNTIME_SWITCHES.map((k) => [k, config[k]])) as typeof this.startSwitches;
    this.faults = new Faults(config.seed);
    this.faults.onFired = (rule) => this.stats.fault(rule.label);
    this.budget = new TenantBudget(config.requestsPerMinute, config.rateWindowMs);
    const random = rng(config.seed + 7);
    this.demoClientId = hex32(random);
    this.reseed();
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Requests per route as a Map (the form scripts/bench.ts reads). */
  get requests(): Map<string, number> {
    return new Map(Object.entries(this.stats.requests));
  }

  get model() {
    return this.seedData.model;
  }

  private reseed(): void {
    this.seedData = buildSeed(this.config.seed, { compositeAccounts: this.config.compositeAccounts });
    // The switch is read at lookup time, so flipping it at run time takes effect at once.
    this.seedData.model.periodCaseSensitive = () => this.config.periodCaseSensitive;
    this.modelOpenedAt = this.now();
    this.files = new FileStore(this.dataDir);
    this.files.seed(this.seedData.files);
    this.oauthClients.set(this.demoClientId, { rotatable: this.config.rotateRefreshTokens });
    this.addUser({
      email: this.demoUser.email,
      password: this.demoUser.password,
      certificatePem: this.demoUser.certificatePem,
    });
  }

  async reset(): Promise<void> {
    this.epoch++;
    for (const f of this.files.files.values()) await this.files.deleteAll(f);
    for (const t of this.tasks.values())
      if (t.state === 'NOT_STARTED' || t.state === 'IN_PROGRESS') t.cancelRequested = true;
    this.scheduler?.clearQueues();
    for (const m of [
      this.users,
      this.tokens,
      this.devices,
      this.refreshTokens,
      this.oauthClients,
      this.usedCertPayloads,
      this.tasks,
      this.timeline,
      this.latestDump,
      this.readRequests,
    ])
      m.clear();
    this.stats.reset();
    this.authLog.length = 0;
    this.faults.clear();
    this.budget.reset();
    this.clockOffsetMs = 0;
    Object.assign(this.config, this.startSwitches);
    this.reseed();
  }

  addUser(input: {
    email: string;
    password?: string;
    certificatePem?: string;
    firstName?: string;
    lastName?: string;
    workspaceAdmin?: boolean;
  }): SandboxUser {
    const existing = [...this.users.values()].find((u) => u.email.toLowerCase() === input.email.toLowerCase());
    const user: SandboxUser = existing ?? {
      id: randomBytes(16).toString('hex'),
      email: input.email,
      firstName: input.firstName ?? input.email.split('@')[0]!,
      lastName: input.lastName ?? 'User',
      workspaceAdmin: true,
    };
    if (input.password !== undefined) user.password = input.password;
    if (input.workspaceAdmin !== undefined) user.workspaceAdmin = input.workspaceAdmin;
    if (input.certificatePem !== undefined) {
      user.certificatePem = input.certificatePem;
      user.certFingerprint = new X509Certificate(input.certificatePem).fingerprint256;
    }
    this.users.set(user.id, user);
    return user;
  }

  userByEmail(email: string): SandboxUser | undefined {
    return [...this.users.values()].find((u) => u.email.toLowerCase() === email.toLowerCase());
  }

  userByCertificate(fingerprint: string): SandboxUser | undefined {
    return [...this.users.values()].find((u) => u.certFingerprint === fingerprint);
  }

  /** A token value shaped like the documented example: three base64 segments joined by dots (§2.2). */
  issueToken(userId: string, source: IssuedToken['source'], lifetimeSec: number): IssuedToken {
    const seg = (n: number) => randomBytes(n).toString('base64');
    const token: IssuedToken = {
      tokenId: uuid(),
      value: `${seg(12)}.${seg(48)}.${seg(24)}`,
      refreshTokenId: uuid(),
      userId,
      expiresAt: this.now() + lifetimeSec * 1000,
      revoked: false,
      source,
    };
    this.tokens.set(token.value, token);
    return token;
  }

  /** The token behind an Integration API `Authorization` header, if live. */
  liveToken(value: string): IssuedToken | undefined {
    const t = this.tokens.get(value);
    if (!t || t.revoked || t.expiresAt <= this.now()) return undefined;
    return t;
  }

  revokeTokens(email?: string): number {
    let n = 0;
    for (const t of this.tokens.values()) {
      const u = this.users.get(t.userId);
      if (!t.revoked && (email === undefined || u?.email.toLowerCase() === email.toLowerCase())) {
        t.revoked = true;
        n++;
      }
    }
    this.authLog.push({ at: this.now(), kind: 'revoke', email, ok: true, reason: `${n} tokens` });
    return n;
  }

  rememberCertPayload(encodedData: string, untilMs: number): boolean {
    const now = this.now();
    for (const [k, until] of this.usedCertPayloads) if (until < now) this.usedCertPayloads.delete(k);
    const h = createHash('sha256').update(encodedData).digest('hex');
    if (this.usedCertPayloads.has(h)) return false;
    this.usedCertPayloads.set(h, untilMs);
    return true;
  }

  timelineFor(modelId: string): TimelineEntry[] {
    let t = this.timeline.get(modelId);
    if (!t) this.timeline.set(modelId, (t = []));
    return t;
  }
}
