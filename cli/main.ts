import { Command } from 'commander';
import { registerDemo } from './demo.ts';
import { registerGenerate } from './generate.ts';
import { registerParse } from './parse.ts';

const program = new Command()
  .name('revoker')
  .description(
    'Contain compromised AWS principals: detect in CloudTrail, confirm, revoke, prove containment.',
  )
  .showHelpAfterError();

registerParse(program);
registerGenerate(program);
registerDemo(program);

await program.parseAsync(process.argv);
