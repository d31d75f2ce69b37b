/**
 * Test access to the run's shared Temporal server. `npm test` starts one and sets TEMPORAL_ADDRESS;
 * a file run on its own (`node --import tsx --test file`) starts its own in-memory server.
 */
import { Client, type Connection } from '@temporalio/client';
import { openClientConnection } from '../../common/node/temporal-connection';
import { startTemporal, type TemporalServer } from '../../client/dev-server';

export interface TestTemporal {
  server: TemporalServer;
  connection: Connection;
  client: Client;
  close(): Promise<void>;
}

export async function testTemporal(): Promise<TestTemporal> {
  const server = await startTemporal({ startTimeoutMs: 120_000 });
  const connection = await openClientConnection(server.settings);
  const client = new Client({ connection, namespace: server.namespace });
  return {
    server,
    connection,
    client,
    async close() {
      await connection.close();
      await server.stop();
    },
  };
}

let counter = 0;
/** A task queue no other test file or run uses, so workers never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}
