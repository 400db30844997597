// The commands bin/revoker.js registers (cli/main.ts), as a whole: each that lists or answers takes
// --json, and answers with JSON alone on stdout.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { signingKeysIn } from '../../../cli/approvals.ts';
import { REGISTERS, revokerProgram } from '../../../cli/program.ts';
import { revokerInProcess } from '../../fixtures/cli.ts';

/**
 * Servers run until stopped and answer over HTTP, not on stdout; `cases export` writes JSON Lines
 * (one case per line, for a SIEM) whatever it is asked.
 */
const WITHOUT_JSON = ['revoker cases export', 'revoker approvals serve', 'revoker operator serve'];

function leaves(command: Command, path = command.name()): { path: string; command: Command }[] {
  if (command.commands.length === 0) return [{ path, command }];
  return command.commands.flatMap((child) => leaves(child, `${path} ${child.name()}`));
}

const revoker = (...args: string[]) => revokerInProcess(REGISTERS, ...args);

describe('the revoker command line', () => {
  it('takes --json on every command that lists or answers', () => {
    const program = revokerProgram();

    const all = leaves(program);
    const without = all
      .filter(({ command }) => !command.options.some((option) => option.long === '--json'))
      .map(({ path }) => path);

    expect(all.length).toBeGreaterThan(25);
    expect(without).toEqual(WITHOUT_JSON);
  });

  it('answers with JSON alone on stdout: jit list, runbook show, approvals rotate, generate', async () => {
    const state = mkdtempSync(join(tmpdir(), 'revoker-json-'));
    const keysFile = join(state, 'approval-keys.json');
    const before = await (await signingKeysIn(keysFile)).current();
    mkdirSync(join(state, 'cases'));

    const grants = await revoker('jit', 'list', '--cases', join(state, 'cases'), '--json');
    const runbook = await revoker('runbook', 'show', 'principal-activity', '--json');
    const rotated = await revoker('approvals', 'rotate', '--keys-file', keysFile, '--json');
    const generated = await revoker(
      'generate',
      ...['--out', join(state, 'logs'), '--days', '1', '--events', '300', '--json'],
    );

    expect(grants).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
    expect(JSON.parse(runbook.stdout)).toMatchObject({ id: 'principal-activity', sql: expect.any(String) });
    expect(JSON.parse(rotated.stdout)).toEqual({
      current: expect.any(String),
      previous: before.id,
      retired: null,
    });
    expect(JSON.parse(generated.stdout)).toMatchObject({
      out: join(state, 'logs'),
      records: 300,
      scenarios: [expect.objectContaining({ scenario: 'compromised-role-session' })],
    });
    for (const outcome of [runbook, rotated, generated])
      expect(outcome).toMatchObject({ code: 0, stderr: '' });
  });
});
