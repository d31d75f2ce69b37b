/**
 * Points the connector at the embedded sandboxes (sandbox/embedded.ts): stores their demo credentials
 * in the vault, pinned to the sandboxes' loopback URLs, and builds the demo connection config. Used by
 * `npm start`, `ml-connector sandbox`, the chaos and bench scripts and the e2e tests; the sandboxes
 * themselves know nothing of the connector.
 */
import type { ConnectionConfigInput } from '../common/config';
import { anaplanPins, netsuitePins, type CredentialMetadata, type CredentialVault } from '../activities/store';
import type { Sandboxes } from '../sandbox/embedded';

/** Vault metadata pinning Anaplan credentials to the Anaplan sandbox (auth, OAuth and API on one URL). */
export function sandboxAnaplanPins(s: Pick<Sandboxes, 'anaplan'>): CredentialMetadata {
  return anaplanPins({ authUrl: s.anaplan.url, oauthUrl: s.anaplan.url, apiUrl: s.anaplan.url });
}

/** Vault metadata pinning NetSuite credentials to the NetSuite sandbox. */
export function sandboxNetsuitePins(s: Pick<Sandboxes, 'netsuite'>): CredentialMetadata {
  return netsuitePins(s.netsuite.accountId, s.netsuite.url);
}

/**
 * Stores the sandboxes' demo credentials in the vault under `<name>-netsuite` / `<name>-anaplan`
 * and returns a connection config for them (the default mapping of the demo company).
 */
export function sandboxConnection(
  s: Sandboxes,
  vault: CredentialVault,
  name = 'demo',
  overrides: Partial<ConnectionConfigInput> = {},
): ConnectionConfigInput {
  const d = s.netsuite.demoClient;
  // Pinned to the sandboxes' loopback URLs (issue 13 item 1): these credentials go nowhere else.
  vault.set(
    `${name}-netsuite`,
    'netsuite',
    {
      accountId: s.netsuite.accountId,
      clientId: d.clientId,
      certificateId: d.certificateId,
      privateKeyPem: d.privateKeyPem,
      certificatePem: d.certificatePem,
      algorithm: d.algorithm,
    },
    { source: 'sandbox', ...sandboxNetsuitePins(s) },
  );
  vault.set(
    `${name}-anaplan`,
    'anaplan',
    { type: 'basic', username: s.anaplan.demoUser.email, password: s.anaplan.demoUser.password },
    { source: 'sandbox', ...sandboxAnaplanPins(s) },
  );
  const dim = (list: string, sync: boolean) => ({ list, sync, ...(sync ? { importAction: `Import ${list}` } : {}) });
  return {
    name,
    netsuite: {
      accountId: s.netsuite.accountId,
      baseUrl: s.netsuite.url,
      credentials: `${name}-netsuite`,
      concurrency: 5,
    },
    anaplan: {
      workspaceId: s.anaplan.workspaceId,
      modelId: s.anaplan.modelId,
      authUrl: s.anaplan.url,
      apiUrl: s.anaplan.url,
      oauthUrl: s.anaplan.url,
      credentials: `${name}-anaplan`,
      // The sandbox's tasks take about half a second: poll at a matching pace.
      pollInitialMs: 250,
      pollMaxMs: 2_000,
    },
    actions: { importActuals: 'Import GL Actuals', exportPlan: 'Export Approved Plan' },
    dimensions: {
      // 6990 Suspense is kept out of the plan's chart: its postings are quarantined and reported.
      // Accounts is a composite hierarchy in the seeded model: summary accounts live in Account Groups.
      accounts: {
        ...dim('Accounts', true),
        overrides: { '6990': null },
        ...(s.anaplan.state.config.compositeAccounts
          ? { parentList: 'Account Groups', parentImportAction: 'Import Account Groups' }
          : {}),
      },
      subsidiaries: dim('Subsidiaries', true),
      // Planners maintain Departments in Anaplan; a NetSuite department missing there is quarantined.
      departments: dim('Departments', false),
      classes: dim('Classes', true),
      locations: dim('Locations', true),
    },
    plan: { versions: ['Budget', 'Forecast'] },
    journals: {
      offsetAccount: '2900',
      approvalStatus: 'approved',
      memo: 'ml-connector plan',
      externalIdPrefix: 'mlc',
      maxLinesPerJournal: 200,
    },
    schedule: { businessDay: 3, hour: 6, minute: 0, timezone: 'America/New_York', kind: 'full' },
    ...overrides,
  };
}
