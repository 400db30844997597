// Every runbook, run on DuckDB against generated logs whose answers are known: from the
// attack's ground truth, from hand-made calls, or from an oracle that reads the raw files.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toInstant } from '../../../../lib/domain/time.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import type { SqlCell } from '../../../../lib/ports.ts';
import { bindRunbook, loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import {
  END,
  GHOST_KEY,
  GHOST_USER,
  HOSTILE_AGENT,
  type InvestigationLogs,
  type OracleRecord,
  PERSON,
  PERSON_EMAIL,
  readOracle,
  SSO_ROLE,
  START,
  writeInvestigationLogs,
} from '../../../fixtures/investigation-logs.ts';

const runbooks = loadRunbooks();
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'Client.UnauthorizedOperation',
  'AuthorizationError',
]);
const WINDOW = { start: toInstant(START), end: toInstant(END) };

let logs: InvestigationLogs;
let engine: DuckDbQueryEngine;
let oracle: OracleRecord[];
// The attack and the hand-made calls alone, a few files: for the tests of a runbook's shape,
// layout and binding, whose answers do not depend on background traffic. Each query over the
// full trail's ~1,100 files costs ~0.5–5 s of CPU; over these, tens of milliseconds.
let quiet: InvestigationLogs;
let quietEngine: DuckDbQueryEngine;

beforeAll(async () => {
  logs = writeInvestigationLogs();
  engine = await DuckDbQueryEngine.open(logs.root);
  oracle = await readOracle(logs.root);
  quiet = writeInvestigationLogs({ events: 0 });
  quietEngine = await DuckDbQueryEngine.open(quiet.root);
});
afterAll(async () => {
  await engine.close();
  await quietEngine.close();
});

async function run(
  id: string,
  values: Record<string, string>,
  on: DuckDbQueryEngine = engine,
): Promise<Record<string, SqlCell>[]> {
  return (await on.run(bindRunbook(runbooks.get(id)!, values))).rows;
}

const byPrincipal = (arn: string) => (x: OracleRecord) =>
  x.r.userIdentity?.arn === arn || x.r.userIdentity?.sessionContext?.sessionIssuer?.arn === arn;
const within = (start: string, end: string) => (x: OracleRecord) =>
  x.r.eventTime >= start && x.r.eventTime < end;
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('runbooks on generated logs with known answers', () => {
  it('first-seen counts the trigger against the baseline, as the raw records do', async () => {
    const { truth } = logs;
    const baselineEnd = '2026-01-15T11:00:00Z';
    const values = {
      account: truth.account,
      principal: truth.roleArn,
      source_ip: truth.attackerIp,
      user_agent_prefix: truth.attackerUserAgent,
      event_region: 'us-east-1',
      event_source: 'iam.amazonaws.com',
      event_name: 'AttachRolePolicy',
      baseline_start: WINDOW.start,
      baseline_end: baselineEnd,
    };
    const baseline = oracle.filter(byPrincipal(truth.roleArn)).filter(within(WINDOW.start, baselineEnd));

    const rows = await run('first-seen', values);

    expect(rows).toEqual([
      {
        baseline_events: baseline.length,
        from_source_ip: 0,
        with_user_agent: 0,
        in_region: baseline.filter((x) => x.r.awsRegion === 'us-east-1').length,
        with_event_name: 0,
        distinct_source_ips: new Set(baseline.map((x) => x.r.sourceIPAddress)).size,
        distinct_user_agents: new Set(baseline.map((x) => x.r.userAgent)).size,
      },
    ]);
    expect(baseline.length).toBeGreaterThan(1000);
    // The attacker-shaped user agent in the baseline is found by its exact value, as data.
    const [hostile] = await run('first-seen', { ...values, user_agent_prefix: HOSTILE_AGENT });
    expect(hostile!.with_user_agent).toBe(1);
  });

  it('principal-activity groups the footprint by API, busiest first', async () => {
    const { truth } = logs;
    const mine = oracle.filter(byPrincipal(truth.roleArn)).filter(within(WINDOW.start, WINDOW.end));
    const groups = new Map<string, OracleRecord[]>();
    for (const x of mine) {
      const key = `${x.r.eventSource}\n${x.r.eventName}`;
      groups.set(key, [...(groups.get(key) ?? []), x]);
    }
    const expected = [...groups.values()]
      .map((calls) => ({
        eventsource: calls[0]!.r.eventSource,
        eventname: calls[0]!.r.eventName,
        calls: calls.length,
        succeeded: calls.filter((x) => !x.r.errorCode).length,
        denied: calls.filter((x) => DENIED.has(x.r.errorCode)).length,
        source_ips: new Set(calls.map((x) => x.r.sourceIPAddress)).size,
        first_call: calls.map((x) => x.r.eventTime).sort()[0],
        last_call: calls
          .map((x) => x.r.eventTime)
          .sort()
          .at(-1),
      }))
      .sort(
        (a, b) =>
          b.calls - a.calls ||
          compareText(a.eventsource, b.eventsource) ||
          compareText(a.eventname, b.eventname),
      );

    expect(
      await run('principal-activity', { account: truth.account, principal: truth.roleArn, ...WINDOW }),
    ).toEqual(expected);
    expect(expected.find((row) => row.eventname === 'ListAccounts')).toMatchObject({ calls: 1, denied: 1 });
  });

  it('access-key-activity is the stolen key timeline: the instance, then the attacker', async () => {
    const { truth } = logs;
    const withKey = oracle
      .filter((x) => x.r.userIdentity?.accessKeyId === truth.accessKeyId)
      .sort((a, b) => compareText(a.r.eventTime, b.r.eventTime) || compareText(a.r.eventID, b.r.eventID));

    const rows = await run('access-key-activity', {
      account: truth.account,
      access_key_id: truth.accessKeyId,
      ...WINDOW,
    });

    expect(rows.map((row) => [row.eventtime, row.eventname, row.sourceipaddress])).toEqual(
      withKey.map((x) => [x.r.eventTime, x.r.eventName, x.r.sourceIPAddress]),
    );
    expect(rows.filter((row) => row.sourceipaddress === truth.attackerIp)).toHaveLength(16);
  });

  it('session-activity follows one role session by name, and no other', async () => {
    const { truth } = logs;
    const rows = await run('session-activity', {
      account: truth.account,
      role_arn: truth.roleArn,
      session_name: truth.sessionName,
      start: truth.startedAt.replace('.000', ''),
      end: toInstant(END),
    });
    const expected = oracle.filter(
      (x) =>
        x.r.userIdentity?.sessionContext?.sessionIssuer?.arn === truth.roleArn &&
        x.r.userIdentity?.arn?.endsWith(`/${truth.sessionName}`) &&
        x.r.eventTime >= truth.startedAt.replace('.000', ''),
    );

    expect(rows).toHaveLength(expected.length);
    expect(new Set(rows.map((row) => row.accesskeyid)).size).toBeGreaterThanOrEqual(1);
    expect(rows.some((row) => row.eventname === 'CreateLoginProfile')).toBe(true);
  });

  it('persistence-created lists exactly the footholds the attack left', async () => {
    const { truth } = logs;

    const rows = await run('persistence-created', {
      account: truth.account,
      principal: truth.roleArn,
      ...WINDOW,
    });

    expect(
      rows.map((row) => [row.eventname, row.target, row.policy_arn, row.created_access_key, row.errorcode]),
    ).toEqual([
      ['AttachRolePolicy', 'app-server', 'arn:aws:iam::aws:policy/AdministratorAccess', null, null],
      ['CreateUser', truth.backdoorUser, null, null, null],
      ['CreateAccessKey', truth.backdoorUser, null, truth.backdoorAccessKeyId, null],
      ['CreateLoginProfile', truth.backdoorUser, null, null, null],
    ]);
  });

  it('error-burst finds the probing, window by window', async () => {
    const { truth } = logs;
    const values = { account: truth.account, principal: truth.roleArn, ...WINDOW };

    // Four denials within five minutes of the attack: one hour-long window holds them all.
    expect(await run('error-burst', { ...values, burst_window: '1h', min_denied: '1' })).toEqual([
      {
        first_denied: '2026-01-15T11:21:34Z',
        last_denied: '2026-01-15T11:26:16Z',
        denied: 4,
        distinct_actions: 4,
      },
    ]);
    // In two-minute windows only 11:22–11:24 holds two of them.
    expect(await run('error-burst', { ...values, burst_window: '2m', min_denied: '2' })).toEqual([
      {
        first_denied: '2026-01-15T11:22:21Z',
        last_denied: '2026-01-15T11:23:08Z',
        denied: 2,
        distinct_actions: 2,
      },
    ]);
  });

  it('data-access puts the shared snapshot first, then the secrets read', async () => {
    const { truth } = logs;

    const rows = await run('data-access', { account: truth.account, principal: truth.roleArn, ...WINDOW });

    expect(rows[0]).toMatchObject({
      eventname: 'ModifySnapshotAttribute',
      resource: truth.sharedSnapshot,
      calls: 1,
      shared_out: 1,
    });
    expect(rows).toContainEqual(
      expect.objectContaining({
        eventname: 'GetSecretValue',
        resource: truth.exfiltratedSecret,
        calls: 1,
        shared_out: 0,
      }),
    );
    const parameterReads = oracle
      .filter(byPrincipal(truth.roleArn))
      .filter((x) => x.r.eventName === 'GetParameter').length;
    expect(rows).toContainEqual(
      expect.objectContaining({
        eventname: 'GetParameter',
        resource: '/orders/db-url',
        calls: parameterReads,
      }),
    );
  });

  it('post-cutoff-activity splits the calls after a cutoff by region, for sessions issued before it', async () => {
    const { truth } = logs;
    const cutoff = '2026-01-15T11:26:00Z';
    const activeSince = '2026-01-15T10:26:00Z';
    const covered = oracle
      .filter((x) => x.r.userIdentity?.sessionContext?.sessionIssuer?.arn === truth.roleArn)
      .filter((x) => x.r.userIdentity.sessionContext.attributes.creationDate < cutoff)
      .filter((x) => x.r.eventTime > activeSince);
    const regions = [...new Set(covered.map((x) => x.region))].sort();

    const rows = await run('post-cutoff-activity', {
      account: truth.account,
      principal: truth.roleArn,
      active_since: activeSince,
      cutoff,
      source_identity: '',
      session_user_id: '',
      until_day: '2026/01/15',
    });
    const someoneElse = await run('post-cutoff-activity', {
      account: truth.account,
      principal: truth.roleArn,
      active_since: activeSince,
      cutoff,
      source_identity: 'someone-else@example.com',
      session_user_id: '',
      until_day: '2026/01/15',
    });

    // The instance's sessions carry no source identity: filtering on one leaves nothing.
    expect(someoneElse).toEqual([]);
    expect(rows).toEqual(
      regions.map((region) => {
        const here = covered.filter((x) => x.region === region);
        const after = here.filter((x) => x.r.eventTime > cutoff);
        return {
          region,
          calls_before_cutoff: here.length - after.length,
          succeeded: after.filter((x) => !x.r.errorCode).length,
          denied: after.filter((x) => DENIED.has(x.r.errorCode)).length,
          other_errors: after.filter((x) => x.r.errorCode && !DENIED.has(x.r.errorCode)).length,
          last_call:
            after
              .map((x) => x.r.eventTime)
              .sort()
              .at(-1) ?? null,
        };
      }),
    );
    // The attack's last two IAM calls came after this cutoff and succeeded.
    expect(rows.find((row) => row.region === 'us-east-1')!.succeeded).toBeGreaterThanOrEqual(2);
  });

  it('log-watermark reports how far each region has delivered', async () => {
    const { truth } = logs;
    const delivered = oracle.filter((x) => x.account === truth.account && x.r.eventTime >= '2026-01-14');

    const rows = await run('log-watermark', {
      account: truth.account,
      from_day: '2026/01/14',
      until_day: '2026/01/15',
    });

    expect(rows).toEqual(
      [...new Set(delivered.map((x) => x.region))].sort().map((region) => {
        const here = delivered.filter((x) => x.region === region);
        return {
          region,
          watermark: here
            .map((x) => x.r.eventTime)
            .sort()
            .at(-1),
          events: here.length,
        };
      }),
    );
  });

  it('identity-inventory finds a person by IAM user, keys and source identity', async () => {
    const { truth } = logs;
    const asUser = oracle.filter(
      (x) => x.r.userIdentity?.type === 'IAMUser' && x.r.userIdentity.userName === PERSON,
    );
    const keyed = asUser.filter((x) => x.r.userIdentity.accessKeyId?.startsWith('AKIA'));

    const rows = await run('identity-inventory', { account: truth.account, person: PERSON, ...WINDOW });

    expect(rows.map((row) => [row.kind, row.identifier, row.calls])).toEqual([
      ['access-key', keyed[0]!.r.userIdentity.accessKeyId, keyed.length],
      ['iam-user', `arn:aws:iam::${truth.account}:user/${PERSON}`, asUser.length],
      ['source-identity-role', `arn:aws:iam::${truth.account}:role/deploy`, 3],
    ]);
  });

  it('identity-inventory finds an Identity Center session and what it created', async () => {
    const { truth } = logs;

    const rows = await run('identity-inventory', { account: truth.account, person: PERSON_EMAIL, ...WINDOW });

    expect(rows.map((row) => [row.kind, row.identifier, row.calls, row.succeeded])).toEqual([
      ['created:CreateAccessKey', GHOST_KEY, 1, 1],
      ['created:CreateUser', GHOST_USER, 1, 1],
      [
        'identity-center-role',
        `arn:aws:iam::${truth.account}:role/aws-reserved/sso.amazonaws.com/${SSO_ROLE}`,
        3,
        3,
      ],
    ]);
  });

  it('used-actions lists the APIs a role used successfully', async () => {
    const { truth } = logs;
    const used = oracle.filter(byPrincipal(truth.roleArn)).filter((x) => !x.r.errorCode);

    const rows = await run('used-actions', { account: truth.account, principal: truth.roleArn, ...WINDOW });

    expect(rows.map((row) => `${row.eventsource}:${row.eventname}`)).toEqual(
      [...new Set(used.map((x) => `${x.r.eventSource}:${x.r.eventName}`))].sort(),
    );
    expect(rows.reduce((total, row) => total + Number(row.calls), 0)).toBe(used.length);
    expect(rows.some((row) => row.eventname === 'ListAccounts')).toBe(false);
  });

  it('every runbook returns only scalar columns, named as its header says', async () => {
    for (const runbook of runbooks.values()) {
      const result = await quietEngine.run(bindRunbook(runbook, validValues(runbook.id)));
      expect(result.columns, runbook.id).toEqual(runbook.outputs.map((output) => output.name));
      for (const row of result.rows) {
        for (const cell of Object.values(row)) expect(typeof cell === 'object' && cell !== null).toBe(false);
      }
    }
  });
});

describe('an organisation trail with a key prefix', () => {
  it('gives every runbook the same rows as the same records in a trail of one account', async () => {
    // The same files, moved to where an organisation trail with a prefix writes them.
    const organisation = mkdtempSync(join(tmpdir(), 'revoker-org-layout-'));
    const flat = join(quiet.root, 'AWSLogs');
    for (const file of readdirSync(flat, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.json.gz')) continue;
      const moved = join(organisation, 'trails', 'central', 'AWSLogs', 'o-a1b2c3d4e5', file);
      mkdirSync(dirname(moved), { recursive: true });
      copyFileSync(join(flat, file), moved);
    }
    const other = await DuckDbQueryEngine.open(organisation);
    try {
      let rows = 0;
      for (const runbook of runbooks.values()) {
        const request = bindRunbook(runbook, validValues(runbook.id));
        const expected = (await quietEngine.run(request)).rows;
        expect((await other.run(request)).rows, runbook.id).toEqual(expected);
        rows += expected.length;
      }
      // Not a comparison of empty answers.
      expect(rows).toBeGreaterThan(100);
    } finally {
      await other.close();
    }
  });
});

/** A valid value for every parameter of every runbook, for the whole generated window of the quiet trail. */
function validValues(id: string): Record<string, string> {
  const { truth } = quiet;
  const common: Record<string, string> = {
    account: truth.account,
    principal: truth.roleArn,
    role_arn: truth.roleArn,
    access_key_id: truth.accessKeyId,
    session_name: truth.sessionName,
    person: PERSON,
    source_ip: truth.attackerIp,
    user_agent_prefix: 'aws-cli/2.15.30',
    event_region: 'us-east-1',
    event_source: 'iam.amazonaws.com',
    event_name: 'AttachRolePolicy',
    burst_window: '10m',
    min_denied: '1',
    start: WINDOW.start,
    end: WINDOW.end,
    baseline_start: WINDOW.start,
    baseline_end: WINDOW.end,
    active_since: WINDOW.start,
    cutoff: '2026-01-15T11:26:00Z',
    source_identity: '',
    session_user_id: '',
    from_day: '2026/01/12',
    until_day: '2026/01/15',
  };
  const runbook = runbooks.get(id)!;
  return Object.fromEntries(
    runbook.parameters
      .filter((parameter) => parameter.name in common)
      .map((parameter) => [parameter.name, common[parameter.name]!]),
  );
}

describe('hostile parameter values', () => {
  const HOSTILE = [
    "'",
    "' OR '1'='1",
    "x'); DROP VIEW cloudtrail_logs; --",
    '-- the rest is a comment',
    '/* unterminated comment',
    "' UNION SELECT eventname, eventname, eventname FROM cloudtrail_logs --",
    '? :account $1',
    '\\',
    'ʼ OR ʼ1ʼ=ʼ1', // U+02BC, which some systems fold to a quote
    '\u202Egnp.exe', // right-to-left override
    'zero\u200Bwidth 🙂 ü',
    'nul\u0000byte',
    "'".repeat(600),
    'A'.repeat(10 * 1024),
  ];

  it.each([...runbooks.keys()])(
    '%s: each hostile value is rejected, or answers as a harmless one',
    async (id) => {
      const runbook = runbooks.get(id)!;
      const base = validValues(id);
      for (const parameter of runbook.parameters) {
        const harmless =
          parameter.type === 'text'
            ? await run(id, { ...base, [parameter.name]: 'harmless-value-not-in-any-log' }, quietEngine)
            : null;
        for (const hostile of HOSTILE) {
          const values = { ...base, [parameter.name]: hostile };
          let request: ReturnType<typeof bindRunbook>;
          try {
            request = bindRunbook(runbook, values);
          } catch (error) {
            expect((error as Error).name, `${id}.${parameter.name}`).toBe('RunbookParameterError');
            continue;
          }
          // Only free text gets through, and then only as data.
          expect(parameter.type, `${id}.${parameter.name} accepted ${JSON.stringify(hostile)}`).toBe('text');
          expect((await quietEngine.run(request)).rows, `${id}.${parameter.name}`).toEqual(harmless);
        }
      }
      // The table is still there, whole.
      const [count] = await run('log-watermark', validValues('log-watermark'), quietEngine);
      expect(count!.events).toBeGreaterThan(0);
    },
  );
});
