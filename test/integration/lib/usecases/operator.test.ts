// The operator API's use cases on the local stand-ins (file case store, audit log, IAM account,
// scheduler, the local pipeline): who may ask for which grants and who must approve them, what
// dry-run does, what a forged bus event can do (nothing), who may run which runbooks, who may
// offboard whom — each decision audited.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Access, callerOf } from '../../../../lib/domain/access.ts';
import { executionNameOf } from '../../../../lib/domain/case.ts';
import type { Config } from '../../../../lib/domain/config.ts';
import { FileAuditLog } from '../../../../lib/local/audit-log.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import { generate } from '../../../../lib/local/generator/generate.ts';
import type { OverprivilegedWorkloadTruth } from '../../../../lib/local/generator/scenarios.ts';
import { localGrantGuardArn, withGrantGuard } from '../../../../lib/local/grant-guard.ts';
import { authorizerFor, initialAccountState, LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { openLocalPipeline, SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import { LocalTaskCallbacks } from '../../../../lib/local/task-callbacks.ts';
import { AccountNotEnrolledError, type QueryEngine } from '../../../../lib/ports.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { requireCase } from '../../../../lib/usecases/cases.ts';
import { detect } from '../../../../lib/usecases/detect.ts';
import {
  admitCaller,
  answerCaseAs,
  approveGrantRequest,
  finishGrantRequest,
  listGrantRequests,
  OFFBOARD_CONFIRM_HOURS,
  OperatorConflictError,
  OperatorRefusedError,
  offboardAs,
  readAudit,
  refineAs,
  requestGrant,
  runRunbookAs,
  takeGrantAnnouncement,
} from '../../../../lib/usecases/operator.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { escalatingAttack } from '../../../fixtures/escalating-attack.ts';
import { pipelineFilesIn } from '../../../fixtures/pipeline-files.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const ACCOUNT = '111122223333';
const arn = (kind: 'user' | 'role', name: string) => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const POWER_USER = 'arn:aws:iam::aws:policy/PowerUserAccess';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
/** Every grant attaches it first. */
const GUARD = localGrantGuardArn(ACCOUNT);
const shipped = await shippedConfig();

const ACCESS: Access = {
  groups: {
    responders: [
      arn('user', 'oncall'),
      arn('user', 'dana'),
      'arn:aws:iam::*:role/AWSReservedSSO_SecurityResponder_*',
      arn('role', 'ops-responder'),
    ],
    engineers: [arn('user', 'carol'), 'arn:aws:iam::*:role/AWSReservedSSO_Engineer_*'],
    hr: ['arn:aws:iam::*:role/hr-offboarding'],
  },
  accountTags: { [ACCOUNT]: ['env=dev'] },
  grants: [
    {
      group: 'engineers',
      policies: [READ_ONLY],
      principals: ['arn:aws:iam::*:user/*'],
      accounts: ['env=dev'],
      maxDuration: '8h',
      approvers: null,
    },
    {
      group: 'engineers',
      policies: [POWER_USER],
      principals: ['arn:aws:iam::*:user/*', 'arn:aws:iam::*:role/ops-*', 'arn:aws:iam::*:role/break-glass'],
      accounts: ['*'],
      maxDuration: '4h',
      approvers: 'responders',
    },
  ],
  approvals: [{ group: 'responders', severities: ['low', 'medium', 'high', 'critical'] }],
  runbooks: [
    { group: 'responders', runbooks: ['*'], accounts: ['*'] },
    { group: 'engineers', runbooks: ['principal-activity'], accounts: ['env=prod'] },
  ],
  refinements: [{ group: 'engineers', principals: ['arn:aws:iam::*:role/service-role/*'], accounts: ['*'] }],
  auditors: ['responders'],
  pendingRequestsExpireAfter: '24h',
  offboarders: ['hr', 'responders'],
  offboardingsPerHour: 10,
  runbookRunsPerHour: 2,
};

const SSO_PATH = '/aws-reserved/sso.amazonaws.com/';
const SSO_ENGINEER = 'AWSReservedSSO_Engineer_0123456789abcdef';
const SSO_RESPONDER = 'AWSReservedSSO_SecurityResponder_fedcba9876543210';
const SSO_LOOKALIKE = 'AWSReservedSSO_SecurityResponder_lookalike';
/** A person's Identity Center session through one permission set. */
const sso = (role: string, person: string) =>
  callerOf(`arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${person}`);

const carol = callerOf(arn('user', 'carol'));
const oncall = callerOf(arn('user', 'oncall'));
const dana = callerOf(arn('user', 'dana'));

/** An engine that answers every runbook with one row, counting the runs. */
function countingEngine() {
  const runs: string[] = [];
  const engine: QueryEngine = {
    run: async (request) => {
      runs.push(request.name);
      return { columns: ['n'], rows: [{ n: 1 }], bytesScanned: 1024, engineMillis: 1 };
    },
  };
  return { engine, runs };
}

async function operator(change: (config: Config) => Config = (config) => config) {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-operator-'));
  const iam = new LocalIamAccount(join(directory, 'iam.json'));
  await iam.save(
    withGrantGuard({
      accountId: ACCOUNT,
      users: Object.fromEntries(
        ['alice', 'bob', 'carol', 'oncall'].map((name) => [name, { arn: arn('user', name) }]),
      ),
      roles: {
        'ops-admin': { arn: arn('role', 'ops-admin'), path: '/' },
        'break-glass': { arn: arn('role', 'break-glass'), path: '/' },
        'payments-admin': { arn: arn('role', 'payments-admin'), path: '/' },
        [SSO_ENGINEER]: {
          arn: arn('role', `aws-reserved/sso.amazonaws.com/${SSO_ENGINEER}`),
          path: SSO_PATH,
        },
        [SSO_RESPONDER]: {
          arn: arn('role', `aws-reserved/sso.amazonaws.com/${SSO_RESPONDER}`),
          path: SSO_PATH,
        },
        // Named like Identity Center's, made by someone else: not under Identity Center's path.
        [SSO_LOOKALIKE]: { arn: arn('role', SSO_LOOKALIKE), path: '/' },
      },
    }),
  );

  const clock = new SimulatedClock(new Date('2026-01-15T10:00:00Z'));
  const alarms: Record<string, unknown>[] = [];
  const { engine, runs } = countingEngine();
  const deadLetters = new RecordingDeadLetters();
  const workflow = new RecordingWorkflow();
  const deps = {
    config: change({ ...shipped, access: ACCESS }),
    homeAccountId: ACCOUNT,
    cases: new FileCaseStore(join(directory, 'cases')),
    audit: new FileAuditLog(join(directory, 'audit.jsonl')),
    clock,
    iamFor: (accountId: string) => {
      if (accountId !== ACCOUNT) throw new AccountNotEnrolledError(`account ${accountId} is not enrolled`);
      return iam;
    },
    scheduler: new FileScheduler(join(directory, 'schedules')),
    callbacks: new LocalTaskCallbacks(join(directory, 'callbacks'), clock),
    engine,
    runbooks: loadRunbooks(),
    grantGuard: localGrantGuardArn,
    alarm: (line: Record<string, unknown>) => alarms.push(line),
    sleep: async () => {},
    deadLetters,
    workflow,
  };
  const attached = async (name: string, kind: 'users' | 'roles' = 'users') =>
    (await iam.load())[kind][name]!.attachedPolicies;
  return { deps, iam, clock, alarms, runs, deadLetters, workflow, attached };
}

const ask = (principalArn: string, policyArn: string, duration = '2h') => ({
  principalArn,
  policyArn,
  duration,
  reason: 'incident 42',
});

const activity = (account: string) => ({
  parameters: {
    account,
    principal: arn('user', 'alice'),
    start: '2026-01-14T10:00:00Z',
    end: '2026-01-15T10:00:00Z',
  },
});

describe('just-in-time grants through the operator API', () => {
  it('grants at once what the requester’s rule allows without approval, and audits it', async () => {
    const { deps, attached } = await operator();

    const request = await requestGrant(carol, ask(arn('user', 'carol'), READ_ONLY), deps);

    expect(request).toMatchObject({
      status: 'granted',
      requestedBy: carol.arn,
      grantId: expect.stringMatching(/^jit-/),
    });
    expect(await attached('carol')).toEqual([GUARD, READ_ONLY]);
    const [record] = await deps.audit.list(new Date(0), deps.clock.now());
    expect(record).toMatchObject({ identity: carol.arn, action: 'grant.request', allowed: true });
  });

  it('refuses, with the reason, anything outside the requester’s eligibility; IAM is untouched', async () => {
    const { deps, iam } = await operator();
    const before = await iam.load();

    const refusals = await Promise.all(
      [
        requestGrant(carol, ask(arn('user', 'alice'), ADMIN), deps),
        requestGrant(carol, ask(arn('role', 'app-server'), READ_ONLY), deps),
        requestGrant(carol, ask(arn('user', 'alice'), READ_ONLY, '9h'), deps),
        requestGrant(callerOf(arn('user', 'mallory')), ask(arn('user', 'alice'), READ_ONLY), deps),
        requestGrant(carol, { ...ask(arn('user', 'alice'), READ_ONLY), duration: 'forever' }, deps),
      ].map((attempt) =>
        attempt.then(
          () => 'granted',
          (error: Error) => `${error.name}: ${error.message}`,
        ),
      ),
    );

    expect(refusals).toEqual([
      `OperatorRefusedError: grants[0] (engineers): ${ADMIN} is not among its policies; grants[1] (engineers): ${ADMIN} is not among its policies`,
      `OperatorRefusedError: grants[0] (engineers): ${arn('role', 'app-server')} is not among its principals; grants[1] (engineers): ${READ_ONLY} is not among its policies`,
      `OperatorRefusedError: grants[0] (engineers): at most 8h; grants[1] (engineers): ${READ_ONLY} is not among its policies`,
      `OperatorRefusedError: ${arn('user', 'mallory')} is in no group of access.groups`,
      'OperatorRefusedError: the request is not valid: duration: a duration such as 30d, 12h, 90m or 45s',
    ]);
    expect(await iam.load()).toEqual(before);
    const audited = await deps.audit.list(new Date(0), deps.clock.now());
    expect(audited.map((record) => [record.action, record.allowed])).toEqual(
      Array(5).fill(['grant.request', false]),
    );
  });

  it('waits for a different approver where the rule says so: not the requester, not an outsider', async () => {
    const { deps, attached } = await operator();
    const request = await requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), deps);
    expect(request).toMatchObject({ status: 'pending', approvers: 'responders' });
    expect(await attached('ops-admin', 'roles')).toEqual([]);

    await expect(approveGrantRequest(carol, request.requestId, deps)).rejects.toThrow(
      'someone else must approve it',
    );
    await expect(approveGrantRequest(callerOf(arn('user', 'bob')), request.requestId, deps)).rejects.toThrow(
      'is not in responders',
    );
    const approved = await approveGrantRequest(oncall, request.requestId, deps);

    expect(approved).toMatchObject({ status: 'granted', approvedBy: oncall.arn });
    expect(await attached('ops-admin', 'roles')).toEqual([GUARD, POWER_USER]);
    await expect(approveGrantRequest(dana, request.requestId, deps)).rejects.toThrow(OperatorConflictError);
  });

  it('two approvers at once: one approval, one grant', async () => {
    const { deps, attached } = await operator();
    const request = await requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), deps);

    const answers = await Promise.allSettled([
      approveGrantRequest(oncall, request.requestId, deps),
      approveGrantRequest(dana, request.requestId, deps),
    ]);

    expect(answers.filter((answer) => answer.status === 'fulfilled')).toHaveLength(1);
    expect(await attached('ops-admin', 'roles')).toEqual([GUARD, POWER_USER]);
    const [recorded] = (await listGrantRequests(deps)).requests;
    expect(recorded).toMatchObject({ status: 'granted' });
  });

  it('in dry-run, records an eligible request and grants nothing', async () => {
    const { deps, iam } = await operator((config) => ({ ...config, mode: 'dry-run' }));
    const before = await iam.load();

    const request = await requestGrant(carol, ask(arn('user', 'carol'), READ_ONLY), deps);

    expect(request.status).toBe('dry-run');
    expect(await iam.load()).toEqual(before);
  });

  it('never attaches to a protected principal, even one a rule names', async () => {
    const { deps, attached } = await operator();

    await expect(requestGrant(carol, ask(arn('role', 'break-glass'), POWER_USER), deps)).rejects.toThrow(
      'is protected (matches arn:aws:iam::*:role/break-glass*)',
    );
    expect(await attached('break-glass', 'roles')).toEqual([]);
  });
});

describe('grants to someone else, under the shipped configuration', () => {
  const VIEW_ONLY = 'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess';
  const shippedAccess = (config: Config) => ({ ...config, access: shipped.access });

  it('an engineer cannot put the grant guard on the on-call unapproved: self-served ViewOnly is for their own user', async () => {
    const { deps, attached, iam } = await operator(shippedAccess);

    await expect(requestGrant(carol, ask(arn('user', 'oncall'), VIEW_ONLY), deps)).rejects.toThrow(
      /it needs no approval, so it grants only to your own principal/,
    );
    // The on-call holds no guard: nothing stops them assuming their roles.
    expect(await attached('oncall')).toEqual([]);
    expect(
      authorizerFor(iam.file)({
        account: ACCOUNT,
        action: 'sts:AssumeRole',
        roleName: null,
        userName: 'oncall',
        tokenIssueTime: null,
        sessionName: null,
      }),
    ).toBeNull();
    const [refusal] = await deps.audit.list(new Date(0), deps.clock.now());
    expect(refusal).toMatchObject({ identity: carol.arn, action: 'grant.request', allowed: false });
    // Her own ViewOnly is hers at once.
    await expect(requestGrant(carol, ask(arn('user', 'carol'), VIEW_ONLY), deps)).resolves.toMatchObject({
      status: 'granted',
    });
  });

  it('a grant to someone else the rules allow waits for its approvers, and counts apart from the grantee’s own', async () => {
    const { deps, clock, attached } = await operator(shippedAccess);
    const erin = sso(SSO_ENGINEER, 'erin');
    const responder = sso(SSO_RESPONDER, 'dana');
    const powerUser = async () => {
      const request = await requestGrant(erin, ask(arn('user', 'carol'), POWER_USER, '4h'), deps);
      expect(request.status).toBe('pending');
      clock.advance(1);
      return approveGrantRequest(responder, request.requestId, deps);
    };
    for (let n = 0; n < 5; n++) expect((await powerUser()).status).toBe('granted');
    expect(await attached('carol')).toEqual([GUARD, POWER_USER]);

    // Erin's sixth for carol is refused, approved as it is: no one else fills a principal's grants.
    expect(await powerUser()).toMatchObject({
      status: 'refused',
      refusal: expect.stringContaining(
        'open grants you asked for, the most one other person may ask for (5)',
      ),
    });
    // Carol's own grants have all their room.
    for (let n = 0; n < 20; n++) {
      const own = await requestGrant(carol, ask(arn('user', 'carol'), VIEW_ONLY), deps);
      expect(own.status).toBe('granted');
      clock.advance(1);
    }
  });
});

describe('bus events about grants, as an attacker would put them', () => {
  it('a forged `Grant Requested` grants nothing and is dead-lettered with the reason', async () => {
    const { deps, iam, deadLetters } = await operator();
    const before = await iam.load();
    const forged = {
      version: '0',
      id: 'forged-1',
      source: 'revoker.jit',
      'detail-type': 'Grant Requested',
      account: '999999999999',
      time: '2026-01-15T10:00:00Z',
      region: 'us-east-1',
      resources: [],
    };

    const outcomes = [
      await takeGrantAnnouncement(
        {
          ...forged,
          detail: {
            principalArn: arn('user', 'alice'),
            policyArn: ADMIN,
            duration: '7d',
            requestedBy: 'oncall',
            reason: '',
          },
        },
        deps,
      ),
      await takeGrantAnnouncement({ ...forged, detail: { requestId: 'req-000000000000000000000000' } }, deps),
    ];

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(deadLetters.letters.map((letter) => letter.reason)).toEqual([
      expect.stringContaining('a grant is asked for through the operator API'),
      'no grant request req-000000000000000000000000 was recorded by the operator API',
    ]);
    expect(await iam.load()).toEqual(before);
  });

  it('a forged `Grant Expired` naming a real grant before its end detaches nothing and is dead-lettered', async () => {
    const { deps, attached } = await operator();
    const granted = await requestGrant(carol, ask(arn('user', 'carol'), READ_ONLY), deps);
    const workflow = new RecordingWorkflow();

    const [outcome] = await detect(
      {
        version: '0',
        id: 'forged-end',
        source: 'revoker.jit',
        'detail-type': 'Grant Expired',
        account: ACCOUNT,
        time: '2026-01-15T10:05:00Z',
        region: 'us-east-1',
        resources: [],
        detail: { grantId: granted.grantId },
      },
      { ...deps, workflow },
    );

    expect(outcome).toMatchObject({ status: 'rejected', reason: expect.stringContaining('not now') });
    expect(workflow.started.size).toBe(0);
    expect(deps.deadLetters.letters).toHaveLength(1);
    expect(await attached('carol')).toEqual([GUARD, READ_ONLY]);
  });
});

describe('runbooks through the operator API', () => {
  it('refuses a runbook the caller’s group may not run on that account, with the reason, and audits it', async () => {
    const { deps, runs } = await operator();

    await expect(runRunbookAs(carol, 'principal-activity', activity(ACCOUNT), deps)).rejects.toThrow(
      `${carol.arn} may not run principal-activity on account ${ACCOUNT} (access.runbooks)`,
    );
    await expect(runRunbookAs(oncall, 'no-such-runbook', activity(ACCOUNT), deps)).rejects.toThrow(
      'no runbook no-such-runbook',
    );

    expect(runs).toEqual([]);
    const audited = await deps.audit.list(new Date(0), deps.clock.now());
    expect(audited.map((record) => [record.identity, record.action, record.allowed])).toEqual([
      [carol.arn, 'runbook.run', false],
      [oncall.arn, 'runbook.run', false],
    ]);
  });

  it('runs an allowed one, recording the runbook’s content hash, the rows and the bytes; past the hourly limit it still runs, and raises the alarm', async () => {
    const { deps, runs, alarms } = await operator();

    for (let run = 0; run < 3; run++)
      await runRunbookAs(oncall, 'principal-activity', activity(ACCOUNT), deps);

    expect(runs).toEqual(['principal-activity', 'principal-activity', 'principal-activity']);
    const audited = await readAudit(oncall, {}, deps);
    expect(audited[0]).toMatchObject({
      identity: oncall.arn,
      action: 'runbook.run',
      allowed: true,
      details: {
        contentHash: loadRunbooks().get('principal-activity')!.contentHash,
        rows: 1,
        bytesScanned: 1024,
        parameters: activity(ACCOUNT).parameters,
      },
    });
    expect(alarms).toEqual([
      {
        revokerAlarm: 'RunbookRunsOverLimit',
        identity: oncall.arn,
        person: 'person:oncall',
        runsInLastHour: 3,
        limit: 2,
      },
    ]);
    await expect(readAudit(carol, {}, deps)).rejects.toThrow('is not in a group of access.auditors');
  });
});

describe('the eligibility property', () => {
  const POLICIES = [READ_ONLY, POWER_USER, ADMIN];
  const PRINCIPALS = [
    arn('user', 'alice'),
    arn('user', 'bob'),
    arn('role', 'ops-admin'),
    arn('role', 'break-glass'),
  ];
  const PATTERNS = [
    'arn:aws:iam::*:user/*',
    'arn:aws:iam::*:role/ops-*',
    arn('user', 'alice'),
    'arn:aws:iam::*:role/*',
  ];
  const CALLERS = [carol, oncall, dana, callerOf(arn('user', 'mallory'))];

  it('no grant ever attaches a policy outside the requester’s eligibility, or to a protected principal', async () => {
    const rule = fc.record({
      group: fc.constantFrom('responders', 'engineers'),
      policies: fc.subarray(POLICIES, { minLength: 1 }),
      principals: fc.subarray(PATTERNS, { minLength: 1 }),
      accounts: fc.constantFrom<string[]>(['*'], [ACCOUNT], ['env=dev'], ['env=prod'], ['222233334444']),
      maxDuration: fc.constantFrom('1h', '4h', '8h'),
      approvers: fc.constantFrom<string | null>(null, 'responders', 'engineers'),
    });
    const attempt = fc.record({
      caller: fc.constantFrom(...CALLERS),
      approver: fc.constantFrom(...CALLERS),
      principalArn: fc.constantFrom(...PRINCIPALS),
      policyArn: fc.constantFrom(...POLICIES),
      duration: fc.constantFrom('30m', '2h', '6h'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(rule, { maxLength: 3 }),
        fc.array(attempt, { minLength: 1, maxLength: 4 }),
        async (rules, attempts) => {
          const { deps, iam } = await operator((config) => ({
            ...config,
            access: { ...ACCESS, grants: rules },
          }));
          const allowed = new Set<string>();
          for (const { caller, approver, principalArn, policyArn, duration } of attempts) {
            const request = await requestGrant(
              caller,
              { principalArn, policyArn, duration, reason: 'property' },
              deps,
            ).catch(() => null);
            if (request?.status === 'pending')
              await approveGrantRequest(approver, request.requestId, deps).catch(() => null);
            // What the requester's own rules allow, worked out here from the configuration alone.
            const groups = Object.entries(ACCESS.groups)
              .filter(([, members]) =>
                members.some((pattern) =>
                  new RegExp(
                    `^${pattern
                      .split('*')
                      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
                      .join('.*')}$`,
                  ).test(caller.principalArn),
                ),
              )
              .map(([group]) => group);
            const eligible = rules.some(
              (candidate) =>
                groups.includes(candidate.group) &&
                candidate.policies.includes(policyArn) &&
                candidate.principals.some((pattern) =>
                  new RegExp(
                    `^${pattern
                      .split('*')
                      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
                      .join('.*')}$`,
                  ).test(principalArn),
                ) &&
                (candidate.accounts.includes('*') ||
                  candidate.accounts.includes(ACCOUNT) ||
                  candidate.accounts.includes('env=dev')) &&
                Number.parseInt(duration, 10) * (duration.endsWith('m') ? 60 : 3600) <=
                  Number.parseInt(candidate.maxDuration, 10) * 3600,
            );
            if (eligible && !principalArn.endsWith('/break-glass'))
              allowed.add(`${principalArn} ${policyArn}`);
          }
          const state = await iam.load();
          const held = [
            ...Object.values(state.users).flatMap((user) =>
              user.attachedPolicies.map((policy) => `${user.arn} ${policy}`),
            ),
            ...Object.values(state.roles).flatMap((role) =>
              role.attachedPolicies.map((policy) => `${role.arn} ${policy}`),
            ),
          ];
          for (const grant of held.filter((held) => !held.endsWith(` ${GUARD}`))) {
            expect(allowed).toContain(grant);
            // Never a granted policy without the guard.
            expect(held).toContain(`${grant.split(' ')[0]} ${GUARD}`);
          }
          expect(state.roles['break-glass']!.attachedPolicies).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe('who the caller is', () => {
  it('admits identities of its own account only: a user `oncall` elsewhere is someone else', async () => {
    const { deps } = await operator();

    await expect(admitCaller(oncall.arn, deps)).resolves.toMatchObject({ arn: oncall.arn });
    await expect(admitCaller('arn:aws:iam::999999999999:user/oncall', deps)).rejects.toThrow(
      'is an identity of account 999999999999: the operator API answers identities of account 111122223333 only',
    );
    const [refusal] = await deps.audit.list(new Date(0), deps.clock.now());
    expect(refusal).toMatchObject({
      identity: 'arn:aws:iam::999999999999:user/oncall',
      action: 'caller.admit',
      allowed: false,
    });
  });

  it('admits an Identity Center session only when IAM keeps its role where Identity Center does', async () => {
    const { deps } = await operator();

    await expect(admitCaller(sso(SSO_RESPONDER, 'bob').arn, deps)).resolves.toMatchObject({
      identityCenter: true,
    });
    await expect(admitCaller(sso(SSO_LOOKALIKE, 'bob').arn, deps)).rejects.toThrow(
      `${SSO_LOOKALIKE} is named like an IAM Identity Center role, but IAM has it as ${arn('role', SSO_LOOKALIKE)}`,
    );
    await expect(
      admitCaller(sso('AWSReservedSSO_SecurityResponder_nowhere', 'bob').arn, deps),
    ).rejects.toThrow(OperatorRefusedError);
  });

  it('one Identity Center person is one person through every permission set: alice cannot approve her own request', async () => {
    const { deps, attached } = await operator();
    const request = await requestGrant(
      sso(SSO_ENGINEER, 'alice@example.com'),
      ask(arn('role', 'ops-admin'), POWER_USER),
      deps,
    );

    await expect(
      approveGrantRequest(sso(SSO_RESPONDER, 'Alice@example.com'), request.requestId, deps),
    ).rejects.toThrow('asked for this grant: someone else must approve it');
    expect(await attached('ops-admin', 'roles')).toEqual([]);
    await expect(
      approveGrantRequest(sso(SSO_RESPONDER, 'bob@example.com'), request.requestId, deps),
    ).resolves.toMatchObject({ status: 'granted' });
  });

  it('the principal to be granted never approves its own grant', async () => {
    const { deps, attached } = await operator();
    const asked = await requestGrant(carol, ask(oncall.arn, POWER_USER), deps);

    await expect(approveGrantRequest(oncall, asked.requestId, deps)).rejects.toThrow(
      `${oncall.arn} is ${oncall.arn}, the principal to be granted: someone else must approve it`,
    );
    expect(await attached('oncall')).toEqual([]);
  });

  it('counts runbook runs per person: sessions of one role under many names are one identity', async () => {
    const { deps, alarms } = await operator();

    for (const session of ['one', 'two', 'three'])
      await runRunbookAs(
        callerOf(`arn:aws:sts::${ACCOUNT}:assumed-role/ops-responder/${session}`),
        'principal-activity',
        activity(ACCOUNT),
        deps,
      );

    expect(alarms).toEqual([
      expect.objectContaining({ person: arn('role', 'ops-responder'), runsInLastHour: 3, limit: 2 }),
    ]);
  });
});

describe('what a grant request names', () => {
  it('must be the principal exactly as IAM has it: a made-up path cannot meet a rule the real one does not', async () => {
    const { deps, attached } = await operator();

    // IAM finds roles by name: ops-x/payments-admin would be payments-admin, which no rule names.
    await expect(
      requestGrant(carol, ask(arn('role', 'ops-x/payments-admin'), POWER_USER), deps),
    ).rejects.toThrow(
      `IAM has this role as ${arn('role', 'payments-admin')}, not ${arn('role', 'ops-x/payments-admin')}: ask for it by the ARN IAM has`,
    );
    await expect(requestGrant(carol, ask(arn('role', 'ops-ghost'), POWER_USER), deps)).rejects.toThrow(
      `${arn('role', 'ops-ghost')} was not found in IAM`,
    );
    expect(await attached('payments-admin', 'roles')).toEqual([]);
  });

  it('is refused whole when it could not be recorded as asked: a duration under a minute, an ARN IAM could not have', async () => {
    const { deps } = await operator();

    for (const body of [
      ask(arn('user', 'alice'), READ_ONLY, '30s'),
      ask(arn('user', 'alice'), READ_ONLY, '0m'),
      ask(arn('user', 'al ice'), READ_ONLY),
    ])
      await expect(requestGrant(carol, body, deps)).rejects.toThrow('the request is not valid');

    expect((await listGrantRequests(deps)).requests).toEqual([]);
  });

  it('one person asks for at most 50 grants a day; the listing reads the days asked for', async () => {
    const { deps, clock } = await operator();
    for (let request = 0; request < 50; request++) {
      await requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), deps);
      clock.advance(1);
    }

    await expect(requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), deps)).rejects.toThrow(
      `${carol.arn} asked for 50 grants today: at most 50 a day`,
    );
    clock.advance(86_400);
    await requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), deps);

    expect((await listGrantRequests(deps)).requests).toHaveLength(51);
    expect((await listGrantRequests(deps, { days: 1 })).requests).toHaveLength(1);
  });

  it('one person asking for many grants at once gets no more than 50 a day recorded', async () => {
    const { deps } = await operator();
    const asked = await Promise.allSettled(
      Array.from({ length: 57 }, (_, n) =>
        requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), {
          ...deps,
          clock: { now: () => new Date(Date.parse('2026-01-15T10:00:00Z') + n * 1000) },
        }),
      ),
    );

    const recorded = asked.filter((result) => result.status === 'fulfilled');
    const refused = asked.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
    expect(recorded).toHaveLength(50);
    expect(refused).toHaveLength(7);
    for (const error of refused) expect(error.message).toMatch(/asked for 50 grants today: at most 50 a day/);
    expect((await listGrantRequests(deps)).requests).toHaveLength(50);
    const audited = await deps.audit.list(new Date(0), new Date('2026-01-16T00:00:00Z'));
    expect(audited.filter((entry) => entry.action === 'grant.request' && entry.allowed)).toHaveLength(50);
    expect(audited.filter((entry) => entry.action === 'grant.request' && !entry.allowed)).toHaveLength(7);
  });

  it('a record this version cannot read is named, and never hides the others', async () => {
    const { deps } = await operator();
    const readable = await requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), deps);
    const index = await deps.cases.readDocument('grant-requests/2026-01-15');
    await deps.cases.writeDocument('grant-request/req-0123456789abcdef01234567', { seconds: 1 }, null);
    await deps.cases.writeDocument(
      'grant-requests/2026-01-15',
      {
        requests: [
          { requestId: 'req-0123456789abcdef01234567', person: 'person:carol' },
          { requestId: readable.requestId, person: 'person:carol' },
        ],
      },
      index!.version,
    );

    const listed = await listGrantRequests(deps);

    expect(listed.requests.map((request) => request.requestId)).toEqual([readable.requestId]);
    expect(listed.unreadable).toEqual([
      {
        requestId: 'req-0123456789abcdef01234567',
        error: expect.stringContaining(
          'grant request req-0123456789abcdef01234567 is recorded but unreadable',
        ),
      },
    ]);
  });

  it('an audit record is never lost to its size: a long refusal is cut to fit, and recorded', async () => {
    const many = Array.from({ length: 60 }, () => ACCESS.grants[1]!);
    const { deps } = await operator((config) => ({
      ...config,
      access: { ...config.access, grants: many },
    }));

    await expect(requestGrant(carol, ask(arn('user', 'alice'), ADMIN), deps)).rejects.toThrow(
      OperatorRefusedError,
    );

    const [record] = await deps.audit.list(new Date(0), deps.clock.now());
    expect(record!.reason.length).toBe(4096);
    expect(record!.reason.endsWith('…')).toBe(true);
  });
});

describe('an approved request an interruption left unfinished', () => {
  it('finished after its end has passed by the clock, it is refused and nothing is attached (it runs from its approval, judged by now)', async () => {
    const { deps, clock, attached, iam } = await operator();
    const request = await requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER, '1h'), deps);
    // Approved; IAM answers the approval's checks, then is unreachable when the grant reads it.
    let reads = 0;
    const flaky = {
      readState: (scope: Parameters<typeof iam.readState>[0]) => {
        if (++reads > 1) throw new Error('IAM was unreachable');
        return iam.readState(scope);
      },
      perform: (...change: Parameters<typeof iam.perform>) => iam.perform(...change),
    };
    await expect(
      approveGrantRequest(oncall, request.requestId, { ...deps, iamFor: () => flaky }),
    ).rejects.toThrow('IAM was unreachable');
    expect((await listGrantRequests(deps)).requests[0]).toMatchObject({ status: 'approved' });

    // Finished two hours later (a `Grant Requested` event, or an operator): its hour is over.
    clock.advance(2 * 3600);
    const finished = await finishGrantRequest(request.requestId, deps);

    expect(finished).toMatchObject({ status: 'refused', refusal: expect.stringContaining('it ended at') });
    expect(await attached('ops-admin', 'roles')).toEqual([]);
    expect(await deps.cases.list()).toEqual([]);
  });
});

describe('a request waiting for approval', () => {
  it('expires: approved after access.pendingRequestsExpireAfter, it is refused and closed for good', async () => {
    const { deps, clock, attached } = await operator();
    const request = await requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), deps);

    clock.advance(25 * 3_600);

    await expect(approveGrantRequest(oncall, request.requestId, deps)).rejects.toThrow(
      'requests wait for approval 24h at most',
    );
    await expect(approveGrantRequest(dana, request.requestId, deps)).rejects.toThrow('is refused');
    expect(await attached('ops-admin', 'roles')).toEqual([]);
    const [closed] = (await listGrantRequests(deps)).requests;
    expect(closed).toMatchObject({ status: 'refused', refusal: expect.stringContaining('ask again') });
  });

  it('is judged again at approval: a requester no longer in the rule’s group is refused', async () => {
    const { deps, attached } = await operator();
    const request = await requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), deps);
    deps.config = {
      ...deps.config,
      access: {
        ...deps.config.access,
        groups: { ...deps.config.access.groups, engineers: [arn('user', 'erin')] },
      },
    };

    await expect(approveGrantRequest(oncall, request.requestId, deps)).rejects.toThrow(
      'the request is no longer allowed',
    );
    expect(await attached('ops-admin', 'roles')).toEqual([]);
  });

  it('is judged again at approval: a principal protected since is refused', async () => {
    const { deps, iam, attached } = await operator();
    const request = await requestGrant(carol, ask(arn('role', 'ops-admin'), POWER_USER), deps);
    const state = await iam.load();
    await iam.save({
      ...state,
      roles: { ...state.roles, 'ops-admin': { ...state.roles['ops-admin']!, tags: { 'break-glass': '' } } },
    });

    await expect(approveGrantRequest(oncall, request.requestId, deps)).rejects.toThrow(
      'is protected (tagged break-glass)',
    );
    expect(await attached('ops-admin', 'roles')).toEqual([]);
  });
});

describe('offboarding through the operator API', () => {
  const hrIn = (account: string) => callerOf(`arn:aws:sts::${account}:assumed-role/hr-offboarding/workday`);
  const hr = hrIn(ACCOUNT);
  const leaving = (person: string, reason = 'left the company') => ({ person, accountId: ACCOUNT, reason });

  it('an offboarder opens the case as the verified requester, and the local pipeline revokes everything the person holds', async () => {
    const attack = await escalatingAttack();
    const account = attack.account.id;
    const person = attack.account.people.find((candidate) => candidate.name !== attack.truth.userName)!.name;
    const directory = mkdtempSync(join(tmpdir(), 'revoker-offboard-api-'));
    const iam = new LocalIamAccount(join(directory, 'iam.json'));
    await iam.save(initialAccountState(attack.account));
    const config = { ...shipped, access: ACCESS };
    // After the logs end: the revocation is made, and verification cannot prove it yet.
    const clock = new SimulatedClock(new Date(attack.end.getTime() + 5 * 60_000));
    const pipeline = await openLocalPipeline({
      logs: attack.logs,
      iamAccountFile: iam.file,
      iam,
      ...(await pipelineFilesIn(directory)),
      config,
      clock,
    });
    const audit = new FileAuditLog(join(directory, 'audit.jsonl'));
    try {
      const answer = await offboardAs(
        hrIn(account),
        { person, accountId: account, reason: 'left the company' },
        {
          config,
          homeAccountId: account,
          grantGuard: localGrantGuardArn,
          cases: pipeline.cases,
          audit,
          clock,
          iamFor: () => iam,
          scheduler: new FileScheduler(join(directory, 'schedules')),
          callbacks: pipeline.callbacks,
          engine: pipeline.engine,
          runbooks: loadRunbooks(),
          workflow: pipeline.workflow,
        },
      );
      await pipeline.workflow.executions.get(executionNameOf(answer.caseId!))!.output;

      expect(answer).toMatchObject({ status: 'opened', requestedBy: hrIn(account).arn, confirmedBy: null });
      const record = (await pipeline.cases.get(answer.caseId!))!;
      expect(record.header).toMatchObject({
        origin: 'offboarding',
        standing: { severity: 'high', response: 'auto-revoke' },
        trigger: { target: { kind: 'person', person, accountId: account, requestedBy: hrIn(account).arn } },
        outcome: 'needs-human',
      });
      expect(record.entries.map((entry) => entry.step)).toEqual(
        expect.arrayContaining(['opened', 'revoke-intent', 'iam-change', 'revoked', 'offboard', 'verify']),
      );
      expect(record.entries.find((entry) => entry.step === 'offboard')!.summary).toMatch(
        new RegExp(`^Asked by ${hrIn(account).arn.replaceAll('/', '\\/')}: left the company\\. `),
      );
      const user = (await iam.load()).users[person]!;
      expect(Object.keys(user.inlinePolicies)).toEqual(['revoker-revocation']);
      expect(user.accessKeys.map((key) => key.status)).toEqual(user.accessKeys.map(() => 'Inactive'));
      expect(await audit.list(new Date(0), clock.now())).toEqual([
        expect.objectContaining({
          identity: hrIn(account).arn,
          action: 'offboard.request',
          target: `${person} in ${account}`,
          allowed: true,
          details: expect.objectContaining({ eventKey: expect.stringMatching(/^offboard:/) }),
        }),
      ]);
    } finally {
      await pipeline.close();
    }
  }, 60_000);

  it('offboards only where revocations act: revoker’s own account when the organisation does not enrol it', async () => {
    const { deps, workflow } = await operator();
    const refusing = {
      ...deps,
      revokesIn: (accountId: string) => {
        throw new AccountNotEnrolledError(
          `account ${accountId} is not enrolled: it is not in accounts.enrolled`,
        );
      },
    };

    await expect(offboardAs(hr, leaving('alice'), refusing)).rejects.toThrow(
      `account ${ACCOUNT} is not enrolled`,
    );
    expect(workflow.started.size).toBe(0);
  });

  it('refuses, with the reason, an identity outside access.offboarders, themselves, and an account not enrolled; opens nothing', async () => {
    const { deps, workflow } = await operator();

    await expect(offboardAs(carol, leaving('alice'), deps)).rejects.toThrow(
      new OperatorRefusedError(`${carol.arn} is not in a group of access.offboarders`),
    );
    await expect(offboardAs(dana, leaving('dana'), deps)).rejects.toThrow('nobody offboards themselves');
    await expect(offboardAs(hr, { ...leaving('alice'), accountId: '999999999999' }, deps)).rejects.toThrow(
      'account 999999999999 is not enrolled',
    );
    await expect(offboardAs(hr, { person: 'alice', accountId: ACCOUNT }, deps)).rejects.toThrow(
      'the request is not valid: field reason',
    );

    expect(workflow.started.size).toBe(0);
    expect(await deps.cases.list()).toEqual([]);
    expect(
      (await deps.audit.list(new Date(0), deps.clock.now())).map((record) => [
        record.identity,
        record.target,
        record.allowed,
        record.reason,
      ]),
    ).toEqual([
      [carol.arn, `alice in ${ACCOUNT}`, false, `${carol.arn} is not in a group of access.offboarders`],
      [dana.arn, `dana in ${ACCOUNT}`, false, expect.stringContaining('nobody offboards themselves')],
      [hr.arn, 'alice in 999999999999', false, 'account 999999999999 is not enrolled'],
      [hr.arn, '-', false, expect.stringContaining('field reason')],
    ]);
  });

  it('past access.offboardingsPerHour, one offboarder’s next request waits for a second offboarder', async () => {
    const { deps, workflow } = await operator();

    for (let person = 0; person < 10; person++)
      await expect(offboardAs(hr, leaving(`leaver-${person}`), deps)).resolves.toMatchObject({
        status: 'opened',
      });
    // Another session of the HR role is the same offboarder.
    const eleventh = await offboardAs(
      callerOf(`arn:aws:sts::${ACCOUNT}:assumed-role/hr-offboarding/another-session`),
      leaving('leaver-10'),
      deps,
    );
    const confirmed = await offboardAs(oncall, leaving('leaver-10'), deps);

    expect(eleventh).toMatchObject({
      status: 'pending',
      message: expect.stringContaining('within the hour (limit 10): a second offboarder must ask'),
    });
    // A different offboarder, under their own limit, may ask for it alone.
    expect(confirmed).toMatchObject({ status: 'opened', requestedBy: oncall.arn });
    expect(workflow.started.size).toBe(11);
  });

  it('is on record before it takes effect: an audit that cannot be written starts nothing', async () => {
    const { deps, workflow } = await operator();
    const failing = {
      ...deps,
      audit: {
        ...deps.audit,
        list: deps.audit.list.bind(deps.audit),
        record: async () => {
          throw new Error('the audit table is unavailable');
        },
      },
    };

    await expect(offboardAs(hr, leaving('alice'), failing)).rejects.toThrow('the audit table is unavailable');

    expect(workflow.started.size).toBe(0);
    expect(await deps.cases.list()).toEqual([]);
  });

  it('offboards one of revoker’s operators only when a second offboarder asks too, within the window', async () => {
    const { deps, workflow, clock } = await operator();

    const first = await offboardAs(hr, leaving('carol'), deps);
    const again = offboardAs(hr, leaving('carol'), deps);
    await expect(again).rejects.toThrow(OperatorConflictError);
    // Too late to confirm: the next request starts over, and waits in its turn.
    clock.advance((OFFBOARD_CONFIRM_HOURS + 1) * 3600);
    const late = await offboardAs(oncall, leaving('carol', 'confirmed with HR'), deps);
    const confirmed = await offboardAs(hr, leaving('carol'), deps);

    expect(first).toMatchObject({
      status: 'pending',
      caseId: null,
      message: `carol is named in engineers (access.groups): a second offboarder must ask for the same within ${OFFBOARD_CONFIRM_HOURS} hours`,
    });
    expect(late).toMatchObject({ status: 'pending', requestedBy: oncall.arn });
    expect(confirmed).toMatchObject({ status: 'opened', requestedBy: oncall.arn, confirmedBy: hr.arn });
    expect([...workflow.started.values()]).toEqual([
      expect.objectContaining({
        caseId: confirmed.caseId,
        offboarding: expect.objectContaining({
          person: 'carol',
          requestedBy: oncall.arn,
          confirmedBy: hr.arn,
          reason: 'confirmed with HR',
        }),
      }),
    ]);
    expect(
      (await deps.audit.list(new Date(0), clock.now())).map((record) => [record.identity, record.allowed]),
    ).toEqual([
      [hr.arn, true],
      [hr.arn, false],
      [oncall.arn, true],
      [hr.arn, true],
    ]);
  });

  it('a forged `Person Offboarded` for the on-call revokes nothing: it is set aside with the reason', async () => {
    const { deps, iam, workflow, deadLetters } = await operator();
    const state = await iam.load();
    await iam.save({
      ...state,
      users: {
        ...state.users,
        oncall: {
          ...state.users.carol!,
          arn: arn('user', 'oncall'),
          accessKeys: [{ accessKeyId: 'AKIAONCALLKEY0000001', status: 'Active' }],
        },
      },
    });
    const before = await iam.load();
    const forged = {
      version: '0',
      id: 'forged-1',
      source: 'revoker.offboarding',
      'detail-type': 'Person Offboarded',
      account: ACCOUNT,
      time: '2026-01-15T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { person: 'oncall', accountId: ACCOUNT, requestedBy: 'workday', reason: 'left the company' },
    };

    const [outcome] = await detect(forged, deps);

    expect(outcome).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/^a Person Offboarded event offboards no one: .* POST \/offboard/),
    });
    expect(deadLetters.letters).toEqual([{ event: forged, reason: (outcome as { reason: string }).reason }]);
    expect(workflow.started.size).toBe(0);
    expect(await deps.cases.list()).toEqual([]);
    expect(await iam.load()).toEqual(before);
  });
});

describe('refinements through the operator API', () => {
  /** The overprivileged workload's logs, moved into this test's account, under a DuckDB engine. */
  async function withWorkload() {
    const parts = await operator();
    const generated = mkdtempSync(join(tmpdir(), 'revoker-operator-workload-'));
    const truth = generate({
      out: generated,
      days: 1,
      events: 500,
      accounts: 1,
      seed: 'operator-refine',
      scenarios: ['overprivileged-workload'],
      end: new Date('2026-01-15T10:00:00Z'),
    }).scenarios[0] as OverprivilegedWorkloadTruth;
    const logs = mkdtempSync(join(tmpdir(), 'revoker-operator-logs-'));
    for await (const entry of readRecordFiles([generated]))
      if (entry.kind === 'parsed' && entry.record.eventName === 'PutObject') {
        const text = JSON.stringify({ Records: [entry.record] }).replaceAll(truth.account, ACCOUNT);
        const day = entry.record.eventTime.slice(0, 10).split('-');
        const folder = join(logs, 'AWSLogs', ACCOUNT, 'CloudTrail', truth.region, ...day);
        mkdirSync(folder, { recursive: true });
        writeFileSync(
          join(folder, `${ACCOUNT}_CloudTrail_${entry.index}_${entry.record.eventID}.json.gz`),
          gzipSync(text),
        );
      }
    const roleArn = truth.roleArn.replace(truth.account, ACCOUNT);
    const state = await parts.iam.load();
    state.roles[truth.roleName] = {
      ...state.roles['ops-admin']!,
      arn: roleArn,
      path: '/service-role/',
      inlinePolicies: { [truth.inlinePolicyName]: JSON.stringify(truth.currentPolicy) },
    };
    await parts.iam.save(state);
    const engine = await DuckDbQueryEngine.open(logs);
    return { ...parts, deps: { ...parts.deps, engine }, engine, roleArn, truth };
  }

  it('an allowed engineer asks; the policy is written and proved from the logs, and the case waits for someone else', async () => {
    const { deps, engine, roleArn, workflow } = await withWorkload();

    const opened = await refineAs(
      carol,
      { principalArn: roleArn, days: 2, end: '2026-01-15T10:00:00Z' },
      deps,
    );

    const record = await requireCase(deps.cases, opened.caseId);
    expect(record.header.origin).toBe('refinement');
    expect(JSON.parse(record.header.trigger.refinement!.document).Statement[0].Action).toEqual([
      's3:PutObject',
    ]);
    expect(record.header.trigger.refinement!.requestedBy).toBe(carol.arn);
    expect(workflow.started.size).toBe(1);
    // Carol asked: she cannot also approve it.
    await expect(
      answerCaseAs(carol, opened.caseId, { answer: 'approve', reason: 'mine' }, deps),
    ).rejects.toThrow();
    const audited = await deps.audit.list(new Date(0), deps.clock.now());
    expect(audited.find((entry) => entry.action === 'refinement.ask')).toMatchObject({
      identity: carol.arn,
      allowed: true,
    });
    await engine.close();
  }, 60_000);

  it('refuses, and audits, a caller or role access.refinements does not name, and a window without calls', async () => {
    const { deps, engine, roleArn, workflow } = await withWorkload();

    await expect(refineAs(oncall, { principalArn: roleArn }, deps)).rejects.toThrow('(access.refinements)');
    await expect(refineAs(carol, { principalArn: arn('role', 'ops-admin') }, deps)).rejects.toThrow(
      '(access.refinements)',
    );
    await expect(
      refineAs(carol, { principalArn: roleArn, days: 1, end: '2025-06-01T00:00:00Z' }, deps),
    ).rejects.toThrow('there is nothing to refine from');

    expect(workflow.started.size).toBe(0);
    const audited = await deps.audit.list(new Date(0), deps.clock.now());
    expect(audited.map((record) => [record.action, record.allowed])).toEqual([
      ['refinement.ask', false],
      ['refinement.ask', false],
      ['refinement.ask', false],
    ]);
    await engine.close();
  }, 60_000);
});
