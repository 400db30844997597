import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');

describe('alarm lines', () => {
  it('are one JSON object of their own, with the field the template’s metric filter reads', () => {
    // A process of its own: what the function prints is what CloudWatch Logs receives.
    const module = pathToFileURL(join(ROOT, 'lib', 'aws', 'alarm-log.ts')).href;
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { alarmLog } = await import(${JSON.stringify(module)});
         alarmLog()({ revokerAlarm: 'RunbookRunsOverLimit', person: 'arn:aws:iam::111122223333:user/oncall' });`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );

    // A warning: on stderr, which Lambda sends to CloudWatch Logs as it does stdout.
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0]!) as Record<string, unknown>;
    const pattern = /FilterPattern: '\{ \$\.(\w+) = "(\w+)" \}'/.exec(
      readFileSync(join(ROOT, 'template.yaml'), 'utf8'),
    );
    expect(pattern).not.toBeNull();
    expect(event[pattern![1]!]).toBe(pattern![2]);
    expect(event.person).toBe('arn:aws:iam::111122223333:user/oncall');
  });
});
