// Each function's bundle imports only the AWS SDK clients its handler uses: importing a client
// is most of a cold start, and the composition (lib/compose/aws/) has one module per client so
// that a handler pulls in no other. Built as `npm run package` builds them, without writing.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

const DYNAMODB = ['client-dynamodb', 'lib-dynamodb'];
const IAM = ['client-iam', 'client-sso-admin', 'client-sts'];
const CLIENTS: Record<string, string[]> = {
  approval: [...DYNAMODB, 'client-secrets-manager', 'client-sfn'],
  close: [...DYNAMODB, 'client-s3', 'client-secrets-manager', 'client-sns'],
  confirm: [...DYNAMODB, 'client-athena'],
  detect: [...DYNAMODB, 'client-identitystore', 'client-sfn', 'client-sqs', 'client-sso-admin'],
  escalate: [...DYNAMODB, ...IAM, 'client-secrets-manager', 'client-sns'],
  'expire-grant': [...DYNAMODB, ...IAM, 'client-athena'],
  grant: [...DYNAMODB, ...IAM, 'client-athena', 'client-scheduler', 'client-sfn', 'client-sqs'],
  heartbeat: [...DYNAMODB, 'client-sfn', 'client-sts'],
  offboard: [...DYNAMODB, ...IAM, 'client-athena'],
  operator: [...DYNAMODB, ...IAM, 'client-athena', 'client-scheduler', 'client-sfn'],
  revoke: [...DYNAMODB, ...IAM],
  verify: [...DYNAMODB, 'client-athena'],
};

async function sdkClientsOf(name: string): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [join(ROOT, 'functions', name, 'handler.ts')],
    bundle: true,
    write: false,
    outdir: join(ROOT, 'dist'),
    platform: 'node',
    format: 'esm',
    metafile: true,
    external: ['@aws-sdk/*', '@duckdb/*', 'aws-local-stepfunctions'],
    logLevel: 'silent',
  });
  const imports = Object.values(metafile.outputs).flatMap((output) => output.imports);
  const clients = imports
    .map((entry) => /^@aws-sdk\/((?:client|lib)-.+)$/.exec(entry.path)?.[1])
    .filter((client): client is string => client !== undefined);
  return [...new Set(clients)].sort();
}

describe('each function’s bundle', () => {
  it('has its expected clients listed here', () => {
    const functions = readdirSync(join(ROOT, 'functions')).sort();

    expect(Object.keys(CLIENTS).sort()).toEqual(functions);
  });

  it.each(Object.entries(CLIENTS))('%s imports only the SDK clients it uses', async (name, clients) => {
    expect(await sdkClientsOf(name)).toEqual([...clients].sort());
  });
});
