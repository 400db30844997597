import { Command } from 'commander';
import { registerParse } from './parse.ts';

const program = new Command()
  .name('revoker')
  .description('Contain compromised AWS principals: detect in CloudTrail, confirm, revoke, prove containment.')
  .showHelpAfterError();

registerParse(program);

await program.parseAsync(process.argv);
