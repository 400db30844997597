// The exit codes as a user's shell sees them, through bin/revoker.js: a missing path and an
// option the command lacks are bad usage (2), one line each; the rest is tested in process
// (test/unit/cli), through the same error handling.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { revoker } from '../fixtures/cli.ts';

describe('revoker, spawned as a user runs it', () => {
  it('names a missing path on one line and exits 2; jit list answers --json', async () => {
    // An existing empty directory of case records: nothing granted, and that is an answer (exit 0).
    const cases = join(mkdtempSync(join(tmpdir(), 'revoker-main-')), 'cases');
    mkdirSync(cases);

    const missing = await revoker('parse', '/no/such/path');
    const grants = await revoker('jit', 'list', '--json', '--cases', cases);
    const unknown = await revoker('jit', 'list', '--frobnicate');

    expect(missing).toEqual({
      code: 2,
      stdout: '',
      stderr: 'revoker: no such file or directory: /no/such/path\n',
    });
    expect(grants).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr: "revoker jit list: unknown option '--frobnicate'\nSee `revoker jit list --help`.\n",
    });
  });
});
