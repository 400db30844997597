// The `revoker` command tree, built apart from running it so tests can check the documented
// commands against it in-process.
import { Command } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { registerApprovals } from './approvals.ts';
import { registerCases } from './cases.ts';
import { registerConfig } from './config.ts';
import { registerDemo } from './demo.ts';
import { registerGenerate } from './generate.ts';
import { registerJit } from './jit.ts';
import { registerAudit, registerOperator } from './operator.ts';
import { registerParse } from './parse.ts';
import { registerRefine } from './refine.ts';
import { registerOffboard, registerRevocation } from './revocation.ts';
import { registerRules } from './rules.ts';
import { registerRunbook } from './runbook.ts';

/** Every command, in the order `revoker --help` lists them. */
export const REGISTERS: ((program: Command) => void)[] = [
  registerParse,
  registerGenerate,
  registerDemo,
  registerRunbook,
  registerRefine,
  registerRevocation,
  registerOffboard,
  registerRules,
  registerCases,
  registerConfig,
  registerApprovals,
  registerJit,
  registerOperator,
  registerAudit,
];

export function revokerProgram(): Command {
  const program = new Command()
    .name('revoker')
    .description(
      'Contain compromised AWS principals: detect in CloudTrail, confirm, revoke, prove containment.',
    )
    // Imported, not read beside this file: the built CLI is one file elsewhere, with the version in it.
    .version(packageJson.version, '-V, --version', 'print the version');

  for (const register of REGISTERS) register(program);
  return program;
}
