import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { chunked, inChunks, workerCount, workerEntry } from '../../../../lib/local/worker-pool.ts';

describe('worker entries and counts', () => {
  const configured = process.env.REVOKER_WORKERS;
  afterEach(() => {
    if (configured === undefined) delete process.env.REVOKER_WORKERS;
    else process.env.REVOKER_WORKERS = configured;
  });

  it('finds a worker entry beside its caller, with the caller’s extension (source or built)', () => {
    expect(workerEntry('file:///app/lib/local/record-files.ts', 'read').href).toBe(
      'file:///app/lib/local/read-worker.ts',
    );
    expect(workerEntry('file:///app/dist/lib/local/record-files.js', 'read').href).toBe(
      'file:///app/dist/lib/local/read-worker.js',
    );
  });

  it('starts as many workers as REVOKER_WORKERS says, none for 0 or 1, and refuses anything else', () => {
    process.env.REVOKER_WORKERS = '3';
    expect(workerCount()).toBe(3);
    for (const none of ['0', '1']) {
      process.env.REVOKER_WORKERS = none;
      expect(workerCount()).toBe(0);
    }
    process.env.REVOKER_WORKERS = 'many';
    expect(() => workerCount()).toThrow(/REVOKER_WORKERS must be a whole number/);
  });

  it('cuts items into consecutive runs, in order, none empty', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([], 2)).toEqual([]);
  });
});

/** A worker entry speaking the pool's protocol, doing `onTask` (JavaScript, with `id` and `task`) on each task. */
function workerDoing(onTask: string): URL {
  const file = join(mkdtempSync(join(tmpdir(), 'revoker-pool-')), 'test-worker.mjs');
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
     parentPort.on('message', ({ id, task }) => { ${onTask} });`,
  );
  return pathToFileURL(file);
}

describe('a worker pool whose worker fails mid-run', () => {
  const run = (entry: URL) =>
    inChunks<number, number>(entry, 2, [1, 2, 3, 4, 5, 6], (chunk) => chunk.reduce((a, b) => a + b, 0));

  it('answers every chunk in order when the workers do their work', async () => {
    const entry = workerDoing('parentPort.postMessage({ id, result: task * 10 });');
    const results = await run(entry);
    expect(results.reduce((a, b) => a + b, 0)).toBe(210);
  });

  it('fails with the reason a task threw', async () => {
    const entry = workerDoing(
      "if (task > 5) parentPort.postMessage({ id, error: 'Error: no such file' }); else parentPort.postMessage({ id, result: task });",
    );
    await expect(run(entry)).rejects.toThrow(/no such file/);
  });

  it('fails with the reason a worker crashed', async () => {
    const entry = workerDoing(
      "if (task > 5) throw new Error('out of luck'); parentPort.postMessage({ id, result: task });",
    );
    await expect(run(entry)).rejects.toThrow(/out of luck/);
  });

  it('fails, never waits forever, when a worker ends cleanly with a task unanswered', async () => {
    const entry = workerDoing('if (task > 5) process.exit(0); parentPort.postMessage({ id, result: task });');
    await expect(run(entry)).rejects.toThrow(/exited/);
  }, 10_000);
});
