import { discoverConfigFile } from './config-discovery.ts';
import { runProgram } from './exit-codes.ts';
import { revokerProgram } from './program.ts';

// Output piped into `head` and the like closes early: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = revokerProgram();
discoverConfigFile(program);
const exitCode = await runProgram(program, process.argv);
if (exitCode !== 0) process.exitCode = exitCode;
