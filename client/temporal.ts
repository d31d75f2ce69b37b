/** Temporal client connections for the CLI, with the payload codec when keys are configured. */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';

export interface ConnectedClient {
  client: Client;
  close(): Promise<void>;
}

export async function connectClient(address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', dataConverter?: DataConverter, namespace = process.env.TEMPORAL_NAMESPACE ?? 'default'): Promise<ConnectedClient> {
  const connection = await Connection.connect({ address, connectTimeout: '10s' });
  return { client: new Client({ connection, namespace, dataConverter }), close: () => connection.close() };
}
