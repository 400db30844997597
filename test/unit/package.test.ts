// One truthful Node requirement: package.json's engines admit no Node a dependency refuses
// (bar the two named below, and why), and the functions are built for the runtime Lambda runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplate, ROOT } from '../fixtures/template.ts';

type Version = [number, number, number];

function version(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text
    .replace(/^v/, '')
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `at` satisfies an engines range of the shapes npm packages use: `*`, `>=x`, `^x`, joined by `||`. */
function satisfies(at: Version, range: string): boolean {
  return range.split('||').some((alternative) => {
    const [, operator, bound] = /^\s*(\*|>=|\^)?\s*([\dx.]*)\s*$/.exec(alternative) ?? [];
    if (operator === '*' || (operator === undefined && bound === '')) return true;
    const floor = version(bound ?? '');
    if (operator === '>=') return compare(at, floor) >= 0;
    if (operator === '^') return at[0] === floor[0] && compare(at, floor) >= 0;
    throw new Error(`engines range not understood: ${range}`);
  });
}

/** Dependencies whose engines ask for Node 22, and why Node 20 is still true for this project. */
const NODE_22_ONLY = {
  // Runs only locally, never bundled; lib/local/node-compat.ts supplies the one Node 22 API it calls.
  'node_modules/aws-local-stepfunctions': '>=22.0.0',
  // The approval-page browser test only (a devDependency); it runs on Node 20 too.
  'node_modules/@sparticuz/chromium': '^22.17.0 || >=24.0.0',
};

const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[] }>;
};

describe('the Node requirement', () => {
  const floors = packageJson.engines.node
    .split('||')
    .map((part) => version(part.trim().replace(/^[\^>=~]+/, '')));

  it('is admitted by every dependency at each of its lower bounds, bar those named and why', () => {
    const refusing = Object.entries(lock.packages).flatMap(([name, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (name === '' || !range) return [];
      return floors
        .filter((floor) => !satisfies(floor, range))
        .map((floor) => `${name} ${range} refuses ${floor.join('.')}`);
    });

    expect(
      refusing.filter((line) => !Object.keys(NODE_22_ONLY).some((name) => line.startsWith(`${name} `))),
    ).toEqual([]);
    for (const [name, range] of Object.entries(NODE_22_ONLY))
      expect(lock.packages[name]?.engines, name).toEqual({ node: range });
    expect(lock.packages['']?.engines).toEqual(packageJson.engines);
  });

  it('builds the functions for the Node the template’s Lambda runtime runs', () => {
    const build = readFileSync(join(ROOT, 'scripts', 'build-functions.mjs'), 'utf8');
    const target = /target: 'node(\d+)'/.exec(build)?.[1];
    const runtime = /^nodejs(\d+)\.x$/.exec(
      String((loadTemplate().Globals as { Function: { Runtime: string } }).Function.Runtime),
    )?.[1];

    expect(target).toBeDefined();
    expect(runtime).toBe(target);
    // A current release of the runtime's Node is one the engines admit.
    expect(satisfies([Number(runtime), 99, 0], packageJson.engines.node)).toBe(true);
  });
});
