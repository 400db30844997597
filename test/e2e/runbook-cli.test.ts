// `revoker runbook`, as an on-call engineer types it: the real command, over generated logs.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { printable } from '../../cli/output.ts';
import { revoker } from '../fixtures/cli.ts';
import { type InvestigationLogs, writeInvestigationLogs } from '../fixtures/investigation-logs.ts';
import { ROOT } from '../fixtures/template.ts';

let logs: InvestigationLogs;
beforeAll(() => {
  logs = writeInvestigationLogs();
});

describe('revoker', () => {
  it('says its version, as package.json gives it', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { version } = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    );

    const { code, stdout } = await revoker('--version');

    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });
});

describe('revoker runbook', () => {
  it('lists every runbook with what it answers', async () => {
    const { code, stdout } = await revoker('runbook', 'list');

    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}first-seen +Is the trigger new for this principal\?/m);
    expect(stdout.match(/^ {2}[a-z-]+ {2}/gm)).toHaveLength(16);
  });

  it('runs first-seen over local logs and prints a readable table', async () => {
    const { truth } = logs;
    const { code, stdout } = await revoker(
      'runbook',
      'run',
      'first-seen',
      '--logs',
      logs.root,
      '--param',
      `account=${truth.account}`,
      '--param',
      `principal=${truth.roleArn}`,
      '--param',
      `source_ip=${truth.attackerIp}`,
      '--param',
      `user_agent_prefix=${truth.attackerUserAgent}`,
      '--param',
      'event_region=us-east-1',
      '--param',
      'event_source=iam.amazonaws.com',
      '--param',
      'event_name=AttachRolePolicy',
      '--param',
      'baseline_start=2026-01-12T12:00:00Z',
      '--param',
      'baseline_end=2026-01-15T11:00:00Z',
    );

    expect(code).toBe(0);
    const [header, values] = stdout.split('\n');
    expect(header!.trim().split(/ {2,}/)).toEqual([
      'baseline_events',
      'from_source_ip',
      'with_user_agent',
      'in_region',
      'with_event_name',
      'distinct_source_ips',
      'distinct_user_agents',
    ]);
    expect(values!.trim().split(/ +/).slice(1, 3)).toEqual(['0', '0']);
    expect(stdout).toMatch(/^1 row · \d+ ms$/m);
  });

  it('explains without running: the SQL and each bound value, Athena-quoted with --athena', async () => {
    const { code, stdout } = await revoker(
      'runbook',
      'run',
      'log-watermark',
      '--athena',
      '--explain',
      '--param',
      'account=123456789012',
      '--param',
      'from_day=2026/01/14',
      '--param',
      'until_day=2026/01/15',
    );

    expect(code).toBe(0);
    expect(stdout).toContain('WHERE timestamp BETWEEN ? AND ?');
    expect(stdout).toMatch(/\?3 +account +'123456789012'/);
  });

  it('refuses a malformed value with the parameter and the shape it needs, and runs nothing', async () => {
    const { code, stderr } = await revoker(
      'runbook',
      'run',
      'access-key-activity',
      '--logs',
      logs.root,
      '--param',
      `account=${logs.truth.account}`,
      '--param',
      "access_key_id=AKIA' OR '1'='1",
      '--param',
      'start=2026-01-12T12:00:00Z',
      '--param',
      'end=2026-01-15T12:00:00Z',
    );

    // Bad input: exit 2, and nothing was queried.
    expect(code).toBe(2);
    expect(stderr).toBe(
      'revoker: runbook access-key-activity: parameter access_key_id is not an access key ID such as AKIA…\n',
    );
  });

  it('adds the IAM action each used API needs', async () => {
    const { stdout } = await revoker(
      'runbook',
      'run',
      'used-actions',
      '--logs',
      logs.root,
      '--json',
      '--param',
      `account=${logs.truth.account}`,
      '--param',
      `principal=${logs.truth.roleArn}`,
      '--param',
      'start=2026-01-12T12:00:00Z',
      '--param',
      'end=2026-01-15T12:00:00Z',
    );

    const { rows } = JSON.parse(stdout) as { rows: { eventname: string; iam_action: string | null }[] };
    expect(rows.find((row) => row.eventname === 'ListBuckets')?.iam_action).toBe('s3:ListAllMyBuckets');
    expect(rows.find((row) => row.eventname === 'AttachRolePolicy')?.iam_action).toBe('iam:AttachRolePolicy');
  });
});

describe('revoker replay and rules', () => {
  it('replays generated logs: the attack is one case, every later call by the stolen session joins it', async () => {
    const { code, stdout } = await revoker('replay', logs.root);

    expect(code).toBe(0);
    // The other case: the hand-made Identity Center session creating a key for another user.
    expect(stdout).toMatch(/ records read; 2 cases would open\./);
    expect(stdout).toMatch(
      /access-key-for-another-user +high auto-revoke +arn:aws:iam::\d{12}:role\/aws-reserved\/sso\.amazonaws\.com\/AWSReservedSSO_/,
    );
    // Fifteen calls by the stolen session on its one case, opened at its first (GetCallerIdentity),
    // none ranked above it: joined, never raised.
    expect(stdout).toMatch(
      new RegExp(
        `instance-credentials-outside-recon +high auto-revoke +${logs.truth.roleArn} +${logs.truth.attackerIp} +15 +0$`,
        'm',
      ),
    );
  });

  it('lists the catalog with each rule’s response, marking configured ones', async () => {
    const { stdout } = await revoker('rules');

    expect(stdout).toMatch(
      /^ {2}instance-credentials-iam-escalation +privilege-escalation +high +auto-revoke\* /m,
    );
    expect(stdout).toMatch(/^ {2}root-user-activity +initial-access +critical +escalate /m);
  });

  it('shows one account’s responses, enrolment, mode and approvers', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-rules-'));
    const config = parse(readFileSync(join(ROOT, 'revoker.config.yaml'), 'utf8'));
    config.accounts = {
      memberRoleName: 'revoker-member',
      enrolled: [
        { id: '222233334444', name: 'workloads', mode: 'dry-run', approvers: ['prod@example.com'] },
        { id: '333344445555', name: 'management', humanApprovalOnly: true },
      ],
    };
    const file = join(directory, 'revoker.config.yaml');
    writeFileSync(file, stringify(config));

    const workloads = await revoker('rules', '--config', file, '--account', '222233334444');
    expect(workloads.stdout).toMatch(
      /^account 222233334444 \(workloads\): enrolled, mode dry-run\n {2}approvers: prod@example.com$/m,
    );
    const management = await revoker('rules', '--config', file, '--account', '333344445555');
    expect(management.stdout).toContain('every case here goes to a human (humanApprovalOnly)');
    expect(management.stdout).toMatch(
      /^ {2}instance-credentials-iam-escalation +privilege-escalation +high +escalate \(account\)\* /m,
    );
    expect((await revoker('rules', '--config', file, '--account', '999999999999')).stdout).toMatch(
      /^account 999999999999: not enrolled/,
    );
    expect((await revoker('rules', '--account', '12')).stderr).toContain('expected a 12-digit account ID');
  });
});

describe('printable', () => {
  it('shows terminal control and direction characters from the logs as escapes', () => {
    expect(printable('ok\u001b[2J\u202Egnp.exe')).toBe('ok\\u{1b}[2J\\u{202e}gnp.exe');
    expect(printable(null)).toBe('-');
    expect(printable('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
