// The defaults a revoker.config.yaml is laid over: a file need only say what differs. Each
// default is the safe choice where there is one; where a wrong guess is unsafe (who may approve,
// who may do what), the default is nobody, and enforce mode refuses to start without approvers.
//
// How a file is laid over them: objects merge key by key; a list or a value replaces the
// default whole — except the protections (guardRails.protectedPrincipals, protectedTags), which
// add to the defaults: a file can protect more, never less. A key the schema does not know is
// kept, so validation names it.
import type { Config } from './config.ts';

export const CONFIG_DEFAULTS: Omit<Config, 'accounts'> = {
  // Plans and explains, changes nothing in IAM: only a file (locally) or the stack's Mode
  // parameter (deployed, also dry-run by default) that says `enforce` revokes.
  mode: 'dry-run',
  confirm: {
    // A month of history covers monthly jobs without scanning more than a month of logs.
    baselineDays: 30,
    // The attack's own reconnaissance must not make its source address look familiar.
    excludeRecentMinutes: 60,
    // Fewer events than this is no history to judge by: a human decides.
    minimumBaselineEvents: 20,
    // A new source address alone confirms (60); a new user agent or region alone does not.
    confirmAtScore: 60,
    clearAtScore: 20,
    weights: {
      newSourceIp: 60,
      newUserAgent: 15,
      newRegion: 10,
      newApi: 10,
      deniedBurst: 15,
      otherFootholds: 20,
      previousCase: 20,
    },
    // Three access-denied errors within ten minutes is probing, not a typo.
    deniedBurst: { windowMinutes: 10, minDenied: 3 },
  },
  verify: {
    // Five minutes past the cutoff: CloudTrail's usual delivery lag.
    marginMinutes: 5,
    waitSeconds: 300,
    // Half an hour of "logs not there yet" at the default wait, then a human takes over.
    maxAttempts: 6,
    // Where IAM and STS events are logged; verification adds the trigger's region and every
    // region the credentials were seen in. Deployed, the stack's TrailRegions replace it.
    regions: ['us-east-1'],
  },
  guardRails: {
    // revoker's own roles, break-glass roles, the organisation's access role, service-linked
    // roles and root: a case about one of them always goes to a human. Files add to this list.
    protectedPrincipals: [
      'arn:aws:iam::*:role/revoker-*',
      'arn:aws:iam::*:role/break-glass*',
      'arn:aws:iam::*:role/OrganizationAccountAccessRole',
      'arn:aws:iam::*:role/aws-service-role/*',
      'arn:aws:iam::*:root',
    ],
    protectedTags: ['revoker:protected=true', 'break-glass'],
    // A plan this large is no longer a targeted revocation: a human looks first.
    maxActionsPerPlan: 25,
    // A burst of automatic revocations is more likely a mistake (or an attack on revoker) than
    // five compromises an hour: the next ones wait for a human.
    maxRevocationsPerWindow: 5,
    windowMinutes: 60,
  },
  revocation: {
    // Workloads get fresh credentials and carry on; the stolen session is cut whatever it is.
    roleSessions: 'all-before-cutoff',
    userCredentialExtras: true,
  },
  escalation: {
    // Nobody: a guessed address would be sent approval links. Enforce mode requires at least
    // one; deployed, the stack's Approvers parameter (required) gives them.
    approvers: [],
    acknowledgeMinutes: 15,
    decideMinutes: 60,
    // An unanswered critical or high case is contained (the guard rails still hold: only a
    // person lifts them); a lesser one expires and pages again.
    onTimeout: { critical: 'revoke', high: 'revoke', medium: 'expire', low: 'expire' },
    // The local approval page (`revoker approvals serve`); deployed, the approval API's URL.
    approvalUrl: 'http://localhost:8787/approval',
  },
  // Nobody may do anything through the operator API until groups and rules say who may.
  access: {
    groups: {},
    accountTags: {},
    grants: [],
    approvals: [],
    runbooks: [],
    refinements: [],
    auditors: [],
    // A day: a request nobody approved by then is stale; ask again.
    pendingRequestsExpireAfter: '24h',
    offboarders: [],
    // A stolen HR credential cannot empty the company alone: more than this an hour needs a second person.
    offboardingsPerHour: 10,
    runbookRunsPerHour: 30,
  },
  // Each rule's response from the catalog (`revoker rules`).
  rules: {},
  // The catalog's finding responses (lib/domain/findings.ts).
  findings: { responses: {} },
};

/** Lists that add to the defaults instead of replacing them: protections. */
const ADDITIVE: readonly (readonly [string, string])[] = [
  ['guardRails', 'protectedPrincipals'],
  ['guardRails', 'protectedTags'],
];

export type ConfigSource = 'default' | 'file' | 'file and defaults';

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `over` laid on `base`: mappings merge key by key, anything else replaces. */
function layer(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  if (!isMapping(base) || !isMapping(over)) return structuredClone(over);
  const keys = new Set([...Object.keys(base), ...Object.keys(over)]);
  return Object.fromEntries([...keys].map((key) => [key, layer(base[key], over[key])]));
}

/** The document laid over the defaults, not yet validated (the schema judges the result). */
export function withDefaults(document: Record<string, unknown>): Record<string, unknown> {
  const merged = layer(CONFIG_DEFAULTS, document) as Record<string, unknown>;
  for (const [section, key] of ADDITIVE) {
    const given = isMapping(document[section]) ? document[section][key] : undefined;
    const defaults = (CONFIG_DEFAULTS as unknown as Record<string, Record<string, unknown>>)[section]![key];
    // Anything but a list is left for the schema to refuse, named.
    if (Array.isArray(given) && Array.isArray(defaults))
      (merged[section] as Record<string, unknown>)[key] = [...new Set([...defaults, ...given])];
  }
  return merged;
}

/** Where each top-level value of the effective configuration came from. */
export function configSources(
  document: Record<string, unknown>,
  effective: Record<string, unknown>,
): Record<string, ConfigSource> {
  return Object.fromEntries(
    Object.keys(effective).map((key) => [
      key,
      !(key in document)
        ? 'default'
        : key in CONFIG_DEFAULTS && !sameValue(document[key], effective[key])
          ? 'file and defaults'
          : 'file',
    ]),
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (isMapping(a) && isMapping(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key]));
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => sameValue(item, b[index]));
  return a === b;
}
