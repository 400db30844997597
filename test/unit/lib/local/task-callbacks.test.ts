import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { LocalTaskCallbacks } from '../../../../lib/local/task-callbacks.ts';
import { TaskNotWaitingError } from '../../../../lib/ports.ts';

function callbacks() {
  const clock = new SimulatedClock(new Date('2026-01-15T12:00:00Z'));
  const directory = mkdtempSync(join(tmpdir(), 'revoker-tokens-'));
  return { clock, directory, tokens: new LocalTaskCallbacks(directory, clock, 5) };
}

describe('LocalTaskCallbacks', () => {
  it('hands the waiting task the first answer; a second is refused, as SendTaskSuccess refuses it', async () => {
    const { tokens } = callbacks();
    const token = await tokens.issue({ timeoutSeconds: 60, heartbeatSeconds: 30 });
    const answer = tokens.waitFor(token);

    await tokens.succeed(token, { decision: 'approved' });

    await expect(answer).resolves.toEqual({ decision: 'approved' });
    await expect(tokens.fail(token, 'revoker.Rejected', 'late')).rejects.toThrow(
      new TaskNotWaitingError('the task was already answered'),
    );
  });

  it('is answered across processes: another instance on the same directory answers it', async () => {
    const { tokens, directory, clock } = callbacks();
    const token = await tokens.issue({ timeoutSeconds: 60, heartbeatSeconds: 30 });
    const answer = tokens.waitFor(token);

    await new LocalTaskCallbacks(directory, clock).fail(token, 'revoker.Rejected', 'not this one');

    await expect(answer).rejects.toMatchObject({ name: 'revoker.Rejected', message: 'not this one' });
  });

  it('times out on the clock, and then refuses answers', async () => {
    const { tokens, clock } = callbacks();
    const token = await tokens.issue({ timeoutSeconds: 60, heartbeatSeconds: 60 });
    const answer = tokens.waitFor(token);

    clock.advance(60);

    await expect(answer).rejects.toMatchObject({ name: 'States.Timeout' });
    await expect(tokens.succeed(token, {})).rejects.toThrow(/timed out/);
  });

  it('times out early without a heartbeat, and a heartbeat keeps it waiting', async () => {
    const { tokens, clock } = callbacks();
    const beating = await tokens.issue({ timeoutSeconds: 600, heartbeatSeconds: 60 });
    const silent = await tokens.issue({ timeoutSeconds: 600, heartbeatSeconds: 60 });
    const kept = tokens.waitFor(beating);
    const dropped = tokens.waitFor(silent);

    clock.advance(50);
    await tokens.heartbeat(beating);
    clock.advance(20);

    await expect(dropped).rejects.toMatchObject({ name: 'States.HeartbeatTimeout' });
    await tokens.succeed(beating, 'still here');
    await expect(kept).resolves.toBe('still here');
  });

  it('counts a heartbeat from when it sees it: one sent on another process’s clock, far behind, still acknowledges', async () => {
    const { tokens, directory, clock } = callbacks();
    const token = await tokens.issue({ timeoutSeconds: 600, heartbeatSeconds: 60 });
    const answer = tokens.waitFor(token);
    // `revoker acknowledge` keeps real time; the demo's clock runs ahead of it.
    const behind = new LocalTaskCallbacks(directory, { now: () => new Date('2026-01-15T11:00:00Z') });

    clock.advance(50);
    await behind.heartbeat(token);
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.advance(50);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await tokens.succeed(token, 'acknowledged, then approved');

    await expect(answer).resolves.toBe('acknowledged, then approved');
  });

  it('refuses tokens it never issued, without touching the file system beyond its directory', async () => {
    const { tokens } = callbacks();

    await expect(tokens.succeed('../../etc/passwd', {})).rejects.toThrow(TaskNotWaitingError);
    await expect(tokens.succeed('a'.repeat(64), {})).rejects.toThrow('no task is waiting on this token');
  });
});
