// The operator API as a person uses it locally: `revoker operator serve` on 127.0.0.1, keys made
// by `revoker operator credentials`, and the CLI sending signed requests with `--deployed URL`.
// Who may run which runbook comes from the shipped configuration's `access` section.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/domain/audit.ts';
import { LocalIamAccount } from '../../lib/local/iam-account.ts';
import { revoker } from '../fixtures/cli.ts';

const REVOKER = resolve(import.meta.dirname, '..', '..', 'bin', 'revoker.js');
const ACCOUNT = '146450651832';

let directory: string;
let server: ChildProcess;
let url: string;

// Minted keys stay valid, so each identity's is minted once: each mint is a CLI spawn.
const minted = new Map<string, Promise<Record<string, string>>>();
async function mintCredentials(identity: string): Promise<Record<string, string>> {
  const printed = await revoker('operator', 'credentials', '--identity', identity, '--dir', directory);
  return Object.fromEntries(
    [...printed.stdout.matchAll(/^export (\w+)=(\S+)$/gm)].map((match) => [match[1]!, match[2]!]),
  );
}

/** `revoker ...` signing as `identity` (a key minted for it), against the served API. */
async function as(identity: string, ...args: string[]) {
  if (!minted.has(identity)) minted.set(identity, mintCredentials(identity));
  return revoker.withEnv(await minted.get(identity)!, ...args, '--deployed', url);
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'revoker-operator-'));
  const generated = await revoker(
    'generate',
    '--out',
    join(directory, 'logs'),
    '--days',
    '1',
    '--events',
    '2000',
    '--end',
    '2026-01-15T12:00:00Z',
    '--seed',
    'revoker-demo',
  );
  expect(generated.code).toBe(0);
  // The account the local API serves, as the demo would make it: callers are its identities.
  await new LocalIamAccount(LocalIamAccount.pathFor(join(directory, 'iam'), ACCOUNT)).save({
    accountId: ACCOUNT,
  });
  server = spawn(process.execPath, [REVOKER, 'operator', 'serve', '--port', '0', '--dir', directory], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((found, failed) => {
    let printed = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      const address = /(http:\/\/127\.0\.0\.1:\d+)/.exec(printed)?.[1];
      if (address) found(address);
    });
    server.once('exit', (code) => failed(new Error(`operator serve exited with ${code}: ${printed}`)));
  });
}, 60_000);

afterAll(() => {
  server?.kill('SIGINT');
});

const activity = [
  'runbook',
  'run',
  'principal-activity',
  '--param',
  `account=${ACCOUNT}`,
  '--param',
  `principal=arn:aws:iam::${ACCOUNT}:role/service/app-server`,
  '--param',
  'start=2026-01-14T12:00:00Z',
  '--param',
  'end=2026-01-15T12:00:00Z',
];

describe('revoker runbook run --deployed, against the local operator API', () => {
  it('refuses a runbook the caller may not run, with the reason; runs an allowed one; audits both', async () => {
    const refused = await as(`arn:aws:iam::${ACCOUNT}:user/carol`, ...activity);
    const allowed = await as(`arn:aws:iam::${ACCOUNT}:user/oncall`, ...activity, '--json');
    const unsigned = await revoker(...activity, '--deployed', url);
    const audit = await as(`arn:aws:iam::${ACCOUNT}:user/oncall`, 'audit', '--json');

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `the operator API refused (403): arn:aws:iam::${ACCOUNT}:user/carol may not run principal-activity on account ${ACCOUNT} (access.runbooks)`,
    );
    expect(allowed.code).toBe(0);
    const result = JSON.parse(allowed.stdout) as { rows: unknown[]; contentHash: string };
    expect(result.rows.length).toBeGreaterThan(0);
    expect(result.contentHash).toMatch(/^[0-9a-f]{64}$/);
    // Without credentials of a known key, the API does not answer at all.
    expect(unsigned.code).toBe(1);
    const records = JSON.parse(audit.stdout) as AuditRecord[];
    expect(records.map((record) => [record.identity, record.action, record.target, record.allowed])).toEqual([
      [`arn:aws:iam::${ACCOUNT}:user/carol`, 'runbook.run', `principal-activity on ${ACCOUNT}`, false],
      [`arn:aws:iam::${ACCOUNT}:user/oncall`, 'runbook.run', `principal-activity on ${ACCOUNT}`, true],
    ]);
    expect(records[1]!.details).toMatchObject({ contentHash: result.contentHash, rows: result.rows.length });
  }, 120_000);
});
