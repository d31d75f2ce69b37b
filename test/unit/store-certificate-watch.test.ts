import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { certificateWarnings, type CredentialInfo } from '../../activities/store';

const now = new Date('2026-11-27T12:00:00.000Z');
const rec = (name: string, kind: 'netsuite' | 'anaplan', certificateExpiry?: string): CredentialInfo => ({
  name,
  kind,
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
  authType: 'certificate',
  metadata: {},
  ...(certificateExpiry ? { certificateExpiry } : {}),
});

describe('certificateWarnings', () => {
  it('warns for certificates expiring within 30 days and for expired ones, naming the credentials', () => {
    const vault = {
      list: () => [
        rec('far', 'netsuite', '2027-06-01T00:00:00.000Z'),
        rec('soon', 'netsuite', '2026-12-10T00:00:00.000Z'),
        rec('gone', 'anaplan', '2026-11-20T00:00:00.000Z'),
        rec('basic', 'anaplan'),
      ],
    };
    const w = certificateWarnings(vault, { now });
    assert.equal(w.length, 2);
    assert.match(w[0]!, /NetSuite certificate of credentials "soon" expires in 12 days \(2026-12-10\)/);
    assert.match(w[1]!, /Anaplan certificate of credentials "gone" expired on 2026-11-20/);
    assert.deepEqual(certificateWarnings(vault, { now, warnDays: 5 }).length, 1);
  });
});
