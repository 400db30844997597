import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../cli/exit-codes.ts';
import { registerJit } from '../../../cli/jit.ts';
import { registerParse } from '../../../cli/parse.ts';
import { revokerInProcess } from '../../fixtures/cli.ts';

/** Two commands that end as their names say. */
function registerEndings(program: Command): void {
  program.command('break').action(() => {
    throw new Error('the disk is full');
  });
  program.command('misread').action(() => {
    throw new InputError('--at soon is not a time');
  });
}

const revoker = (...args: string[]) =>
  revokerInProcess([registerParse, registerJit, registerEndings], ...args);

describe('revoker’s exit codes: 0 done, 1 failed, 2 bad usage or input', () => {
  it('answers an unknown option with one line and where to read more, exit 2', async () => {
    const outcome = await revoker('jit', 'list', '--frobnicate');

    expect(outcome).toEqual({
      code: 2,
      stdout: '',
      stderr: "revoker jit list: unknown option '--frobnicate'\nSee `revoker jit list --help`.\n",
    });
  });

  it('answers a missing argument and an unknown command the same way, not with the whole help', async () => {
    const missing = await revoker('parse');
    const unknown = await revoker('jt');

    expect(missing).toMatchObject({
      code: 2,
      stderr: "revoker parse: missing required argument 'paths'\nSee `revoker parse --help`.\n",
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^revoker: unknown command 'jt'\n\(Did you mean jit\?\)\nSee `revoker --help`\.\n$/,
    );
  });

  it('prints help asked for with 0, and help for a group named without its command with 2', async () => {
    const asked = await revoker('jit', 'list', '--help');
    const group = await revoker('jit');

    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain('Usage: revoker jit list [options]');
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('Usage: revoker jit [options] [command]');
  });

  it('names a path that is not there on one line, exit 2', async () => {
    const outcome = await revoker('parse', '/no/such/path');

    expect(outcome).toEqual({
      code: 2,
      stdout: '',
      stderr: 'revoker: no such file or directory: /no/such/path\n',
    });
  });

  it('exits 2 for bad input and 1 for a failure, each with its message alone', async () => {
    expect(await revoker('misread')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'revoker: --at soon is not a time\n',
    });
    expect(await revoker('break')).toEqual({ code: 1, stdout: '', stderr: 'revoker: the disk is full\n' });
  });
});
