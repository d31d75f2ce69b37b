/** Temporal client connections for the CLI, with the payload codec when keys are configured. */
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { openClientConnection } from '../common/node/temporal-connection';
import { temporalSettings } from '../common/node/env';
import type { TemporalSettings } from '../common/node/temporal-settings';

export interface ConnectedClient {
  client: Client;
  close(): Promise<void>;
}

/**
 * Connects with the environment's Temporal settings (TEMPORAL_ADDRESS, TLS, API key; see
 * common/node/temporal-settings.ts), validated first. `address` / `namespace` override the environment.
 */
export async function connectClient(
  address?: string,
  dataConverter?: DataConverter,
  namespace?: string,
  settings?: TemporalSettings,
): Promise<ConnectedClient> {
  const s = settings ?? temporalSettings(undefined, { address, namespace });
  const connection = await openClientConnection(s);
  return { client: new Client({ connection, namespace: s.namespace, dataConverter }), close: () => connection.close() };
}
