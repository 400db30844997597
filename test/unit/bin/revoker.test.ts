// bin/revoker.js runs the CLI as built while the build is current, and the sources through tsx
// when the build is missing or a source it was built from changed: never a stale build.
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const run = promisify(execFile);
let root: string;

/** A checkout with a built CLI and its sources, each saying which one ran. */
function checkout(): string {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-bin-'));
  for (const folder of ['bin', 'cli', join('build', 'cli')])
    mkdirSync(join(directory, folder), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'revoker.js'), join(directory, 'bin', 'revoker.js'));
  writeFileSync(join(directory, 'package.json'), '{ "type": "module" }\n');
  // tsx, for the sources, from this checkout's dependencies.
  symlinkSync(join(ROOT, 'node_modules'), join(directory, 'node_modules'));
  writeFileSync(join(directory, 'cli', 'main.ts'), "const ran: string = 'sources';\nconsole.log(ran);\n");
  writeFileSync(join(directory, 'build', 'cli', 'main.js'), "console.log('built');\n");
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(directory, 'cli', 'main.ts'), past, past);
  const { mtimeMs, size } = statSync(join(directory, 'cli', 'main.ts'));
  writeFileSync(
    join(directory, 'build', 'cli', 'sources.json'),
    JSON.stringify({ 'cli/main.ts': { mtimeMs, size } }),
  );
  return directory;
}

async function revoker(): Promise<string> {
  return (await run(process.execPath, [join(root, 'bin', 'revoker.js')], { cwd: root })).stdout.trim();
}

beforeEach(() => {
  root = checkout();
  return () => rmSync(root, { recursive: true, force: true });
});

describe('bin/revoker.js', () => {
  it('runs the built CLI while every source is as it was built', async () => {
    expect(await revoker()).toBe('built');
  });

  it('runs the sources when one is newer than the build (edited since)', async () => {
    const now = new Date(Date.now() + 1_000);
    utimesSync(join(root, 'cli', 'main.ts'), now, now);

    expect(await revoker()).toBe('sources');
  });

  // cp -p, rsync -a, tar and unzip keep a file's own time: a changed source can be older than the build.
  it('runs the sources when one changed but keeps a time older than the build', async () => {
    writeFileSync(
      join(root, 'cli', 'main.ts'),
      "const ran: string = 'sources, changed';\nconsole.log(ran);\n",
    );
    const older = new Date(Date.now() - 120_000);
    utimesSync(join(root, 'cli', 'main.ts'), older, older);

    expect(await revoker()).toBe('sources, changed');
  });

  it('runs the sources when there is no build, or its list of sources is gone', async () => {
    rmSync(join(root, 'build', 'cli', 'sources.json'));
    expect(await revoker()).toBe('sources');

    rmSync(join(root, 'build'), { recursive: true });
    expect(await revoker()).toBe('sources');
  });
});
