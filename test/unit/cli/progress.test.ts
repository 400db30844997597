import { afterEach, describe, expect, it, vi } from 'vitest';
import { counted, progress } from '../../../cli/progress.ts';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return {
    written,
    isTTY,
    write: (chunk: string) => {
      written.push(chunk);
      return true;
    },
  };
}

async function drain<T>(entries: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const entry of entries) all.push(entry);
  return all;
}

async function* three() {
  yield* ['a', 'b', 'c'];
}

describe('progress', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes nothing when stderr is not a terminal (pipes, files, tests)', async () => {
    const piped = stream(false);

    const shown = progress('reading logs', 'records', piped);
    await drain(counted(three(), shown));
    shown.done();

    expect(piped.written).toEqual([]);
  });

  it('on a terminal, redraws one line with the count and the time, then clears it', async () => {
    vi.useFakeTimers();
    const terminal = stream(true);

    const shown = progress('reading logs', 'records', terminal);
    const entries = await drain(counted(three(), shown));
    vi.advanceTimersByTime(300);
    shown.done();
    vi.advanceTimersByTime(1000);

    expect(entries).toEqual(['a', 'b', 'c']);
    expect(terminal.written).toEqual([
      '\r\u001b[Kreading logs: 0 records (0s)',
      '\r\u001b[Kreading logs: 3 records (0s)',
      '\r\u001b[K',
    ]);
  });
});
