import { readFileSync } from 'node:fs';
import { DuckDbQueryEngine } from './lib/local/duckdb-engine.ts';
import { bindRunbook, loadRunbooks } from './lib/runbooks/catalog.ts';

const truth = JSON.parse(readFileSync('/tmp/gen/revoker-scenarios.json', 'utf8'))[0];
const e = await DuckDbQueryEngine.open('/tmp/gen');
const rb = loadRunbooks();
const common = {
  account: truth.account,
  principal: truth.roleArn,
  start: '2026-01-12T12:00:00Z',
  end: '2026-01-15T12:00:00Z',
};
const runs: [string, Record<string, string>][] = [
  [
    'first-seen',
    {
      account: truth.account,
      principal: truth.roleArn,
      source_ip: truth.attackerIp,
      user_agent_prefix: truth.attackerUserAgent.slice(0, 500),
      event_region: 'us-east-1',
      event_source: 'iam.amazonaws.com',
      event_name: 'AttachRolePolicy',
      baseline_start: '2026-01-12T12:00:00Z',
      baseline_end: '2026-01-15T11:00:00Z',
    },
  ],
  ['principal-activity', common],
  ['persistence-created', common],
  ['data-access', common],
  ['used-actions', common],
  ['error-burst', { ...common, burst_window: '10m', min_denied: '1' }],
  [
    'access-key-activity',
    { account: truth.account, access_key_id: truth.accessKeyId, start: common.start, end: common.end },
  ],
  [
    'session-activity',
    {
      account: truth.account,
      role_arn: truth.roleArn,
      session_name: truth.sessionName,
      start: common.start,
      end: common.end,
    },
  ],
  [
    'post-cutoff-activity',
    {
      account: truth.account,
      principal: truth.roleArn,
      cutoff: '2026-01-15T11:30:00Z',
      until_day: '2026/01/15',
    },
  ],
  ['log-watermark', { account: truth.account, from_day: '2026/01/14', until_day: '2026/01/15' }],
  ['identity-inventory', { account: truth.account, person: 'alice', start: common.start, end: common.end }],
];
for (const [id, v] of runs) {
  try {
    const r = await e.run(bindRunbook(rb.get(id)!, v));
    console.log(id, r.rows.length, JSON.stringify(r.rows.slice(0, 4)));
  } catch (err) {
    console.log(id, 'ERR', (err as Error).message.slice(0, 300));
  }
}
await e.close();
