// `revoker generate --scenario escalating-attack` then `revoker replay --json`, as a user types
// them: the attack's key is one case that rises from its first, notify-only call to its worst.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReplayResult } from '../../lib/usecases/replay.ts';
import { revoker } from '../fixtures/cli.ts';

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
