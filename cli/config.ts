// `revoker config show`: the effective configuration — the file laid over the defaults — and
// where each top-level value came from, so a partial file can be read for what it really does.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, readConfigDocument } from '../lib/config-file.ts';
import { resolveConfig } from '../lib/domain/config.ts';
import { type ConfigSource, configSources } from '../lib/domain/config-defaults.ts';
import { printJson } from './output.ts';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('The configuration revoker runs with');

  config
    .command('show')
    .description(
      'The effective configuration: the file laid over the defaults, and where each value came from',
    )
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('--json', 'print { file, config, sources } as JSON')
    .action(async (options: { config: string; json?: boolean }) => {
      const document = await readConfigDocument(options.config);
      const effective = resolveConfig(document, options.config);
      const sources = configSources(document, effective);
      if (options.json) return printJson({ file: options.config, config: effective, sources });
      const from = (source: ConfigSource | undefined) =>
        source === 'file'
          ? `from ${options.config}`
          : source === 'file and defaults'
            ? `from ${options.config}, the rest default`
            : 'default';
      console.log(
        [
          `# ${options.config} laid over the defaults. Deployed, the stack's parameters (Mode, Approvers, TrailRegions...) are laid over this.`,
          ...Object.entries(effective).map(
            ([key, value]) => `\n# ${key}: ${from(sources[key])}\n${stringify({ [key]: value }).trimEnd()}`,
          ),
        ].join('\n'),
      );
    });
}
