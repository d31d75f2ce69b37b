/**
 * Wire shapes of Anaplan's auth service, OAuth service and Integration API v2, parsed at the boundary
 * (docs/style.md §9). Objects are `.passthrough()` because Anaplan adds fields without notice (e.g. the
 * optional `refreshToken` on token responses, docs/anaplan.md §2.2). Model-object IDs stay strings
 * (12-digit values such as `112000000001`; numbers risk precision/format drift, docs/anaplan.md §3.4).
 */
import { z } from 'zod';

/** Some IDs arrive as JSON numbers (e.g. `viewReadRequest.viewId`, docs/anaplan.md §3.4); normalise to string. */
const id = z.union([z.string(), z.number()]).transform(String);

/** `POST /token/authenticate` and `/token/refresh` (docs/anaplan.md §2.2). `expiresAt`: epoch milliseconds. */
export const AuthTokenResponse = z
  .object({
    status: z.string().optional(),
    statusMessage: z.string().optional(),
    tokenInfo: z
      .object({
        tokenId: z.string().optional(),
        tokenValue: z.string().min(1),
        expiresAt: z.number(),
        refreshTokenId: z.string().optional(),
      })
      .passthrough(),
  })
  .passthrough();
export type AuthTokenResponse = z.infer<typeof AuthTokenResponse>;

/** `POST /oauth/token` (docs/anaplan.md §2.7): `expires_in` seconds (2100 live). */
export const OAuthTokenResponse = z
  .object({
    access_token: z.string().min(1),
    refresh_token: z.string().optional(),
    expires_in: z.number(),
    token_type: z.string().optional(),
    scope: z.string().optional(),
  })
  .passthrough();
export type OAuthTokenResponse = z.infer<typeof OAuthTokenResponse>;

/** `POST /oauth/device/code` (docs/anaplan.md §2.7). `interval` seconds between polls (RFC 8628, default 5). */
export const DeviceCodeResponse = z
  .object({
    device_code: z.string(),
    user_code: z.string(),
    verification_uri: z.string(),
    verification_uri_complete: z.string().optional(),
    expires_in: z.number(),
    interval: z.number().optional(),
  })
  .passthrough();
export type DeviceCodeResponse = z.infer<typeof DeviceCodeResponse>;

export const Paging = z
  .object({
    currentPageSize: z.number(),
    offset: z.number(),
    totalSize: z.number(),
    next: z.string().optional(),
    previous: z.string().optional(),
  })
  .passthrough();

/** Envelope of every Integration response: `{meta:{schema, paging?}, status:{code,message}, <key>}` (docs/anaplan.md §3.1). */
export const Envelope = z
  .object({
    meta: z.object({ paging: Paging.optional() }).passthrough().optional(),
    status: z.object({ code: z.number(), message: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();

export const NamedObject = z.object({ id, name: z.string() }).passthrough();
export type NamedObject = z.infer<typeof NamedObject>;

export const User = z
  .object({
    id,
    email: z.string(),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    active: z.boolean().optional(),
  })
  .passthrough();
export type User = z.infer<typeof User>;

export const Workspace = z
  .object({
    id,
    name: z.string(),
    active: z.boolean().optional(),
    sizeAllowance: z.number().optional(),
    currentSize: z.number().optional(),
  })
  .passthrough();
export type Workspace = z.infer<typeof Workspace>;

export const Model = z
  .object({ id, name: z.string(), activeState: z.string().optional(), currentWorkspaceId: z.string().optional() })
  .passthrough();
export type Model = z.infer<typeof Model>;

/** Import listing (docs/anaplan.md §6): `importDataSourceId` is the 113… file to upload into; may be empty. */
export const ImportInfo = z
  .object({ id, name: z.string(), importDataSourceId: z.string().optional(), importType: z.string().optional() })
  .passthrough();
export type ImportInfo = z.infer<typeof ImportInfo>;

export const ExportInfo = z
  .object({
    id,
    name: z.string(),
    exportType: z.string().optional(),
    exportFormat: z.string().optional(),
    layout: z.string().optional(),
  })
  .passthrough();
export type ExportInfo = z.infer<typeof ExportInfo>;

/** File listing (docs/anaplan.md §5): export outputs carry only id, name, chunkCount, firstDataRow, headerRow. */
export const FileInfo = z
  .object({
    id,
    name: z.string(),
    chunkCount: z.number().optional(),
    firstDataRow: z.number().optional(),
    headerRow: z.number().optional(),
    separator: z.string().optional(),
    encoding: z.string().optional(),
  })
  .passthrough();
export type FileInfo = z.infer<typeof FileInfo>;

export const Chunk = z.object({ id, name: z.string().optional() }).passthrough();

/** `GET …/lists/{listId}` → `metadata` (docs/anaplan.md §4.2); `parent` is set for a composite hierarchy's child list. */
export const ListMetadata = z
  .object({
    id,
    name: z.string(),
    itemCount: z.number().optional(),
    parent: z.object({ id, name: z.string() }).passthrough().optional(),
  })
  .passthrough();
export type ListMetadata = z.infer<typeof ListMetadata>;

export const ListItem = z
  .object({
    id,
    name: z.string(),
    code: z.string().optional(),
    parent: z.string().optional(),
    parentId: z.string().optional(),
  })
  .passthrough();
export type ListItem = z.infer<typeof ListItem>;

export const LineItem = z
  .object({ id, name: z.string(), moduleId: id.optional(), moduleName: z.string().optional() })
  .passthrough();
export type LineItem = z.infer<typeof LineItem>;

export const VersionInfo = z
  .object({ id, name: z.string(), isActual: z.boolean().optional(), isCurrent: z.boolean().optional() })
  .passthrough();
export type VersionInfo = z.infer<typeof VersionInfo>;

export const ImportMetadata = z
  .object({
    name: z.string(),
    type: z.string().optional(),
    source: z
      .object({ headerNames: z.array(z.string()).optional(), columnCount: z.number().optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();
export type ImportMetadata = z.infer<typeof ImportMetadata>;

export const ExportMetadata = z
  .object({
    headerNames: z.array(z.string()).optional(),
    columnCount: z.number().optional(),
    layout: z.string().optional(),
    exportFormat: z.string().optional(),
  })
  .passthrough();
export type ExportMetadata = z.infer<typeof ExportMetadata>;

/** `details[].values` is a flat key/value list: `["successRowCount","10","failedCount","0",…]` (docs/anaplan.md §7.2). */
export const TaskDetail = z
  .object({
    localMessageText: z.string().optional(),
    occurrences: z.number().optional(),
    type: z.string().optional(),
    values: z.array(z.string()).optional(),
  })
  .passthrough();
export type TaskDetail = z.infer<typeof TaskDetail>;

export interface TaskResult {
  successful: boolean;
  failureDumpAvailable: boolean;
  objectId?: string;
  objectName?: string;
  details?: TaskDetail[];
  nestedResults?: TaskResult[];
}
export const TaskResult: z.ZodType<TaskResult, z.ZodTypeDef, unknown> = z.lazy(() =>
  z
    .object({
      successful: z.boolean(),
      failureDumpAvailable: z.boolean().default(false),
      objectId: id.optional(),
      objectName: z.string().optional(),
      details: z.array(TaskDetail).optional(),
      nestedResults: z.array(TaskResult).optional(),
    })
    .passthrough(),
);

/** States per docs/anaplan.md §7.2; unknown future states pass through as strings and are treated as running. */
export const TASK_TERMINAL = new Set(['COMPLETE', 'CANCELLED']);
export const Task = z
  .object({
    taskId: z.string(),
    taskState: z.string().optional(),
    progress: z.number().optional(),
    currentStep: z.string().optional(),
    creationTime: z.number().optional(),
    result: TaskResult.optional(),
  })
  .passthrough();
export type Task = z.infer<typeof Task>;

export type ActionType = 'imports' | 'exports' | 'processes';
