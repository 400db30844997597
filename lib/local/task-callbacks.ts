// The local stand-in for Step Functions' task tokens (`waitForTaskToken`): one file per
// waiting task, so `revoker approve` in another process can answer the demo's execution.
// The first answer wins (exclusive create), as SendTaskSuccess after an answer or a timeout
// fails with TaskTimedOut. Deadlines are read from the pipeline's clock, so a simulated
// clock can let an escalation time out without real waiting.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Clock, type TaskCallbacks, TaskNotWaitingError } from '../ports.ts';
import { writeFileAtomic } from './atomic-file.ts';

interface WaitingTask {
  issuedAt: string;
  timeoutSeconds: number;
  heartbeatSeconds: number;
}

type Answer =
  | { status: 'succeeded'; output: unknown }
  | { status: 'failed'; error: string; cause: string }
  | { status: 'timed-out'; error: 'States.Timeout' | 'States.HeartbeatTimeout'; cause: string };

/** How a failed or timed-out task surfaces: an error whose name the state's Catch matches. */
export class TaskFailedError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

const TOKEN = /^[0-9a-f]{64}$/;

export class LocalTaskCallbacks implements TaskCallbacks {
  constructor(
    private readonly directory: string,
    private readonly clock: Clock,
    private readonly pollMs = 20,
  ) {}

  private file(token: string, kind: 'task' | 'answer' | 'heartbeat'): string {
    if (!TOKEN.test(token)) throw new TaskNotWaitingError('the task token is not one this pipeline issued');
    return join(this.directory, `${token}.${kind}.json`);
  }

  /** A new token for a task about to wait, with its deadlines. */
  async issue(deadlines: { timeoutSeconds: number; heartbeatSeconds: number }): Promise<string> {
    const token = randomBytes(32).toString('hex');
    await mkdir(this.directory, { recursive: true });
    const task: WaitingTask = { issuedAt: this.clock.now().toISOString(), ...deadlines };
    await writeFileAtomic(this.file(token, 'task'), JSON.stringify(task));
    return token;
  }

  succeed(token: string, output: unknown): Promise<void> {
    return this.answer(token, { status: 'succeeded', output });
  }

  fail(token: string, error: string, cause: string): Promise<void> {
    return this.answer(token, { status: 'failed', error, cause });
  }

  async heartbeat(token: string): Promise<void> {
    await this.waitingTask(token);
    if (await this.readAnswer(token)) throw new TaskNotWaitingError('the task has already ended');
    await writeFileAtomic(
      this.file(token, 'heartbeat'),
      JSON.stringify({ at: this.clock.now().toISOString() }),
    );
  }

  /** Resolve with the task's output once answered; reject with its error, or its timeout's. */
  async waitFor(token: string): Promise<unknown> {
    const task = await this.waitingTask(token);
    // A heartbeat counts from when this waiter sees it, on its own clock — as Step Functions
    // times a SendTaskHeartbeat on arrival: `revoker acknowledge` in another process keeps real
    // time, and the demo's clock runs ahead of it.
    const acknowledged = { beat: null as string | null, at: Date.parse(task.issuedAt) };
    for (;;) {
      const answer = await this.readAnswer(token);
      if (answer?.status === 'succeeded') return answer.output;
      if (answer) throw new TaskFailedError(answer.error, answer.cause);
      const beat = await readJson<{ at: string }>(this.file(token, 'heartbeat'));
      if (beat && beat.at !== acknowledged.beat) {
        acknowledged.beat = beat.at;
        acknowledged.at = this.clock.now().getTime();
      }
      const timeout = this.expired(task, acknowledged.at);
      if (timeout) {
        try {
          await this.answer(token, timeout);
        } catch (error) {
          if (!(error instanceof TaskNotWaitingError)) throw error;
          // An answer arrived in the same instant: it wins, and the next pass reads it.
        }
        continue;
      }
      await sleep(this.pollMs);
    }
  }

  private expired(task: WaitingTask, lastSign: number): Answer | null {
    const now = this.clock.now().getTime();
    const issued = Date.parse(task.issuedAt);
    if (now >= issued + task.timeoutSeconds * 1000) {
      return {
        status: 'timed-out',
        error: 'States.Timeout',
        cause: `no decision within ${task.timeoutSeconds} seconds`,
      };
    }
    if (now >= lastSign + task.heartbeatSeconds * 1000) {
      return {
        status: 'timed-out',
        error: 'States.HeartbeatTimeout',
        cause: `not acknowledged within ${task.heartbeatSeconds} seconds`,
      };
    }
    return null;
  }

  private async waitingTask(token: string): Promise<WaitingTask> {
    const task = await readJson<WaitingTask>(this.file(token, 'task'));
    if (!task) throw new TaskNotWaitingError('no task is waiting on this token');
    return task;
  }

  private readAnswer(token: string): Promise<Answer | null> {
    return readJson<Answer>(this.file(token, 'answer'));
  }

  private async answer(token: string, answer: Answer): Promise<void> {
    await this.waitingTask(token);
    // Written whole under a temporary name, then linked into place: link fails if an answer
    // exists, so exactly one answer lands and no reader sees half of one.
    const target = this.file(token, 'answer');
    const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, JSON.stringify(answer));
    try {
      await link(temporary, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const first = await this.readAnswer(token);
      throw new TaskNotWaitingError(
        first?.status === 'timed-out'
          ? `the task timed out (${first.cause})`
          : 'the task was already answered',
      );
    } finally {
      await unlink(temporary);
    }
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
