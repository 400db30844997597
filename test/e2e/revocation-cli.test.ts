// `revoker plan` and `revoker undo` on what the demo leaves behind: the real commands.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '../../cli/demo.ts';
import type { AuditRecord } from '../../lib/domain/audit.ts';
import { normalizeAccountState } from '../../lib/domain/iam-state.ts';
import { FileCaseStore } from '../../lib/local/case-store.ts';
import { localGrantGuardArn } from '../../lib/local/grant-guard.ts';
import { revoker } from '../fixtures/cli.ts';
import { shippedConfig } from '../fixtures/config.ts';

let demo: DemoResult;

/** A local operator key for `identity`, as `revoker operator credentials` prints it: the environment that signs as it. */
async function mintCredentials(identity: string): Promise<Record<string, string>> {
  const minted = await revoker('operator', 'credentials', '--identity', identity, '--dir', directory);
  return Object.fromEntries(
    [...minted.stdout.matchAll(/^export (\w+)=(\S+)$/gm)].map((match) => [match[1]!, match[2]!]),
  );
}
// Minted keys stay valid, so each identity's is minted once per file: each mint is a spawn.
const minted = new Map<string, Promise<Record<string, string>>>();
function credentialsFor(identity: string): Promise<Record<string, string>> {
  if (!minted.has(identity)) minted.set(identity, mintCredentials(identity));
  return minted.get(identity)!;
}
/** Point the commands at this test's demo account and cases. */
const demoFiles = () => ['--iam-dir', join(directory, 'iam'), '--cases', join(directory, 'cases')];
let directory: string;
beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'revoker-cli-demo-'));
  demo = await runDemo({
    directory,
    config: await shippedConfig(),
    events: 6000,
    now: new Date('2026-01-15T12:00:00Z'),
    print: () => {},
    // Its one case; the offboarding below is this file's own.
    stories: ['automatic'],
  });
});
const demoCaseId = () => demo.stories[0]!.caseId;

describe('revoker offboard', () => {
  it('dry-runs without a change, then offboards a person and undoes it exactly', async () => {
    const before = readFileSync(demo.iamAccountFile, 'utf8');
    const account = normalizeAccountState(JSON.parse(before));
    const where = [...demoFiles(), '--logs', join(directory, 'logs')];

    const dry = await revoker(
      'offboard',
      '--user',
      'alice',
      '--account',
      account.accountId,
      ...where,
      '--dry-run',
    );
    expect(dry.stdout).toMatch(/ dry-run +Offboarding alice: dry run: would deny every call by user alice/);
    expect(dry.stdout).toMatch(/^Case [0-9a-f]{32}, opened \S+: dry-run$/m);
    // The default requester is this machine's user, named as one: a bare `root` reads as AWS's root user.
    expect(dry.stdout).toContain(`Asked by local user ${userInfo().username}. `);
    expect(readFileSync(demo.iamAccountFile, 'utf8')).toBe(before);

    const done = await revoker('offboard', '--user', 'alice', '--account', account.accountId, ...where);
    // The dry run's case closed, so this request opens the next one: intent first, then each change read back.
    expect(done.stdout).toMatch(
      / revoke-intent +Offboarding alice: about to deny every call by user alice.*deactivate \(never delete\) the access key/,
    );
    expect(done.stdout).toMatch(/ revoked +Done: 2 changes made and read back from IAM\./);
    // The demo's logs end before this run's cutoff, so nothing can prove the access gone yet.
    expect(done.stdout).toMatch(/ verify +attempt 1: not-yet\./);
    expect(done.stdout).toMatch(/^Case [0-9a-f]{32}, opened \S+: needs-human$/m);
    const after = normalizeAccountState(JSON.parse(readFileSync(demo.iamAccountFile, 'utf8')));
    expect(after.users.alice!.accessKeys.every((key) => key.status === 'Inactive')).toBe(true);

    const caseId = /: case ([0-9a-f]{32})$/m.exec(done.stdout)![1]!;
    const dryCaseId = /: case ([0-9a-f]{32})$/m.exec(dry.stdout)![1]!;
    expect(caseId).not.toBe(dryCaseId);
    expect((await new FileCaseStore(join(directory, 'cases')).get(caseId))!.header.previousCaseId).toBe(
      dryCaseId,
    );
    const undo = await revoker('undo', caseId, ...demoFiles());
    expect(undo.stdout).toContain('2 changes reversed');
    expect(normalizeAccountState(JSON.parse(readFileSync(demo.iamAccountFile, 'utf8'))).users.alice).toEqual(
      account.users.alice,
    );
  });
});

describe('revoker offboard --deployed local', () => {
  it('offboards as the verified caller in access.offboarders; one of revoker’s operators needs a second offboarder', async () => {
    const accountId = normalizeAccountState(JSON.parse(readFileSync(demo.iamAccountFile, 'utf8'))).accountId;
    const state = () => normalizeAccountState(JSON.parse(readFileSync(demo.iamAccountFile, 'utf8')));
    const before = state();
    const hrArn = `arn:aws:sts::${accountId}:assumed-role/hr-offboarding/workday`;
    const oncallArn = `arn:aws:iam::${accountId}:user/oncall`;
    const hr = await credentialsFor(hrArn);
    const carol = await credentialsFor(`arn:aws:iam::${accountId}:user/carol`);
    const oncall = await credentialsFor(oncallArn);
    const offboard = (as: Record<string, string>, user: string, ...more: string[]) =>
      revoker.withEnv(
        as,
        'offboard',
        '--user',
        user,
        '--account',
        accountId,
        '--deployed',
        'local',
        '--dir',
        directory,
        ...more,
      );

    const refused = await offboard(carol, 'bob', '--reason', 'left the company');
    const claimed = await offboard(hr, 'bob', '--reason', 'left the company', '--requested-by', 'someone');
    const bob = await offboard(hr, 'bob', '--reason', 'left the company');
    const waiting = await offboard(hr, 'carol', '--reason', 'left the company');
    const carolBetween = state().users.carol;
    const confirmed = await offboard(oncall, 'carol', '--reason', 'confirmed with HR');
    const after = state();
    const audit = await revoker.withEnv(oncall, 'audit', '--json', '--deployed', 'local', '--dir', directory);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `the operator API refused (403): arn:aws:iam::${accountId}:user/carol is not in a group of access.offboarders`,
    );
    expect(claimed.stderr).toContain('--requested-by and --deployed');
    expect(bob.code).toBe(0);
    expect(bob.stdout).toMatch(
      new RegExp(
        `^Offboarding bob from ${accountId}: case [0-9a-f]{32} opened; requested by ${hrArn.replaceAll('/', '\\/')} \\(verified\\)\\.$`,
        'm',
      ),
    );
    expect(bob.stdout).toMatch(/ revoke-intent +Offboarding bob: about to deny every call by user bob/);
    expect(after.users.bob!.accessKeys.every((key) => key.status === 'Inactive')).toBe(true);
    expect(waiting.stdout).toContain(
      'carol is named in engineers (access.groups): a second offboarder must ask for the same within 24 hours',
    );
    expect(carolBetween).toEqual(before.users.carol);
    expect(confirmed.stdout).toContain(
      `opened; requested by ${hrArn}, confirmed by ${oncallArn} (verified).`,
    );
    expect(after.users.carol!.accessKeys.every((key) => key.status === 'Inactive')).toBe(true);
    const records = (JSON.parse(audit.stdout) as AuditRecord[]).filter(
      (record) => record.action === 'offboard.request',
    );
    expect(records.map((record) => [record.identity, record.target, record.allowed])).toEqual([
      [`arn:aws:iam::${accountId}:user/carol`, `bob in ${accountId}`, false],
      [hrArn, `bob in ${accountId}`, true],
      [hrArn, `carol in ${accountId}`, true],
      [oncallArn, `carol in ${accountId}`, true],
    ]);

    // The demo's account as it was, for the tests that follow.
    for (const output of [confirmed.stdout, bob.stdout]) {
      const caseId = /: case ([0-9a-f]{32}) opened;/.exec(output)![1]!;
      expect((await revoker('undo', caseId, ...demoFiles())).code).toBe(0);
    }
    expect(state().users).toEqual(before.users);
  }, 180_000);
});

describe('revoker jit', () => {
  it('grants a policy for a while, and its end through the pipeline takes it away', async () => {
    const account = normalizeAccountState(JSON.parse(readFileSync(demo.iamAccountFile, 'utf8')));
    const principal = `arn:aws:iam::${account.accountId}:user/carol`;
    const policy = 'arn:aws:iam::aws:policy/PowerUserAccess';
    const where = [...demoFiles(), '--schedules', join(directory, 'schedules')];
    const policies = () =>
      normalizeAccountState(JSON.parse(readFileSync(demo.iamAccountFile, 'utf8'))).users.carol!
        .attachedPolicies;

    // Carol asks through the operator API (in this process over the demo's files), signing as
    // herself; an engineer's PowerUserAccess needs a responder, who approves it.
    const carol = await credentialsFor(`arn:aws:iam::${account.accountId}:user/carol`);
    const oncall = await credentialsFor(`arn:aws:iam::${account.accountId}:user/oncall`);
    const operator = ['--deployed', 'local', '--dir', directory];
    const requested = await revoker.withEnv(
      carol,
      'jit',
      'request',
      '--principal',
      principal,
      '--policy',
      policy,
      '--for',
      '2h',
      '--reason',
      'incident 42',
      ...operator,
      '--json',
    );
    expect(requested.code).toBe(0);
    const { requestId } = JSON.parse(requested.stdout) as { requestId: string };
    expect(policies()).not.toContain(policy);
    const selfApproved = await revoker.withEnv(carol, 'jit', 'approve', requestId, ...operator);
    expect(selfApproved.stderr).toContain('someone else must approve it');
    const granted = await revoker.withEnv(oncall, 'jit', 'approve', requestId, ...operator);
    const grantId = /grant (jit-[0-9a-f]{24})/.exec(granted.stdout)?.[1];
    expect(granted.code).toBe(0);
    // The demo's account has the grant guard, as the stack's has: attached first.
    const guard = localGrantGuardArn(account.accountId);
    expect(policies().slice(-2)).toEqual([guard, policy]);

    const early = await revoker(
      'jit',
      'expire-due',
      '--at',
      new Date(Date.now() + 3600e3).toISOString(),
      ...where,
      '--logs',
      join(directory, 'logs'),
    );
    expect(early.stdout).toMatch(/^no grant ends are due at /);

    const due = await revoker(
      'jit',
      'expire-due',
      '--at',
      new Date(Date.now() + 3 * 3600e3).toISOString(),
      ...where,
      '--logs',
      join(directory, 'logs'),
    );
    expect(due.stdout).toContain(`Case ${grantId}`);
    expect(due.stdout).toMatch(
      new RegExp(
        ` revoke-intent +Grant ${grantId} ended: about to detach arn:aws:iam::aws:policy/PowerUserAccess`,
      ),
    );
    expect(due.stdout).toMatch(
      / iam-change +Changed: Detach arn:aws:iam::aws:policy\/PowerUserAccess from user carol\./,
    );
    expect(due.stdout).toMatch(new RegExp(`^Case ${grantId}, opened \\S+: contained$`, 'm'));
    expect(due.stdout).toMatch(new RegExp(` iam-change +Changed: Detach ${guard} from user carol\\.`));
    expect(policies()).not.toContain(policy);
    expect(policies()).not.toContain(guard);

    const list = await revoker('jit', 'list', '--cases', join(directory, 'cases'));
    expect(list.stdout).toMatch(new RegExp(`^ {2}${grantId} .* ended$`, 'm'));
  });
});

describe('revoker cases', () => {
  it('lists the demo’s case and shows its timeline, confirm to close', async () => {
    const cases = join(directory, 'cases');

    const list = await revoker('cases', 'list', '--cases', cases);
    const show = await revoker('cases', 'show', demoCaseId(), '--cases', cases);

    expect(list.stdout).toMatch(
      new RegExp(
        `^ {2}${demoCaseId()} +\\S+ +instance-credentials-outside-recon \\(high, auto-revoke\\) +arn:aws:iam::\\d{12}:role/service/app-server +close +contained$`,
        'm',
      ),
    );
    expect(show.stdout.split('\n').map((line) => line.split(/ +/)[1])).toEqual(
      expect.arrayContaining([
        'opened',
        'confirm',
        'revoke-intent',
        'iam-change',
        'revoked',
        'verify',
        'close',
      ]),
    );
    expect(show.stdout).toMatch(/^Case \w+, opened \S+: contained$/m);
  });
});

describe('revoker plan and undo', () => {
  it('plans a user’s revocation from the local account, and changes nothing', async () => {
    const before = readFileSync(demo.iamAccountFile, 'utf8');
    const account = normalizeAccountState(JSON.parse(before));
    const [userName, user] = Object.entries(account.users)[0]!;

    const { code, stdout } = await revoker('plan', '--principal', user.arn, ...demoFiles(), '--dry-run');

    expect(code).toBe(0);
    expect(stdout).toContain(`Plan for user ${user.arn}`);
    expect(stdout).toMatch(/1\. put-user-policy {2}\(iam:PutUserPolicy\)/);
    expect(stdout).toContain('2. update-access-key  (iam:UpdateAccessKey)');
    expect(stdout).toContain('Nothing was changed.');
    expect(readFileSync(demo.iamAccountFile, 'utf8')).toBe(before);
    expect(userName).toMatch(/^[a-z]+$/);
  });

  it('undoes the demo’s revocation exactly, then refuses to do it twice', async () => {
    const caseId = demoCaseId();
    const role = () =>
      normalizeAccountState(JSON.parse(readFileSync(demo.iamAccountFile, 'utf8'))).roles['app-server']!;
    expect(Object.keys(role().inlinePolicies)).toEqual(['revoker-revocation']);

    const first = await revoker('undo', caseId, ...demoFiles());
    const second = await revoker('undo', caseId, ...demoFiles());

    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('1 change reversed') });
    expect(role().inlinePolicies).toEqual({});
    expect(second).toMatchObject({ code: 1, stderr: expect.stringContaining('already undone') });
  });
});
