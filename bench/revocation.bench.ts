// Plan + apply latency on the local IAM account for 1 principal and for 100, and the IAM
// API calls each plan kind costs on AWS (fewer calls: faster containment, less throttling).
// The ratio is the per-principal time at 100 against the single principal, RUNS runs
// alternating which goes first; reported figures, the issue sets them no goal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsIamGateway } from '../lib/aws/iam-gateway.ts';
import { loadConfigFile } from '../lib/config-file.ts';
import type { IamAccountStateInput, IamScope } from '../lib/domain/iam-state.ts';
import { planRevocation, type RevocationTarget, scopeFor } from '../lib/domain/revocation/plan.ts';
import { LocalIamAccount } from '../lib/local/iam-account.ts';
import type { IamGateway } from '../lib/ports.ts';
import { applyPlan } from '../lib/usecases/apply-plan.ts';
import { alternate, type Figure, formatSpread, spread } from './figures.ts';

const ACCOUNT = '111122223333';
const ALLOW = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';

/** Counts the gateway calls a plan makes: each perform is one IAM write, each read a scope read. */
class CountingGateway implements IamGateway {
  reads = 0;
  writes = 0;
  constructor(private readonly inner: IamGateway) {}
  readState(scope: IamScope) {
    this.reads += 1;
    return this.inner.readState(scope);
  }
  perform(...change: Parameters<IamGateway['perform']>) {
    this.writes += 1;
    return this.inner.perform(...change);
  }
}

/** How many IAM read API calls one readState of a scope costs on AWS (the adapter, mocked). */
async function awsReadCost(scope: IamScope): Promise<number> {
  const iam = mockClient(IAMClient);
  const arn = `arn:aws:iam::${ACCOUNT}:x`;
  iam
    .on(GetRoleCommand)
    .resolves({ Role: { RoleName: 'r', RoleId: 'AROA', Arn: arn, Path: '/', CreateDate: new Date(0) } });
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['work'] });
  iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(ALLOW) });
  iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
  iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
  iam
    .on(GetUserCommand)
    .resolves({ User: { UserName: 'u', UserId: 'AIDA', Arn: arn, Path: '/', CreateDate: new Date(0) } });
  iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: ['work'] });
  iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: encodeURIComponent(ALLOW) });
  iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
  iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
  iam.on(ListSigningCertificatesCommand).resolves({ Certificates: [] });
  iam.on(ListSSHPublicKeysCommand).resolves({ SSHPublicKeys: [] });
  iam.on(ListServiceSpecificCredentialsCommand).resolves({ ServiceSpecificCredentials: [] });
  iam.on(GetLoginProfileCommand).rejects(new NoSuchEntityException({ message: 'none', $metadata: {} }));
  iam.on(GetPolicyCommand).rejects(new NoSuchEntityException({ message: 'none', $metadata: {} }));
  await new AwsIamGateway(new IAMClient({}), null).readState(scope);
  const calls = iam.calls().length;
  iam.restore();
  return calls;
}

function targets(count: number): {
  state: Parameters<LocalIamAccount['save']>[0];
  targets: RevocationTarget[];
} {
  const roles: NonNullable<IamAccountStateInput['roles']> = {};
  const users: NonNullable<IamAccountStateInput['users']> = {};
  const list: RevocationTarget[] = [];
  for (let index = 0; index < count; index++) {
    const roleName = `app-${index}`;
    const userName = `person-${index}`;
    roles[roleName] = {
      arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
      path: '/',
      inlinePolicies: { work: ALLOW },
    };
    users[userName] = {
      arn: `arn:aws:iam::${ACCOUNT}:user/${userName}`,
      inlinePolicies: { work: ALLOW },
      accessKeys: [{ accessKeyId: `AKIABENCH${String(index).padStart(11, '0')}`, status: 'Active' as const }],
    };
    list.push(
      index % 2 === 0
        ? {
            kind: 'role-sessions',
            accountId: ACCOUNT,
            roleName,
            roleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
            session: null,
          }
        : { kind: 'iam-user', accountId: ACCOUNT, userName, arn: `arn:aws:iam::${ACCOUNT}:user/${userName}` },
    );
  }
  return { state: { accountId: ACCOUNT, roles, users }, targets: list };
}

async function planAndApply(count: number) {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-bench-iam-'));
  const config = await loadConfigFile('revoker.config.yaml');
  const local = new LocalIamAccount(join(directory, `${ACCOUNT}.json`));
  const { state: initial, targets: list } = targets(count);
  await local.save(initial);
  const iam = new CountingGateway(local);
  const started = performance.now();
  for (const target of list) {
    const state = await iam.readState(scopeFor(target));
    const plan = planRevocation(target, {
      config,
      state,
      cutoff: '2026-01-15T12:00:00Z',
      recentRevocations: 0,
    });
    await applyPlan(
      scopeFor(target),
      plan.actions.map((planned) => planned.action),
      { iam, sleep: async () => {} },
      state,
    );
  }
  const millis = performance.now() - started;
  rmSync(directory, { recursive: true, force: true });
  return { millis, reads: iam.reads, writes: iam.writes };
}

export async function run(): Promise<Figure[]> {
  const one = await planAndApply(1);
  const sampled = await alternate(
    () => planAndApply(100),
    () => planAndApply(1),
  );
  const perPrincipal = spread(sampled.measured.samples.map((value) => (value * 1000) / 100));
  const data =
    'local IAM account file; half role sessions, half IAM users with one key, one inline policy each';
  const figures: Figure[] = [
    {
      bench: 'revocation',
      figure: 'plan + apply + read-back per principal, 100 principals in a row',
      data,
      goal: '—',
      measured: `${formatSpread(perPrincipal, 'ms', 1)} each (${formatSpread(spread(sampled.ratio.samples.map((ratio) => ratio / 100)), '×', 2)} the single principal's time)`,
      baseline: `1 principal: ${formatSpread(spread(sampled.baseline.samples.map((value) => value * 1000)), 'ms', 1)}`,
      met: undefined,
    },
  ];
  console.log(`revocation: ${figures[0]!.measured}; ${figures[0]!.baseline}`);

  const costs: string[] = [];
  for (const [label, count, target] of [
    ['role sessions', 1, targets(1).targets[0]!],
    ['IAM user (1 key)', 2, targets(2).targets[1]!],
  ] as const) {
    const { reads, writes } = await planAndApply(count);
    const perRead = await awsReadCost(scopeFor(target));
    // planAndApply(2) also revoked a role session first: take its share out.
    const own = count === 1 ? { reads, writes } : { reads: reads - one.reads, writes: writes - one.writes };
    costs.push(
      `${label}: ${own.writes} writes + ${own.reads} scope reads × ${perRead} calls = ${own.writes + own.reads * perRead}`,
    );
  }
  figures.push({
    bench: 'revocation',
    figure: 'IAM API calls per plan on AWS (reads counted from the adapter against a mocked IAM)',
    data,
    goal: '—',
    measured: costs.join('; '),
    met: undefined,
  });
  console.log(`  IAM API calls per plan: ${costs.join('; ')}`);
  return figures;
}
