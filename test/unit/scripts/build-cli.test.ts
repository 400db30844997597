// The CLI build takes every lib/**/*-worker.ts as an entry of its own, built beside the CLI, and
// refuses two with one name (one would overwrite the other).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without type declarations.
import { workerEntries } from '../../../scripts/build-cli.mjs';

function tree(files: string[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-workers-'));
  for (const file of files) {
    mkdirSync(join(directory, file, '..'), { recursive: true });
    writeFileSync(join(directory, file), 'export {};\n');
  }
  return directory;
}

describe('the CLI build’s worker entries', () => {
  it('are every *-worker.ts, at any depth, and nothing else', () => {
    const lib = tree([
      'local/parse-worker.ts',
      'local/generator/generate-worker.ts',
      'local/parse.ts',
      'worker.ts',
    ]);

    expect(workerEntries(lib)).toEqual([
      join(lib, 'local', 'generator', 'generate-worker.ts'),
      join(lib, 'local', 'parse-worker.ts'),
    ]);
  });

  it('must have names of their own', () => {
    const lib = tree(['local/replay-worker.ts', 'usecases/replay-worker.ts']);

    expect(() => workerEntries(lib)).toThrow(/their names must differ: .*replay-worker\.ts/);
  });
});
