/**
 * PostgreSQL for tests: the cluster `npm test` starts (scripts/pg-server.ts) hands its superuser URL
 * in ML_CONNECTOR_TEST_PG_URL; each suite gets a database of its own so suites never share rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testRunSettings } from '../../common/node/env';

export function testPgUrl(): string {
  const url = testRunSettings().pgUrl;
  if (!url)
    throw new Error(
      'ML_CONNECTOR_TEST_PG_URL is not set: run the tests with `npm test -- <files>` (it starts PostgreSQL)',
    );
  return url;
}

/** Creates an empty database on the test cluster; returns its URL. */
export async function freshPgDatabase(prefix = 'mlc'): Promise<string> {
  const admin = testPgUrl();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}
