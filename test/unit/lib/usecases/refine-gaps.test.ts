// `revoker refine --check`: each refused call judged against the principal's policies, and a
// refusal by the deny a revocation put on it told apart from a permission the workload lacks.
import { describe, expect, it } from 'vitest';
import {
  olderSessionsStatement,
  REVOCATION_POLICY_NAME,
} from '../../../../lib/domain/revocation/policies.ts';
import type { QueryEngine } from '../../../../lib/ports.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { refusedCalls } from '../../../../lib/usecases/refine.ts';

const ROLE = 'arn:aws:iam::111122223333:role/service/app-server';

/** The access-denied runbook's answer: one refused GetParameter. */
const engine: QueryEngine = {
  run: async () => ({
    columns: [],
    rows: [
      {
        eventsource: 'ssm.amazonaws.com',
        eventname: 'GetParameter',
        region: 'us-east-1',
        errorcode: 'AccessDeniedException',
        bucket: null,
        object_key: null,
        resource: '/app/db-url',
        source_ips: 1,
        calls: 2,
        first_denied: '2026-01-15T10:00:00Z',
        last_denied: '2026-01-15T10:01:00Z',
      },
    ],
    bytesScanned: null,
    engineMillis: 1,
  }),
};
const window = {
  account: '111122223333',
  principal: ROLE,
  start: new Date('2026-01-14T00:00:00Z'),
  end: new Date('2026-01-15T12:00:00Z'),
};
const own = [
  {
    name: 'app',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }],
    },
  },
];

describe('refusedCalls', () => {
  it('says a refusal by a revocation’s deny is the revocation working, not a missing permission', async () => {
    const revocation = {
      name: REVOCATION_POLICY_NAME,
      document: { Version: '2012-10-17', Statement: [olderSessionsStatement('2026-01-15T09:00:00Z')] },
    };

    const [revoked] = await refusedCalls(window, { engine, runbooks: loadRunbooks() }, own, [revocation]);
    const [elsewhere] = await refusedCalls(window, { engine, runbooks: loadRunbooks() }, own);
    const [missing] = await refusedCalls(window, { engine, runbooks: loadRunbooks() }, []);

    expect(revoked?.currentPolicies).toBe('revoked');
    expect(elsewhere?.currentPolicies).toBe('allowed');
    expect(missing?.currentPolicies).toBe('not-allowed');
  });
});
