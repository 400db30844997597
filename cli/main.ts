import { Command } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { registerApprovals } from './approvals.ts';
import { registerCases } from './cases.ts';
import { registerDemo } from './demo.ts';
import { registerGenerate } from './generate.ts';
import { registerJit } from './jit.ts';
import { registerAudit, registerOperator } from './operator.ts';
import { registerParse } from './parse.ts';
import { registerRefine } from './refine.ts';
import { registerOffboard, registerRevocation } from './revocation.ts';
import { registerRules } from './rules.ts';
import { registerRunbook } from './runbook.ts';

// Output piped into `head` and the like closes early: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command()
  .name('revoker')
  .description(
    'Contain compromised AWS principals: detect in CloudTrail, confirm, revoke, prove containment.',
  )
  // Imported, not read beside this file: the built CLI is one file elsewhere, with the version in it.
  .version(packageJson.version, '-V, --version', 'print the version')
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
registerApprovals(program);
registerJit(program);
registerOperator(program);
registerAudit(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Expected failures (bad configuration, a refused directory, bad input) are named errors:
  // print their message, not a stack trace.
  process.stderr.write(`revoker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
