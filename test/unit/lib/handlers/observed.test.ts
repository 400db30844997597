// The deployed chain around real handlers: what a case leaves on stdout in Lambda — the
// Powertools JSON log line with the case, rule, principal, step and execution, and the EMF
// documents CloudWatch turns into metrics (namespace revoker, dimensions service and rule).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { executionNameOf } from '../../../../lib/domain/case.ts';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger, principalArnOf } from '../../../../lib/domain/trigger.ts';
import { createCloseHandler } from '../../../../lib/handlers/close.ts';
import { createDetectHandler } from '../../../../lib/handlers/detect.ts';
import { observed } from '../../../../lib/handlers/observed.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { FileCaseArchive } from '../../../../lib/local/file-case-archive.ts';
import { FileNotifier } from '../../../../lib/local/notifier.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const record = stolenInstanceCredentialsGrant();
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal);
const ROLE = principalArnOf(trigger.target);
const context = {
  functionName: 'revoker-CloseFunction-AbC123',
  awsRequestId: 'request-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:146450651832:function:revoker-CloseFunction-AbC123',
  memoryLimitInMB: '512',
} as Context;

/**
 * Everything the function writes, one JSON document per line, as CloudWatch Logs receives it
 * (Powertools writes warnings and errors to stderr, the rest and EMF to stdout).
 */
let stdout: string[];
beforeEach(() => {
  stdout = [];
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
});
afterEach(() => vi.restoreAllMocks());

const documents = () => stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
const logLine = (message: string) => documents().find((document) => document.message === message);
/** The EMF documents: each names its metrics and dimensions under `_aws.CloudWatchMetrics`. */
const emf = () =>
  documents()
    .filter((document) => '_aws' in document)
    .map((document) => {
      const [directive] = (
        document._aws as {
          CloudWatchMetrics: {
            Namespace: string;
            Dimensions: string[][];
            Metrics: { Name: string; Unit: string }[];
          }[];
        }
      ).CloudWatchMetrics;
      return { directive: directive!, document };
    });

/** The close handler in the deployed chain, over a case opened on the trigger, `minutes` after its call. */
async function observedClose(caseId: string, minutes: number) {
  const cases = new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-cases-')));
  await openTestCase(cases, trigger, { caseId });
  const clock = new SimulatedClock(new Date(Date.parse(trigger.eventTime) + minutes * 60_000));
  const notifier = new FileNotifier(join(mkdtempSync(join(tmpdir(), 'revoker-notes-')), 'sent.jsonl'), clock);
  const archive = new FileCaseArchive(mkdtempSync(join(tmpdir(), 'revoker-archive-')));
  return {
    cases,
    handler: observed('close', createCloseHandler({ cases, clock, notifier, archive }), clock),
  };
}

describe('the deployed chain (observed)', () => {
  it('close: a contained case logs one JSON line with the case, and counts CasesContained and TimeToContained by rule', async () => {
    // Contained 25 minutes after the call.
    const { handler } = await observedClose('case-1', 25);

    await handler(
      {
        caseId: 'case-1',
        trigger,
        revision: 0,
        closing: { outcome: 'contained', reason: 'no activity since the cutoff' },
        // The rest of the execution's state, which close does not read.
        verification: { status: 'contained' },
      },
      context,
    );

    expect(logLine('closed')).toMatchObject({
      level: 'INFO',
      service: 'revoker',
      function_name: 'revoker-CloseFunction-AbC123',
      function_request_id: 'request-1',
      step: 'close',
      caseId: 'case-1',
      rule: 'instance-credentials-iam-escalation',
      principal: ROLE,
      execution: executionNameOf('case-1'),
      outcome: 'contained',
      failed: false,
      secondsSinceCall: 1500,
    });
    const metrics = emf();
    expect(metrics.map(({ directive }) => directive)).toEqual([
      {
        Namespace: 'revoker',
        Dimensions: [['service', 'rule']],
        Metrics: [{ Name: 'CasesContained', Unit: 'Count' }],
      },
      {
        Namespace: 'revoker',
        Dimensions: [['service', 'rule']],
        Metrics: [{ Name: 'TimeToContained', Unit: 'Seconds' }],
      },
    ]);
    expect(metrics.map(({ document }) => document)).toEqual([
      expect.objectContaining({
        service: 'revoker',
        rule: 'instance-credentials-iam-escalation',
        CasesContained: 1,
      }),
      expect.objectContaining({ rule: 'instance-credentials-iam-escalation', TimeToContained: 1500 }),
    ]);
    // No principal, case or account is ever a dimension or a value of one.
    expect(JSON.stringify(metrics.map(({ document }) => document))).not.toContain(ROLE);
    expect(JSON.stringify(metrics.map(({ document }) => document))).not.toContain('case-1');
  });

  it('close after a failed step: CasesFailed, and an expired escalation counts a missed decision deadline', async () => {
    const { cases, handler } = await observedClose('case-2', 90);

    await handler(
      {
        caseId: 'case-2',
        trigger,
        revision: 0,
        closing: { outcome: 'expired', reason: 'nobody decided in time' },
        approvalTimeout: { Error: 'States.Timeout', Cause: '' },
      },
      context,
    );

    expect(logLine('decision deadline missed')).toMatchObject({
      level: 'WARN',
      caseId: 'case-2',
      onTimeout: 'expire',
    });
    expect(emf().map(({ directive }) => [directive.Metrics[0]!.Name, directive.Dimensions])).toEqual([
      ['DecisionDeadlinesMissed', [['service']]],
    ]);

    stdout.length = 0;
    await openTestCase(cases, { ...trigger, credentialId: 'another' }, { caseId: 'case-3' });
    await handler(
      {
        caseId: 'case-3',
        trigger,
        revision: 0,
        closing: { outcome: 'needs-human', reason: 'A step failed; the case needs a human' },
        error: { Error: 'Lambda.Unknown', Cause: 'timed out' },
      },
      context,
    );

    expect(logLine('closed')).toMatchObject({
      caseId: 'case-3',
      outcome: 'needs-human',
      failed: true,
      error: 'Lambda.Unknown',
    });
    expect(emf().map(({ directive, document }) => [directive.Metrics[0]!.Name, document.rule])).toEqual([
      ['CasesFailed', 'instance-credentials-iam-escalation'],
    ]);
  });

  it('detect: an opened case counts CasesOpened by rule; an event it cannot use counts a dead letter', async () => {
    const cases = new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-cases-')));
    const clock = new SimulatedClock(new Date(trigger.eventTime));
    const handler = observed(
      'detect',
      createDetectHandler({
        cases,
        workflow: new RecordingWorkflow(),
        clock,
        config: await shippedConfig(),
        deadLetters: new RecordingDeadLetters(),
      }),
      clock,
    );

    await handler(envelopeFor(record, 'e-1'), context);
    await handler({ detail: 'not a CloudTrail event' }, context);

    expect(logLine('case opened')).toMatchObject({
      step: 'detect',
      caseId: expect.any(String),
      rule: 'instance-credentials-iam-escalation',
      principal: ROLE,
      execution: expect.stringMatching(/^case-/),
    });
    expect(logLine('dead letter')).toMatchObject({
      level: 'WARN',
      step: 'detect',
      reason: expect.any(String),
    });
    expect(
      emf().map(({ directive, document }) => [
        directive.Metrics[0]!.Name,
        directive.Dimensions,
        document.rule,
      ]),
    ).toEqual([
      ['CasesOpened', [['service', 'rule']], 'instance-credentials-iam-escalation'],
      ['DeadLetters', [['service']], undefined],
    ]);
  });

  it('logs a step that throws with its case, and throws as before', async () => {
    const handler = observed(
      'revoke',
      async () => {
        throw new Error('IAM said no');
      },
      new SimulatedClock(new Date()),
    );

    await expect(handler({ caseId: 'case-9', trigger }, context)).rejects.toThrow('IAM said no');

    expect(logLine('step failed')).toMatchObject({
      level: 'ERROR',
      step: 'revoke',
      caseId: 'case-9',
      rule: 'instance-credentials-iam-escalation',
      error: 'Error',
      cause: 'IAM said no',
    });
    expect(emf()).toEqual([]);
  });
});
