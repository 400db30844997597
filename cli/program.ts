// The `revoker` command tree, built apart from running it so tests can check the documented
// commands against it in-process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
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

export function revokerProgram(): Command {
  const program = new Command()
    .name('revoker')
    .description(
      'Contain compromised AWS principals: detect in CloudTrail, confirm, revoke, prove containment.',
    )
    .version(
      (
        JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
      '-V, --version',
      'print the version',
    )
    .showHelpAfterError();

  registerParse(program);
  registerGenerate(program);
  registerDemo(program);
  registerRunbook(program);
  registerRefine(program);
  registerRevocation(program);
  registerOffboard(program);
  registerRules(program);
  registerCases(program);
  registerConfig(program);
  registerApprovals(program);
  registerJit(program);
  registerOperator(program);
  registerAudit(program);
  return program;
}
