import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerCases } from '../../../cli/cases.ts';
import { findUpward } from '../../../cli/config-discovery.ts';
import { registerRules } from '../../../cli/rules.ts';
import { DEFAULT_CONFIG_FILE } from '../../../lib/config-file.ts';
import { revokerInProcess } from '../../fixtures/cli.ts';
import { ROOT } from '../../fixtures/template.ts';

const revoker = (...args: string[]) => revokerInProcess([registerRules, registerCases], ...args);
const started = process.cwd();

describe('finding revoker.config.yaml', () => {
  afterEach(() => {
    process.chdir(started);
  });

  it('takes the nearest one upward, as git finds .git', () => {
    const project = mkdtempSync(join(tmpdir(), 'revoker-project-'));
    const deep = join(project, 'logs', 'AWSLogs', '111122223333');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(project, DEFAULT_CONFIG_FILE), 'mode: dry-run\n');

    expect(findUpward(deep, DEFAULT_CONFIG_FILE)).toBe(join(project, DEFAULT_CONFIG_FILE));
    expect(findUpward(project, DEFAULT_CONFIG_FILE)).toBe(join(project, DEFAULT_CONFIG_FILE));
    expect(findUpward(tmpdir(), 'no-such-revoker-file.yaml')).toBeNull();
  });

  it('lets a command run from a subdirectory of the project read the project’s file', async () => {
    process.chdir(join(ROOT, 'test', 'unit'));

    const outcome = await revoker('rules', '--json');

    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'admin-policy-attached' })]),
    );
  });

  it('names the file and --config, exit 2, when there is none here or above, or the one named is not there', async () => {
    process.chdir(mkdtempSync(join(tmpdir(), 'revoker-elsewhere-')));

    const none = await revoker('rules');
    const named = await revoker('rules', '--config', 'mine.yaml');

    expect(none).toMatchObject({
      code: 2,
      stderr: `revoker: no configuration file ${DEFAULT_CONFIG_FILE}: run revoker in the project that holds it, or name it with --config\n`,
    });
    expect(named).toMatchObject({
      code: 2,
      stderr: 'revoker: no such file or directory: mine.yaml (--config)\n',
    });
  });

  it('reads the local state left at its .local default from the project root; a path typed stays relative', async () => {
    const project = mkdtempSync(join(tmpdir(), 'revoker-project-'));
    const cases = join(project, '.local', 'demo', 'cases');
    mkdirSync(cases, { recursive: true });
    mkdirSync(join(project, 'docs'));
    writeFileSync(join(project, DEFAULT_CONFIG_FILE), 'mode: dry-run\n');
    process.chdir(join(project, 'docs'));

    const defaulted = await revoker('cases', 'list');
    const typed = await revoker('cases', 'list', '--cases', join('.local', 'demo', 'cases'));

    expect(defaulted).toMatchObject({ code: 0, stdout: `no cases in ${cases}\n` });
    expect(typed).toMatchObject({
      code: 2,
      stderr: `revoker: no such directory: ${join('.local', 'demo', 'cases')} (--cases)\n`,
    });
  });
});
