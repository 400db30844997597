// Bundles each functions/<name>/handler.ts into dist/<name>/handler.mjs (ESM, Node 22,
// arm64-agnostic), copies the runbooks and revoker.config.yaml beside it, and prints each
// bundle's size.
import { cpSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

// What template.yaml deploys (CodeUri: dist/<name>/): nothing left over from an earlier build.
rmSync('dist', { recursive: true, force: true });
const names = readdirSync('functions')
  .filter((name) => statSync(join('functions', name)).isDirectory())
  .sort();
for (const name of names) {
  const outfile = join('dist', name, 'handler.mjs');
  await build({
    entryPoints: [join('functions', name, 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    // The Lambda runtime provides the AWS SDK v3; DuckDB and the local runner are never bundled.
    external: ['@aws-sdk/*', '@duckdb/*', 'aws-local-stepfunctions'],
    banner: { js: 'import { createRequire } from "module"; const require = createRequire(import.meta.url);' },
    logLevel: 'warning',
  });
  cpSync(join('lib', 'runbooks'), join('dist', name, 'runbooks'), {
    recursive: true,
    filter: (path) => !path.endsWith('.ts'),
  });
  // The configuration travels with the code; the stack's parameters override per deployment.
  cpSync('revoker.config.yaml', join('dist', name, 'revoker.config.yaml'));
  // `sam build` builds a Node.js function's CodeUri with npm: give it a package with nothing to install.
  writeFileSync(
    join('dist', name, 'package.json'),
    `${JSON.stringify({ name: `revoker-${name}`, private: true, description: 'Built by npm run package.' }, null, 2)}\n`,
  );
  console.log(`${name.padEnd(12)} ${(statSync(outfile).size / 1024).toFixed(1).padStart(7)} KiB  ${outfile}`);
}
