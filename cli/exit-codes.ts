// What `revoker` exits with, as documented: 0 done, 1 failed, 2 bad usage or input. A usage
// error is one line and where to read more, not the whole help.
import { existsSync } from 'node:fs';
import { type Command, CommanderError } from 'commander';

export const EXIT_DONE = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Input the user can fix (a path that is not there, a value that cannot be right): nothing was done. */
export class InputError extends Error {
  override name = 'InputError';
}

/** Errors from lib that mean the input was wrong, by name: lib does not know about exit codes. */
const INPUT_ERRORS = new Set(['ConfigError', 'RunbookParameterError']);

/** A usage error commander has already printed, or help it printed instead of running anything. */
class UsageExit extends Error {
  override name = 'UsageExit';
  constructor(readonly exitCode: number) {
    super('usage');
  }
}

/** `revoker jit list` for the `list` command under `jit`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** On every command: a usage error prints as `revoker jit list: unknown option '--jsn'` and a pointer to its help. */
function shortUsageErrors(command: Command): void {
  const path = commandPath(command);
  command
    .configureOutput({
      outputError: (message, write) => write(`${path}: ${message.replace(/^error: /, '')}`),
    })
    .showHelpAfterError(`See \`${path} --help\`.`)
    .exitOverride((error) => {
      // --help and --version end here too, with 0; help printed because no command was named, with 2.
      throw new UsageExit(error.exitCode === 0 ? EXIT_DONE : EXIT_USAGE);
    });
  for (const subcommand of command.commands) shortUsageErrors(subcommand);
}

/** Whether the error means bad usage or input (exit 2) rather than a failure (exit 1). */
export function isInputError(error: unknown): boolean {
  return error instanceof InputError || (error instanceof Error && INPUT_ERRORS.has(error.name));
}

/**
 * Run the command line and say how it ended. Call it once every command is registered. An
 * action may also set `process.exitCode` (a proof that does not hold, say): that stands.
 */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  shortUsageErrors(program);
  try {
    await program.parseAsync(argv);
    return EXIT_DONE;
  } catch (error) {
    if (error instanceof UsageExit) return error.exitCode;
    // Expected failures (bad configuration, a refused directory, bad input) are named errors:
    // print their message, not a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`revoker: ${message}\n`);
    return isInputError(error) || error instanceof CommanderError ? EXIT_USAGE : EXIT_FAILED;
  }
}

/** Each path must exist: the first that does not is named, on one line, with the option that named it. */
export function requireExisting(paths: readonly string[], option?: string): void {
  for (const path of paths)
    if (!existsSync(path))
      throw new InputError(`no such file or directory: ${path}${option ? ` (${option})` : ''}`);
}
