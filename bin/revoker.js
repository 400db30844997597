#!/usr/bin/env node
// Runs the CLI as built at `npm ci` (scripts/build-cli.mjs): plain JavaScript starts in a
// fraction of the time TypeScript compiled at every start takes. When the build is missing, or
// a source it was built from changed since (a developer edited a file, switched branches, or
// copied one in keeping its older time), the sources run through tsx instead, as they are:
// slower to start, never stale.
// `npm run build` brings the fast start back.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'cli', 'main.js');

/** Every source the build read is as it was then: the same time and size, not merely older. */
function builtIsCurrent() {
  try {
    statSync(built);
    const sources = JSON.parse(readFileSync(join(root, 'build', 'cli', 'sources.json'), 'utf8'));
    return Object.entries(sources).every(([source, stamp]) => {
      const { mtimeMs, size } = statSync(join(root, source));
      return mtimeMs === stamp.mtimeMs && size === stamp.size;
    });
  } catch {
    return false;
  }
}

if (builtIsCurrent()) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
