// `revoker.config.yaml` is found as git finds `.git`: in the working directory or the nearest
// directory above it, so a command run from a subdirectory of the project reads the project's.
// The local state under `.local/` (the demo's cases, IAM account, callbacks...) lives beside it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
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

/** The directory local state lives in by default: `.local` in the project root. */
const LOCAL_STATE = '.local';

function isLocalStatePath(value: unknown): value is string {
  return typeof value === 'string' && (value === LOCAL_STATE || value.startsWith(`${LOCAL_STATE}${sep}`));
}

/**
 * Before any command runs: a `--config` left at its default becomes the nearest configuration
 * file upward (when there is none, the command says so if it reads one); one given on the
 * command line must exist. Paths left at their `.local/...` default resolve against the
 * directory that file is in, the project root, so `cd docs && revoker cases list` finds the
 * demo's cases; a path the user typed stays relative to the working directory.
 */
export function discoverConfigFile(program: Command): void {
  program.hook('preAction', (_program, command) => {
    const found = findUpward(process.cwd(), DEFAULT_CONFIG_FILE);
    if (found) resolveLocalDefaults(command, dirname(found));
    const source = command.getOptionValueSource('config');
    if (source === 'cli') return requireExisting([command.getOptionValue('config') as string], '--config');
    if (source !== 'default' || command.getOptionValue('config') !== DEFAULT_CONFIG_FILE) return;
    if (found) command.setOptionValueWithSource('config', found, 'default');
  });
}

function resolveLocalDefaults(command: Command, projectRoot: string): void {
  for (const option of command.options) {
    const key = option.attributeName();
    const value: unknown = command.getOptionValue(key);
    if (command.getOptionValueSource(key) !== 'default' || !isLocalStatePath(value)) continue;
    command.setOptionValueWithSource(key, join(projectRoot, value), 'default');
  }
}
