import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { type Config, ConfigError, configMapping, resolveConfig } from './domain/config.ts';

export const DEFAULT_CONFIG_FILE = 'revoker.config.yaml';

/** The configuration file laid over the defaults and validated. */
export async function loadConfigFile(path: string): Promise<Config> {
  return resolveConfig(await readConfigDocument(path), path);
}

/** The file's own keys, as written (not yet laid over the defaults, nor validated). */
export async function readConfigDocument(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ConfigError(
        `no configuration file ${path}: run revoker in the project that holds it, or name it with --config`,
        { cause: error },
      );
    throw new ConfigError(`cannot read configuration ${path}`, { cause: error });
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ConfigError(`configuration ${path} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return configMapping(document, path);
}
