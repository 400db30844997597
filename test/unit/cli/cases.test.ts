import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerCases } from '../../../cli/cases.ts';
import { registerJit } from '../../../cli/jit.ts';
import { DEFAULT_CONFIG_FILE } from '../../../lib/config-file.ts';
import { revokerInProcess } from '../../fixtures/cli.ts';

const revoker = (...args: string[]) => revokerInProcess([registerCases, registerJit], ...args);
const started = process.cwd();

describe('listing cases and grants from a directory that is not there', () => {
  afterEach(() => {
    process.chdir(started);
  });

  it('names the directory typed and exits 2, for cases and grants alike', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'revoker-cases-')), 'nope');

    for (const command of [
      ['cases', 'list'],
      ['jit', 'list'],
    ])
      expect(await revoker(...command, '--cases', missing)).toEqual({
        code: 2,
        stdout: '',
        stderr: `revoker: no such directory: ${missing} (--cases)\n`,
      });
  });

  it('says to run the demo first, or to name --cases, when the default directory is not there yet', async () => {
    const project = mkdtempSync(join(tmpdir(), 'revoker-project-'));
    writeFileSync(join(project, DEFAULT_CONFIG_FILE), 'mode: dry-run\n');
    process.chdir(project);

    const outcome = await revoker('cases', 'list');

    expect(outcome).toMatchObject({
      code: 2,
      stderr: `revoker: no case records in ${join(project, '.local', 'demo', 'cases')}: run \`npx revoker demo\` first, or name the directory with --cases\n`,
    });
  });

  it('lists an existing empty directory as empty, exit 0', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'revoker-cases-'));
    mkdirSync(join(empty, 'cases'));

    expect(await revoker('cases', 'list', '--cases', join(empty, 'cases'))).toMatchObject({
      code: 0,
      stdout: `no cases in ${join(empty, 'cases')}\n`,
    });
    expect(await revoker('jit', 'list', '--cases', join(empty, 'cases'))).toMatchObject({
      code: 0,
      stdout: `no grants in ${join(empty, 'cases')}\n`,
    });
  });
});
