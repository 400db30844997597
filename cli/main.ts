import { revokerProgram } from './program.ts';

// Output piped into `head` and the like closes early: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = revokerProgram();

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Expected failures (bad configuration, a refused directory, bad input) are named errors:
  // print their message, not a stack trace.
  process.stderr.write(`revoker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
