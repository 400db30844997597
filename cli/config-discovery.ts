// `revoker.config.yaml` is found as git finds `.git`: in the working directory or the nearest
// directory above it, so a command run from a subdirectory of the project reads the project's.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../lib/config-file.ts';
import { requireExisting } from './exit-codes.ts';

/** The nearest `name` in `from` or a directory above it, or null. */
export function findUpward(from: string, name: string): string | null {
  for (let directory = resolve(from); ; directory = dirname(directory)) {
    const candidate = join(directory, name);
    if (existsSync(candidate)) return candidate;
    if (dirname(directory) === directory) return null;
  }
}

/**
 * Before any command runs: a `--config` left at its default becomes the nearest configuration
 * file upward (when there is none, the command says so if it reads one); one given on the
 * command line must exist.
 */
export function discoverConfigFile(program: Command): void {
  program.hook('preAction', (_program, command) => {
    const source = command.getOptionValueSource('config');
    if (source === 'cli') return requireExisting([command.getOptionValue('config') as string], '--config');
    if (source !== 'default' || command.getOptionValue('config') !== DEFAULT_CONFIG_FILE) return;
    const found = findUpward(process.cwd(), DEFAULT_CONFIG_FILE);
    if (found) command.setOptionValueWithSource('config', found, 'default');
  });
}
