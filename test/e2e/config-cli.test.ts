// `revoker config show` on a file of one key: the real command, printing the rest from the defaults.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS } from '../../lib/domain/config-defaults.ts';
import { revoker } from '../fixtures/cli.ts';

/** A configuration file of this text, in a directory of its own. */
function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'revoker-config-')), 'revoker.config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('revoker config show', () => {
  it('loads a file of one key and prints the rest from the defaults, saying so for each', async () => {
    const file = configFile('verify:\n  regions: [eu-west-1]\n');

    const shown = await revoker('config', 'show', '--config', file);

    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`# verify: from ${file}, the rest default\nverify:\n  marginMinutes: 5\n`);
    expect(shown.stdout).toContain('  regions:\n    - eu-west-1\n');
    expect(shown.stdout).toContain('# mode: default\nmode: dry-run\n');
    for (const key of ['confirm', 'guardRails', 'revocation', 'escalation', 'access', 'rules', 'findings'])
      expect(shown.stdout).toContain(`# ${key}: default\n${key}:`);
  });

  it('prints the effective configuration and its sources as JSON', async () => {
    const file = configFile('mode: dry-run\n');

    const shown = await revoker('config', 'show', '--config', file, '--json');

    expect(shown.code).toBe(0);
    const { config, sources } = JSON.parse(shown.stdout) as {
      config: unknown;
      sources: Record<string, string>;
    };
    expect(config).toEqual({ ...CONFIG_DEFAULTS, mode: 'dry-run' });
    expect(sources).toEqual({
      mode: 'file',
      confirm: 'default',
      verify: 'default',
      guardRails: 'default',
      revocation: 'default',
      escalation: 'default',
      access: 'default',
      rules: 'default',
      findings: 'default',
    });
  });

  it('names an unknown key, and asks for approvers before it will enforce', async () => {
    const typo = await revoker('config', 'show', '--config', configFile('mode: dry-run\nguardRail: {}\n'));
    const enforcing = await revoker('config', 'show', '--config', configFile('mode: enforce\n'));

    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('guardRail: no such setting');
    expect(enforcing.code).not.toBe(0);
    expect(enforcing.stderr).toContain('escalation.approvers: found []: enforce mode needs at least one');
  });
});
