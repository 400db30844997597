// `revoker approve | reject | acknowledge CASE` for on-call engineers with credentials, and
// `revoker approvals serve`, the approval page on localhost, over the local cases (the demo's
// by default). Deployed, the same answers go through the approval function.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { createApprovalHandler } from '../functions/approval/handler.ts';
import { serveApprovals } from '../lib/local/approval-server.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import { LocalTaskCallbacks } from '../lib/local/task-callbacks.ts';
import { type Answer, answerEscalation } from '../lib/usecases/answer-escalation.ts';

const DEMO = join('.local', 'demo');

/** Where the local approval-link secret is kept, beside the cases. */
export const APPROVAL_SECRET_FILE = 'approval.secret';

/** The local approval-link secret in `file`, made (owner-only) on first use. */
export async function approvalSecretIn(file: string, fresh = false): Promise<string> {
  if (!fresh) {
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const secret = randomBytes(32).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
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

function registerAnswer(program: Command, answer: Answer, description: string): void {
  program
    .command(answer)
    .description(description)
    .argument('<case>', 'the case ID')
    .requiredOption('--approver <identity>', 'who you are: your email or IAM ARN, recorded on the case')
    .option(answer === 'reject' ? '--reason <text>' : '--reason [text]', 'why (required to reject)')
    .option('--cases <dir>', 'case records', join(DEMO, 'cases'))
    .option('--callbacks <dir>', 'the waiting executions’ task tokens', join(DEMO, 'callbacks'))
    .action(async (caseId: string, options: LocalState & { approver: string; reason?: string }) => {
      const result = await answerEscalation(
        { caseId, answer, approver: options.approver, reason: options.reason ?? '', via: 'cli' },
        localParts(options),
      );
      const done = { acknowledge: 'Acknowledged', approve: 'Approved', reject: 'Rejected' }[answer];
      console.log(`${done}: case ${result.caseId}, recorded as ${result.approver}.`);
    });
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

  program
    .command('approvals')
    .description('The approval page')
    .command('serve')
    .description('Serve the approval page on 127.0.0.1 for the local cases, as the approval function does')
    .option('--port <port>', 'port to listen on', '8787')
    .option('--cases <dir>', 'case records', join(DEMO, 'cases'))
    .option('--callbacks <dir>', 'the waiting executions’ task tokens', join(DEMO, 'callbacks'))
    .option(
      '--secret-file <file>',
      'the approval-link secret (the demo writes one)',
      join(DEMO, 'approval.secret'),
    )
    .action(async (options: LocalState & { port: string; secretFile: string }) => {
      const approvalSecret =
        process.env.REVOKER_APPROVAL_SECRET ?? (await readFile(options.secretFile, 'utf8')).trim();
      const handler = createApprovalHandler({ ...localParts(options), approvalSecret });
      const server = await serveApprovals(handler, Number(options.port));
      console.log(`Approval page on ${server.url}?link=... (Ctrl-C stops it)`);
    });
}
