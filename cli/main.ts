import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerApprovals } from './approvals.ts';
import { registerCases } from './cases.ts';
import { discoverConfigFile } from './config-discovery.ts';
import { registerDemo } from './demo.ts';
import { runProgram } from './exit-codes.ts';
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
  .version(
    (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string })
      .version,
    '-V, --version',
    'print the version',
  );

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

discoverConfigFile(program);
const exitCode = await runProgram(program, process.argv);
if (exitCode !== 0) process.exitCode = exitCode;
