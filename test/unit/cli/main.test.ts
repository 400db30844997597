// The commands bin/revoker.js registers (cli/main.ts), as a whole: each that lists or answers takes
// --json, and answers with JSON alone on stdout.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerApprovals, signingKeysIn } from '../../../cli/approvals.ts';
import { registerCases } from '../../../cli/cases.ts';
import { registerDemo } from '../../../cli/demo.ts';
import { registerGenerate } from '../../../cli/generate.ts';
import { registerJit } from '../../../cli/jit.ts';
import { registerAudit, registerOperator } from '../../../cli/operator.ts';
import { registerParse } from '../../../cli/parse.ts';
import { registerRefine } from '../../../cli/refine.ts';
import { registerOffboard, registerRevocation } from '../../../cli/revocation.ts';
import { registerRules } from '../../../cli/rules.ts';
import { registerRunbook } from '../../../cli/runbook.ts';
import { revokerInProcess } from '../../fixtures/cli.ts';

/** As cli/main.ts registers them. */
const REGISTERS = [
  registerParse,
  registerGenerate,
  registerDemo,
  registerRunbook,
  registerRefine,
  registerRevocation,
  registerOffboard,
  registerRules,
  registerCases,
  registerApprovals,
  registerJit,
  registerOperator,
  registerAudit,
];

/** Servers: they run until stopped and answer over HTTP, not on stdout. */
const SERVERS = ['revoker approvals serve', 'revoker operator serve'];

function leaves(command: Command, path = command.name()): { path: string; command: Command }[] {
  if (command.commands.length === 0) return [{ path, command }];
  return command.commands.flatMap((child) => leaves(child, `${path} ${child.name()}`));
}

const revoker = (...args: string[]) => revokerInProcess(REGISTERS, ...args);

describe('the revoker command line', () => {
  it('takes --json on every command that lists or answers', () => {
    const program = new Command().name('revoker');
    for (const register of REGISTERS) register(program);

    const all = leaves(program);
    const without = all
      .filter(({ command }) => !command.options.some((option) => option.long === '--json'))
      .map(({ path }) => path);

    expect(all.length).toBeGreaterThan(25);
    expect(without).toEqual(SERVERS);
  });

  it('answers with JSON alone on stdout: jit list, runbook show, approvals rotate, generate', async () => {
    const state = mkdtempSync(join(tmpdir(), 'revoker-json-'));
    const keysFile = join(state, 'approval-keys.json');
    const before = await (await signingKeysIn(keysFile)).current();

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
