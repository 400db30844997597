// `revoker approve | reject | acknowledge CASE` for on-call engineers with credentials,
// `revoker approvals serve`, the approval page on localhost, over the local cases (the demo's
// by default), and `revoker approvals rotate`, which rotates the local signing keys as putting a
// new value in the stack's secret does. Deployed, the same answers go through the approval function.
import { join } from 'node:path';
import type { Command } from 'commander';
import * as z from 'zod';
import { DEFAULT_CONFIG_FILE } from '../lib/config-file.ts';
import { createApprovalHandler } from '../lib/handlers/approval.ts';
import { serveApprovals } from '../lib/local/approval-server.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import { APPROVAL_KEYS_FILE, FileSigningKeys } from '../lib/local/signing-keys.ts';
import { LocalTaskCallbacks } from '../lib/local/task-callbacks.ts';
import { type Answer, answerEscalation } from '../lib/usecases/answer-escalation.ts';
import { InputError, requireExisting } from './exit-codes.ts';
import { callOperator, DEPLOYED_OPTION } from './operator.ts';
import { printJson } from './output.ts';

const DEMO = join('.local', 'demo');

export { APPROVAL_KEYS_FILE };

/** The local approval signing keys in `file`, made (owner-only) on first use, or anew when `fresh`. */
export function signingKeysIn(file: string, fresh = false): Promise<FileSigningKeys> {
  return FileSigningKeys.open(file, { fresh });
}
const realClock = { now: () => new Date() };

interface LocalState {
  cases: string;
  callbacks: string;
}

function localParts(options: LocalState) {
  return {
    cases: new FileCaseStore(options.cases),
    callbacks: new LocalTaskCallbacks(options.callbacks, realClock),
    clock: realClock,
  };
}

export class ApprovalCommandError extends InputError {
  override name = 'ApprovalCommandError';
}

const AnswerResultSchema = z.object({ caseId: z.string(), answer: z.string(), approver: z.string() });

function registerAnswer(program: Command, answer: Answer, description: string): void {
  program
    .command(answer)
    .description(description)
    .argument('<case>', 'the case ID')
    .option(
      '--approver <identity>',
      'on the local files: who you are (your email or IAM ARN), recorded on the case; with --deployed, you are your verified identity',
    )
    .option(answer === 'reject' ? '--reason <text>' : '--reason [text]', 'why (required to reject)')
    .option(...DEPLOYED_OPTION)
    .option('--dir <dir>', 'with --deployed local: the demo’s directory', DEMO)
    .option('--config <file>', 'with --deployed local: the configuration file', DEFAULT_CONFIG_FILE)
    .option('--cases <dir>', 'case records', join(DEMO, 'cases'))
    .option('--callbacks <dir>', 'the waiting executions’ task tokens', join(DEMO, 'callbacks'))
    .option('--json', 'print the recorded answer as JSON')
    .action(
      async (
        caseId: string,
        options: LocalState & {
          json?: boolean;
          approver?: string;
          reason?: string;
          deployed?: string;
          dir: string;
          config: string;
        },
      ) => {
        const done = { acknowledge: 'Acknowledged', approve: 'Approved', reject: 'Rejected' }[answer];
        if (options.deployed) {
          if (options.approver)
            throw new ApprovalCommandError(
              '--approver and --deployed: through the operator API you are who your credentials say',
            );
          const result = AnswerResultSchema.parse(
            await callOperator(
              { deployed: options.deployed, dir: options.dir, config: options.config },
              'POST',
              `cases/${caseId}/answers`,
              { answer, reason: options.reason ?? '' },
            ),
          );
          if (options.json) return printJson(result);
          console.log(
            `${done}: case ${result.caseId}, recorded as ${result.approver} (verified by its signature).`,
          );
          return;
        }
        if (!options.approver)
          throw new ApprovalCommandError('say who you are with --approver, or answer through --deployed');
        const result = await answerEscalation(
          { caseId, answer, approver: options.approver, reason: options.reason ?? '', via: 'cli' },
          localParts(options),
        );
        if (options.json) return printJson(result);
        console.log(`${done}: case ${result.caseId}, recorded as ${result.approver}.`);
      },
    );
}

export function registerApprovals(program: Command): void {
  registerAnswer(program, 'approve', 'Approve the revocation a case is waiting on (as the named on-call)');
  registerAnswer(
    program,
    'reject',
    'Reject the revocation a case is waiting on; the case closes as rejected',
  );
  registerAnswer(
    program,
    'acknowledge',
    'Tell a waiting case you are on it (resets its acknowledgement timeout)',
  );

  const approvals = program.command('approvals').description('The approval page and its signing keys');
  approvals
    .command('serve')
    .description('Serve the approval page on 127.0.0.1 for the local cases, as the approval function does')
    .option('--port <port>', 'port to listen on', '8787')
    .option('--cases <dir>', 'case records', join(DEMO, 'cases'))
    .option('--callbacks <dir>', 'the waiting executions’ task tokens', join(DEMO, 'callbacks'))
    .option(
      '--keys-file <file>',
      'the approval links’ signing keys (the demo writes them)',
      join(DEMO, APPROVAL_KEYS_FILE),
    )
    .action(async (options: LocalState & { port: string; keysFile: string }) => {
      // Read on every request: a rotation in another terminal takes effect at once.
      const keys = new FileSigningKeys(options.keysFile);
      await keys.current();
      const handler = createApprovalHandler({ ...localParts(options), keys });
      const server = await serveApprovals(handler, Number(options.port));
      console.log(`Approval page on ${server.url}?link=... (Ctrl-C stops it)`);
    });
  approvals
    .command('rotate')
    .description(
      'Rotate the local signing keys: the current key becomes the previous one (links it signed work until they expire), a new key signs from now on, and the key before is retired',
    )
    .option('--keys-file <file>', 'the approval links’ signing keys', join(DEMO, APPROVAL_KEYS_FILE))
    .option('--json', 'print the key IDs as JSON (never the keys)')
    .action(async (options: { keysFile: string; json?: boolean }) => {
      requireExisting([options.keysFile], '--keys-file');
      const rotated = await (await signingKeysIn(options.keysFile)).rotate();
      if (options.json)
        return printJson({
          current: rotated.current.id,
          previous: rotated.previous?.id ?? null,
          retired: rotated.retired?.id ?? null,
        });
      console.log(
        `Rotated: new links are signed with key ${rotated.current.id}; links signed with ${rotated.previous?.id} work until they expire${rotated.retired ? `; links signed with ${rotated.retired.id} no longer verify` : ''}.`,
      );
    });
}
