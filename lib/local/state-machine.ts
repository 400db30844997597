// Runs statemachines/revocation.asl.json locally with aws-local-stepfunctions: the same
// definition Step Functions runs, with each Lambda task bound to the same handler code.
import './node-compat.ts';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';

export const ASL_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'statemachines',
  'revocation.asl.json',
);

/** A Lambda handler as the local runner calls it: event in, result out. */
export type LocalFunction = (event: unknown) => Promise<unknown>;

/** `${ConfirmFunctionArn}` → the function named `confirm`. */
export function substitutionFor(functionName: string): string {
  return `${functionName[0]!.toUpperCase()}${functionName.slice(1)}FunctionArn`;
}

export function localFunctionArn(functionName: string): string {
  return `arn:aws:lambda:us-east-1:000000000000:function:revoker-${functionName}`;
}

export interface HistoryEvent {
  type: string;
  state?: string;
  at: number;
  error?: string;
}

interface StateDefinition {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  TimeoutSecondsPath?: string;
  HeartbeatSecondsPath?: string;
  Retry?: unknown[];
}

interface Definition {
  States: Record<string, StateDefinition>;
}

/** What a `waitForTaskToken` task needs locally: tokens, and a way to wait for their answer. */
export interface LocalCallbackAdapter {
  issue(deadlines: { timeoutSeconds: number; heartbeatSeconds: number }): Promise<string>;
  waitFor(token: string): Promise<unknown>;
}

/**
 * `$.settings.x` read from the task's payload. The callback task passes `settings` into its
 * payload, so the paths its TimeoutSecondsPath and HeartbeatSecondsPath name are there too.
 */
function secondsAt(payload: unknown, path: string | undefined, stateName: string): number {
  const value = (path ?? '')
    .replace(/^\$\./, '')
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], payload);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new Error(`state ${stateName}: ${path} is not a whole number of seconds in its payload`);
  return value;
}

/** Read the ASL file and fill its `${...}` placeholders, as SAM's DefinitionSubstitutions do. */
export function loadDefinition(functions: Record<string, LocalFunction>, file = ASL_FILE): Definition {
  let text = readFileSync(file, 'utf8');
  for (const name of Object.keys(functions))
    text = text.replaceAll(`\${${substitutionFor(name)}}`, localFunctionArn(name));
  const unfilled = /\$\{(\w+)\}/.exec(text);
  if (unfilled) throw new Error(`no local function supplies \${${unfilled[1]}} in ${file}`);
  return JSON.parse(text) as Definition;
}

export interface LocalExecution {
  name: string;
  output: Promise<unknown>;
  history: HistoryEvent[];
}

export class LocalStateMachine {
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  private readonly noWaits: Record<string, number> = {};
  private readonly noRetryIntervals: Record<string, number> = {};

  constructor(
    functions: Record<string, LocalFunction>,
    callbacks: LocalCallbackAdapter | null = null,
    file = ASL_FILE,
  ) {
    const definition = loadDefinition(functions, file);
    const byArn = new Map(Object.entries(functions).map(([name, fn]) => [localFunctionArn(name), fn]));
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (state.Type === 'Wait') this.noWaits[stateName] = 0;
      if (state.Retry) this.noRetryIntervals[stateName] = 0;
      const arn = state.Type === 'Task' ? state.Parameters?.FunctionName : undefined;
      if (!arn) continue;
      const fn = byArn.get(arn);
      if (!fn) throw new Error(`state ${stateName} invokes ${arn}, which has no local function`);
      if (state.Resource?.endsWith('.waitForTaskToken')) {
        this.handlers[stateName] = this.callbackTask(stateName, { ...state }, fn, callbacks);
        // Step Functions reads TimeoutSecondsPath from the state's input; the local runner reads
        // it after Parameters, where the same value sits under the payload.
        if (state.TimeoutSecondsPath)
          state.TimeoutSecondsPath = state.TimeoutSecondsPath.replace(/^\$\./, '$.Payload.');
        continue;
      }
      // lambda:invoke returns {Payload, StatusCode}; a local function returns its result bare.
      this.handlers[stateName] = async (input: unknown) => {
        const { Payload } = input as { Payload: unknown };
        return { Payload: await fn(Payload), StatusCode: 200 };
      };
    }
    this.machine = new StateMachine(definition as never, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
  }

  /**
   * Step Functions issues a fresh token each time a callback task starts and passes the
   * task's answer on as its result; the local runner has one `$$.Task.Token` per execution,
   * so the adapter issues its own tokens and waits for their answers.
   */
  private callbackTask(
    stateName: string,
    state: StateDefinition,
    fn: LocalFunction,
    callbacks: LocalCallbackAdapter | null,
  ) {
    if (!callbacks) throw new Error(`state ${stateName} waits for a task token: give the runner callbacks`);
    return async (input: unknown) => {
      const { Payload } = input as { Payload: Record<string, unknown> };
      const token = await callbacks.issue({
        timeoutSeconds: secondsAt(Payload, state.TimeoutSecondsPath, stateName),
        heartbeatSeconds: secondsAt(Payload, state.HeartbeatSecondsPath, stateName),
      });
      await fn({ ...Payload, taskToken: token });
      return callbacks.waitFor(token);
    };
  }

  /** Start an execution. Wait states and retry intervals take no real time: locally, time is simulated. */
  start(name: string, input: unknown): LocalExecution {
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.handlers as never,
        waitTimeOverrides: this.noWaits,
        retryIntervalOverrides: this.noRetryIntervals,
      },
      // Resolves `$$.Task.Token`; the callback adapter replaces it with a token per task.
      context: { Task: { Token: 'issued-by-the-local-callback-adapter' } } as never,
    });
    const history: HistoryEvent[] = [];
    const collect = (async () => {
      for await (const event of execution.eventLogs as AsyncIterable<Record<string, unknown>>) {
        const state = event.state as { name?: string } | undefined;
        history.push({
          type: String(event.type),
          at: Number(event.timestamp ?? Date.now()),
          ...(state?.name ? { state: state.name } : {}),
          ...(event.Error ? { error: `${String(event.Error)}: ${String(event.Cause ?? '')}` } : {}),
        });
      }
    })();
    const output = execution.result.then(async (result) => {
      await collect;
      return result;
    });
    return { name, output, history };
  }
}
