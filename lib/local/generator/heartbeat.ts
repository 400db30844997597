// revoker's own heartbeat in the simulated world: deployed, a scheduled function calls STS
// GetCallerIdentity at each trail region's endpoint every five minutes, and CloudTrail logs
// the call in that region. The local world writes the same records, so verification sees a
// quiet region's logs move on here too. No randomness: the same window gives the same calls.
import { toInstant } from '../../domain/time.ts';
import { Random } from './random.ts';
import { type Account, type Call, type Role, sessionIdentity } from './world.ts';

/** The deployed schedule's rate (template.yaml: rate(5 minutes)). */
export const HEARTBEAT_INTERVAL_MS = 5 * 60_000;

/** The role the heartbeat function runs as; `revoker-*` roles are protected by the shipped configuration. */
export const HEARTBEAT_ROLE_NAME = 'revoker-heartbeat';

const HEARTBEAT_AGENT =
  'aws-sdk-js/3.1164.0 ua/2.1 os/linux#5.10.234-246.921.amzn2.aarch64 lang/js md/nodejs#22.14.0 api/sts#3.1164.0 exec-env/AWS_Lambda_nodejs22.x';
/** Lambda reissues a function's role session about hourly. */
const SESSION_MS = 3600_000;

export function heartbeatRole(account: Pick<Account, 'id'>): Role {
  return {
    name: HEARTBEAT_ROLE_NAME,
    path: '/',
    principalId: `AROA${new Random(`${account.id}:${HEARTBEAT_ROLE_NAME}`).keyChars(17)}`,
  };
}

/**
 * One GetCallerIdentity by the heartbeat role in each region at every interval boundary within
 * [from, to), in time order; consecutive windows never repeat a call.
 */
export function heartbeatCalls(
  account: Pick<Account, 'id'>,
  regions: readonly string[],
  from: Date,
  to: Date,
): Call[] {
  const role = heartbeatRole(account);
  const calls: Call[] = [];
  const first = Math.ceil(from.getTime() / HEARTBEAT_INTERVAL_MS) * HEARTBEAT_INTERVAL_MS;
  for (let at = first; at < to.getTime(); at += HEARTBEAT_INTERVAL_MS) {
    const issued = Math.floor(at / SESSION_MS) * SESSION_MS;
    const identity = sessionIdentity({
      account: account.id,
      role,
      sessionName: HEARTBEAT_ROLE_NAME,
      issuedAt: toInstant(new Date(issued)),
      accessKeyId: `ASIA${new Random(`${role.principalId}:${issued}`).keyChars(16)}`,
      ec2: false,
    });
    for (const region of regions) {
      const address = new Random(`${account.id}:${HEARTBEAT_ROLE_NAME}:${region}`);
      calls.push({
        time: new Date(at),
        account: account.id,
        region,
        identity,
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetCallerIdentity',
        sourceIPAddress: `3.${address.int(208, 239)}.${address.int(0, 255)}.${address.int(1, 254)}`,
        userAgent: HEARTBEAT_AGENT,
        readOnly: true,
        requestParameters: null,
        responseElements: null,
      });
    }
  }
  return calls;
}
