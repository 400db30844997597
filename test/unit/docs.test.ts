// Every command README.md and docs/ show exists as written: each shell line is checked against the
// real command tree (subcommands, options and their values, arguments, runbooks and their
// parameters) and package.json's scripts; every `revoker ...` named in the prose too; the cheap
// local ones run for real, in-process. So no command in the docs goes stale again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { revokerProgram } from '../../cli/program.ts';
import {
  brokenLinks,
  checkRevoker,
  checkSynopsis,
  commandChecker,
  docFiles,
  revokerMentions,
  type ShellCommand,
  shellBlocks,
  shellCommands,
} from '../fixtures/doc-commands.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const scripts = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;
const files = docFiles();
const shown = files.flatMap((file) =>
  shellBlocks(file.text).flatMap((block) =>
    shellCommands(block).map((command) => ({ file: file.path, command })),
  ),
);
const line = (command: ShellCommand) => command.map((word) => word.text).join(' ');
const words = (text: string) => text.split(' ').map((word) => ({ text: word, substituted: false }));

/** The command tree, answering in-process: output collected, exits thrown instead of taken. */
function quietProgram(): { program: Command; output: () => string } {
  let output = '';
  const program = revokerProgram();
  const quiet = (command: Command) => {
    command.exitOverride().configureOutput({
      writeOut: (text) => {
        output += text;
      },
      writeErr: (text) => {
        output += text;
      },
    });
    for (const sub of command.commands) quiet(sub);
  };
  quiet(program);
  return { program, output: () => output };
}

/** Commands that read only the repository and print: cheap enough to run for real. */
const RUNNABLE = [
  /^--help$/,
  /^--version$/,
  /^rules( --json| --eventbridge)*$/,
  /^runbook (list|show [a-z-]+)$/,
];

describe('the commands the documentation shows', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reads the shell blocks of the README and docs', () => {
    expect(files.map((file) => file.path)).toContain('README.md');
    expect(files.map((file) => file.path)).toContain('docs/commands.md');
    expect(shown.filter(({ command }) => command[1]?.text === 'revoker').length).toBeGreaterThan(30);
  });

  it('names only commands, options, arguments and runbooks the CLI has, and scripts package.json has', () => {
    const check = commandChecker(revokerProgram(), scripts);
    const wrong = shown.flatMap(({ file, command }) => {
      const why = check(command);
      return why ? [`${file}: ${line(command)}\n    ${why}`] : [];
    });
    expect(wrong).toEqual([]);
  });

  it('names in its prose only `revoker` commands and options that exist', () => {
    const program = revokerProgram();
    const wrong = files.flatMap((file) =>
      revokerMentions(file.text).flatMap((mention) => {
        const why = checkSynopsis(program, mention);
        return why ? [`${file.path}: ${why}`] : [];
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('links only to files and headings that exist', () => {
    expect(brokenLinks(files)).toEqual([]);
  });

  it('runs the cheap local ones for real', async () => {
    const runnable = shown
      .filter(({ command }) => command[0]?.text === 'npx' && command[1]?.text === 'revoker')
      .map(({ command }) => command.slice(2).map((word) => word.text))
      .filter((args) => RUNNABLE.some((pattern) => pattern.test(args.join(' '))));
    expect(runnable.map((args) => args.join(' '))).toEqual(
      expect.arrayContaining(['--help', 'rules', 'runbook list', 'runbook show first-seen']),
    );
    for (const args of runnable) {
      let printed = '';
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        printed += String(chunk);
        return true;
      });
      vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
        printed += `${parts.join(' ')}\n`;
      });
      const { program, output } = quietProgram();
      try {
        await program.parseAsync(args, { from: 'user' });
      } catch (error) {
        // --help and --version end by exiting, with code 0.
        if (!(error instanceof CommanderError) || error.exitCode !== 0) throw error;
      }
      vi.restoreAllMocks();
      expect(`${printed}${output()}`.length, `revoker ${args.join(' ')} printed nothing`).toBeGreaterThan(0);
      expect(process.exitCode ?? 0, `revoker ${args.join(' ')}`).toBe(0);
    }
  });
});

describe('the check itself', () => {
  const program = revokerProgram();
  const check = commandChecker(program, scripts);

  it('reads continuations, quotes, `&&`, pipes and command substitutions as a shell does', () => {
    const commands = shellCommands(
      'npm ci && npm run demo\nnpx revoker cases show "$(npx revoker cases list --json | node -e \'x("a b")\')" \\\n  --json\nA=1 npx revoker rules # a comment',
    );
    expect(commands.map(line)).toEqual([
      'npm ci',
      'npm run demo',
      'npx revoker cases list --json',
      'node -e x("a b")',
      'npx revoker cases show  --json',
      'A=1 npx revoker rules',
    ]);
  });

  it('refuses an unknown command, option, missing argument, runbook, parameter or script', () => {
    expect(check(shellCommands('npx revoker no-such-command')[0]!)).toMatch(
      /unknown command no-such-command/,
    );
    expect(check(shellCommands('npx revoker jit list --no-such-option')[0]!)).toMatch(
      /unknown option --no-such-option/,
    );
    expect(check(shellCommands('npx revoker undo')[0]!)).toMatch(/missing case/);
    expect(check(shellCommands('npx revoker runbook show no-such-runbook')[0]!)).toMatch(
      /no runbook no-such-runbook/,
    );
    expect(check(shellCommands('npx revoker runbook run first-seen --param nope=1')[0]!)).toMatch(
      /no parameter nope/,
    );
    expect(check(shellCommands('npm run no-such-script')[0]!)).toMatch(/no such script/);
    expect(check(shellCommands('curl https://example.com')[0]!)).toMatch(/unknown program: curl/);
    expect(checkRevoker(program, words('rules --json --account 111122223333'))).toBeNull();
  });

  it('refuses an unknown subcommand or option in a synopsis, and reads alternatives and placeholders', () => {
    expect(checkSynopsis(program, 'revoker approve|reject|acknowledge CASE --deployed URL')).toBeNull();
    expect(checkSynopsis(program, 'revoker jit requests --deployed … [--days N]')).toBeNull();
    expect(checkSynopsis(program, 'revoker runbook list | show ID | run ID')).toBeNull();
    expect(checkSynopsis(program, 'revoker approve|revise CASE')).toMatch(/unknown command revise/);
    expect(checkSynopsis(program, 'revoker jit list --no-such-option')).toMatch(
      /unknown option --no-such-option/,
    );
    expect(checkSynopsis(program, 'revoker frobnicate --now')).toMatch(/unknown command frobnicate/);
  });
});
