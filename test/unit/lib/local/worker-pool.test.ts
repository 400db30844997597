import { afterEach, describe, expect, it } from 'vitest';
import { chunked, workerCount, workerEntry } from '../../../../lib/local/worker-pool.ts';

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
