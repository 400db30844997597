// `revoker generate --scenario escalating-attack` then `revoker replay --json`, as a user types
// them: the attack's key is one case that rises from its first, notify-only call to its worst.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OverprivilegedWorkloadTruth } from '../../lib/local/generator/scenarios.ts';
import type { ReplayResult } from '../../lib/usecases/replay.ts';
import { revoker } from '../fixtures/cli.ts';
import { guardDutyExfiltrationEvent } from '../fixtures/findings.ts';

describe('revoker replay, on the escalating attack', () => {
  it('shows one case for the key, standing at its worst call, with each raise in order', async () => {
    const logs = join(mkdtempSync(join(tmpdir(), 'revoker-replay-')), 'logs');
    const generated = await revoker(
      'generate',
      '--out',
      logs,
      '--days',
      '2',
      '--events',
      '4000',
      '--scenario',
      'escalating-attack',
      '--end',
      '2026-01-15T12:00:00Z',
    );
    expect(generated.code).toBe(0);

    const { code, stdout } = await revoker('replay', logs, '--json');
    const help = await revoker('replay', '--help');

    expect(code).toBe(0);
    const result = JSON.parse(stdout) as ReplayResult;
    expect(result.cases).toHaveLength(1);
    const [found] = result.cases;
    expect(found).toMatchObject({
      ruleId: 'ssm-command-by-person',
      severity: 'critical',
      response: 'auto-revoke',
      firstEvent: { eventName: 'SendCommand' },
    });
    expect(found!.raises.map((raise) => [raise.eventName, raise.to.severity, raise.to.response])).toEqual([
      ['StopLogging', 'critical', 'escalate'],
      ['ModifySnapshotAttribute', 'critical', 'auto-revoke'],
    ]);
    expect(found!.rules).toEqual([
      'ssm-command-by-person',
      'cloudtrail-stopped-or-deleted',
      'snapshot-or-image-shared',
      'access-key-for-another-user',
      'admin-policy-attached',
    ]);
    expect(help.stdout).toContain('at most one open case');
    expect(help.stdout).toContain('raise it when their rule is more severe');
  }, 60_000);
});

/** `revoker generate` of one day with the scenario, as a user types it. */
async function generateDay(scenario: string) {
  const logs = join(mkdtempSync(join(tmpdir(), 'revoker-replay-')), 'logs');
  const generated = await revoker(
    'generate',
    '--out',
    logs,
    '--days',
    '1',
    '--events',
    '2000',
    '--scenario',
    scenario,
    '--end',
    '2026-01-15T12:00:00Z',
  );
  return { logs, generated };
}

describe('revoker replay, on stolen instance credentials (issue 14)', () => {
  it('opens the case at the attacker’s first call: GetCallerIdentity from outside', async () => {
    const { logs, generated } = await generateDay('stolen-instance-credentials');
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(
      /scenario stolen-instance-credentials: arn:aws:iam::\d{12}:role\/service\/app-server session i-0[0-9a-f]{16} from 203\.0\.113\.77/,
    );

    const { code, stdout } = await revoker('replay', logs, '--json');

    expect(code).toBe(0);
    const result = JSON.parse(stdout) as ReplayResult;
    expect(result.cases).toHaveLength(1);
    expect(result.cases[0]).toMatchObject({
      ruleId: 'instance-credentials-outside-recon',
      firstEvent: { eventName: 'GetCallerIdentity', sourceIp: '203.0.113.77' },
      calls: 9,
      raises: [],
    });
  }, 60_000);
});

describe('revoker generate and replay, on an overprivileged workload (issue 15)', () => {
  it('writes the Lambda role’s PutObject data events with their ground truth, and no rule opens a case', async () => {
    const { logs, generated } = await generateDay('overprivileged-workload');
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(
      /scenario overprivileged-workload: arn:aws:iam::(\d{12}):role\/service-role\/report-exporter-role-[a-z2-7]{8} \(function report-exporter, s3:\* on \*\) made \d+ PutObject calls to s3:\/\/report-exports-\1\/data\/ .*least privilege: s3:PutObject on arn:aws:s3:::report-exports-\1\/data\/\*$/m,
    );
    const [truth] = JSON.parse(readFileSync(join(logs, 'revoker-scenarios.json'), 'utf8')) as [
      OverprivilegedWorkloadTruth,
    ];
    expect(truth).toMatchObject({ scenario: 'overprivileged-workload', keyPrefix: 'data/' });

    const { code, stdout } = await revoker('replay', logs, '--json');
    const parsed = await revoker('parse', logs);

    expect(code).toBe(0);
    expect(JSON.parse(stdout) as ReplayResult).toMatchObject({ records: 2000, cases: [], refused: [] });
    expect(parsed.stdout).toMatch(/^rejected +0$/m);
  }, 60_000);
});

describe('revoker replay and parse, on findings events beside the logs (issue 14)', () => {
  it('opens a case for the credential a GuardDuty finding names, and parse counts the finding', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'revoker-replay-findings-'));
    const finding = guardDutyExfiltrationEvent({
      accountId: '111122223333',
      accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
      userName: 'web-server',
      userType: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:i-0123456789abcdef0',
    });
    writeFileSync(join(logs, 'guardduty-finding.json'), JSON.stringify(finding));
    // The documented envelope with its finding left out: unreadable, and said so.
    writeFileSync(join(logs, 'guardduty-empty.json'), JSON.stringify({ ...finding, detail: {} }));

    const replayed = await revoker('replay', logs, '--json');
    const parsed = await revoker('parse', logs);

    expect(replayed.code).toBe(0);
    expect((JSON.parse(replayed.stdout) as ReplayResult).cases).toEqual([
      expect.objectContaining({
        ruleId: 'guardduty:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        principal: 'arn:aws:iam::111122223333:role/web-server',
        severity: 'high',
        response: 'auto-revoke',
      }),
    ]);
    expect((JSON.parse(replayed.stdout) as ReplayResult).unreadable).toBe(1);
    const told = await revoker('replay', logs);
    expect(told.stdout).toContain('1 record or document could not be read');
    expect(parsed.code).toBe(0);
    expect(parsed.stdout).toMatch(/^findings +1 /m);
    expect(parsed.stdout).toMatch(/^rejected +1$/m);
  }, 60_000);
});
