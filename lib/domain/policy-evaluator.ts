// Evaluates identity policies for a call, as IAM does. findExplicitDeny judges only the Deny
// statements with Resource "*" (the local IAM account's revocations); evaluateIdentityPolicies
// decides allow or deny for an action on a resource ARN (least-privilege replay). Operators
// they do not know are an error, not a guess: a simulator that silently allows would make
// verification lie.
import { BlockList, isIP } from 'node:net';
import * as z from 'zod';

/** A call as the local IAM account judges it: who, with which session, doing what. */
export interface AuthorizationRequest {
  account: string;
  /** `iam:CreateUser` style action. */
  action: string;
  roleName: string | null;
  userName: string | null;
  /** When the session's credentials were issued, for `aws:TokenIssueTime`. */
  tokenIssueTime: string | null;
  sessionName: string | null;
  /** `aws:userid` of a role session (`AROA…:session-name`). */
  userId?: string | null;
  sourceIdentity?: string | null;
  /** The access key that signed the call: an inactive one is refused. */
  accessKeyId?: string | null;
}

/** Returns an explicit-deny message when the call is denied, or null when it is allowed. */
export type Authorizer = (request: AuthorizationRequest) => string | null;

export interface RequestContext {
  action: string;
  /** Condition keys present on the request, such as `aws:TokenIssueTime`. */
  keys: Record<string, string>;
}

export class UnsupportedPolicyError extends Error {
  override name = 'UnsupportedPolicyError';
}

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function wildcard(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const escaped = pattern.split('*').map((part) =>
    part
      .split('?')
      .map((piece) => piece.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
      .join('.'),
  );
  return new RegExp(`^${escaped.join('.*')}$`, caseInsensitive ? 'i' : '').test(value);
}

function actionMatches(statement: Statement, action: string): boolean {
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((pattern) => wildcard(pattern, action, true));
  return list(statement.Action).some((pattern) => wildcard(pattern, action, true));
}

const OPERATORS: Record<string, (actual: string, expected: string) => boolean> = {
  DateLessThan: (actual, expected) => Date.parse(actual) < Date.parse(expected),
  DateLessThanEquals: (actual, expected) => Date.parse(actual) <= Date.parse(expected),
  DateGreaterThan: (actual, expected) => Date.parse(actual) > Date.parse(expected),
  DateGreaterThanEquals: (actual, expected) => Date.parse(actual) >= Date.parse(expected),
  StringEquals: (actual, expected) => actual === expected,
  StringLike: (actual, expected) => wildcard(expected, actual, false),
};

function conditionMatches(statement: Statement, context: RequestContext): boolean {
  for (const [qualified, clauses] of Object.entries(statement.Condition ?? {})) {
    // A request here carries one value per key: any of them matching is that one matching. Only
    // a positive operator: a negated one means something else for a key the request lacks.
    const operator = qualified.replace(/^ForAnyValue:(?!\w*Not)/, '');
    const negated = operator.startsWith('StringNot');
    const base = negated ? operator.replace('StringNot', 'String') : operator;
    const test = OPERATORS[base];
    if (!test)
      throw new UnsupportedPolicyError(
        `condition operator ${qualified} is not supported by the local evaluator`,
      );
    for (const [key, expected] of Object.entries(clauses)) {
      const actual = context.keys[key];
      // A key absent from the request never satisfies a positive condition (no IfExists here).
      if (actual === undefined) return negated;
      const anyMatch = list(expected).some((value) => test(actual, value));
      if (negated ? anyMatch : !anyMatch) return false;
    }
  }
  return true;
}

/** The first Deny statement that applies to the call, or null. */
export function findExplicitDeny(documents: string[], context: RequestContext): { sid: string } | null {
  for (const document of documents) {
    const parsed = JSON.parse(document) as { Statement: Statement | Statement[] };
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
    for (const [index, statement] of statements.entries()) {
      if (statement.Effect !== 'Deny') continue;
      // Requests carry no resource here; a statement scoped to resources cannot be judged.
      if (
        statement.NotResource !== undefined ||
        list(statement.Resource ?? '*').some((resource) => resource !== '*')
      ) {
        throw new UnsupportedPolicyError(
          `statement ${statement.Sid ?? index} is scoped to resources; the local evaluator judges only Resource "*"`,
        );
      }
      if (actionMatches(statement, context.action) && conditionMatches(statement, context)) {
        return { sid: statement.Sid ?? `statement ${index}` };
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Identity policies in one account: allow or deny for an action on a resource ARN. An explicit
// Deny wins, then any Allow, else the call is implicitly denied.

/** One call to judge. */
export interface PolicyRequest {
  /** `s3:GetObject` style; matched case-insensitively. */
  action: string;
  /** The resource's ARN, or `*` for an action that takes no resource (`s3:ListAllMyBuckets`). */
  resource: string;
  /**
   * Condition keys present on the request (names case-insensitive). An array is a multi-valued
   * key (`aws:CalledVia`): only `ForAnyValue:`/`ForAllValues:` operators can match it.
   */
  keys?: Record<string, string | string[]>;
}

/** The statement that decided: `policy` is the name the caller gave its document. */
export interface StatementRef {
  policy: string;
  /** The statement's Sid, or `statement <index>` when it has none. */
  sid: string;
  /** Its position in the document's Statement list. */
  index: number;
}

export type PolicyDecision =
  | { decision: 'allowed'; by: StatementRef }
  | { decision: 'explicit-deny'; by: StatementRef }
  | { decision: 'implicit-deny' };

export interface NamedPolicy {
  name: string;
  /** The JSON text of the document, or the document itself. */
  document: string | object;
}

/** A document that is not an identity policy IAM would accept: its shape, not its meaning. */
export class MalformedPolicyError extends Error {
  override name = 'MalformedPolicyError';
}

const Strings = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const ConditionValue = z.union([z.string(), z.number(), z.boolean()]);
const StatementSchema = z
  .strictObject({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: Strings.optional(),
    NotAction: Strings.optional(),
    Resource: Strings.optional(),
    NotResource: Strings.optional(),
    Condition: z
      .record(z.string(), z.record(z.string(), z.union([ConditionValue, z.array(ConditionValue).min(1)])))
      .optional(),
  })
  .refine((statement) => (statement.Action === undefined) !== (statement.NotAction === undefined), {
    message: 'needs exactly one of Action or NotAction',
  })
  .refine((statement) => (statement.Resource === undefined) !== (statement.NotResource === undefined), {
    message: 'needs exactly one of Resource or NotResource',
  });
const DocumentSchema = z.strictObject({
  Version: z.enum(['2012-10-17', '2008-10-17']).optional(),
  Id: z.string().optional(),
  // One statement or a list of them: read as a list, so an issue's path names its index.
  Statement: z.preprocess(
    (value) => (Array.isArray(value) ? value : [value]),
    z.array(StatementSchema).min(1),
  ),
});
type PolicyStatement = z.infer<typeof StatementSchema>;

/** Request keys by lower-cased name: IAM's condition key names are case-insensitive. */
type Keys = ReadonlyMap<string, string | readonly string[]>;

interface CompiledStatement {
  ref: StatementRef;
  effect: 'Allow' | 'Deny';
  action: (action: string) => boolean;
  resource: (resource: string, keys: Keys) => boolean;
  condition: (keys: Keys) => boolean;
}

const ANY = '[\\s\\S]*';
const ONE = '[\\s\\S]';
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A policy string as a regular expression: `*` and `?` as wildcards when asked, and (in a
 * 2012-10-17 document) `${key}` filled with the request's single value for that key. A
 * variable without one is not guessed at: IAM's "the statement may be invalid" is refused.
 */
function compilePattern(
  pattern: string,
  options: { wildcards: boolean; variables: boolean; ignoreCase?: boolean },
  where: string,
): (keys: Keys) => RegExp {
  const token = options.variables ? /\$\{([^}]*)\}|\*|\?/g : /\*|\?/g;
  const fragments: (string | { key: string; text: string })[] = [];
  let last = 0;
  for (const match of pattern.matchAll(token)) {
    const [text, inner] = match;
    fragments.push(escapeRegExp(pattern.slice(last, match.index)));
    last = match.index + text.length;
    if (text === '*') fragments.push(options.wildcards ? ANY : '\\*');
    else if (text === '?') fragments.push(options.wildcards ? ONE : '\\?');
    else if (inner === '*' || inner === '?' || inner === '$') fragments.push(escapeRegExp(inner));
    else if (inner !== undefined && /^[^,'${]+$/.test(inner.trim()))
      fragments.push({ key: inner.trim().toLowerCase(), text });
    else
      throw new UnsupportedPolicyError(
        `${where}: policy variable ${text} (a default value or an unusual name) is not supported by the local evaluator`,
      );
  }
  fragments.push(escapeRegExp(pattern.slice(last)));
  const flags = options.ignoreCase ? 'i' : '';
  if (fragments.every((fragment) => typeof fragment === 'string')) {
    const fixed = new RegExp(`^${fragments.join('')}$`, flags);
    return () => fixed;
  }
  return (keys) => {
    const source = fragments.map((fragment) => {
      if (typeof fragment === 'string') return fragment;
      const value = keys.get(fragment.key);
      if (typeof value !== 'string')
        throw new UnsupportedPolicyError(
          `${where}: policy variable ${fragment.text} has no single value in this request; IAM would not match the element, and the local evaluator does not guess`,
        );
      return escapeRegExp(value);
    });
    return new RegExp(`^${source.join('')}$`, flags);
  };
}

/** The colons of an ARN pattern that separate its segments, not those inside `${…}`. */
function arnSegments(arn: string): number {
  return arn.replace(/\$\{[^}]*\}/g, 'v').split(':').length;
}

/**
 * Does any of these Resource patterns cover the resource? `*` and `?` are wildcards and `*` spans
 * `/` and `:`; an ARN with fewer than six segments has the missing ones as `*`. A request resource
 * of `*` (an action that takes no resource) is covered only by the pattern `*`.
 */
function compileResources(patterns: string[], variables: boolean, where: string) {
  const matchers = patterns.map((pattern): ((resource: string, keys: Keys) => boolean) => {
    if (pattern === '*') return () => true;
    if (!pattern.startsWith('arn:'))
      throw new MalformedPolicyError(`${where}: resource "${pattern}" is neither "*" nor an ARN`);
    let full = pattern;
    for (let segments = arnSegments(pattern); segments < 6; segments++) full += ':*';
    const regex = compilePattern(full, { wildcards: true, variables }, where);
    return (resource, keys) => resource !== '*' && regex(keys).test(resource);
  });
  return (resource: string, keys: Keys) => matchers.some((matches) => matches(resource, keys));
}

/** An ARN's partition, service, region, account and resource, or null when it is not one. */
function splitArn(arn: string): string[] | null {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  return [...parts.slice(1, 5), parts.slice(5).join(':')];
}

function parseNumber(text: string): number | undefined {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(text) ? Number(text) : undefined;
}

function parseDate(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000; // epoch seconds, as IAM takes them
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

/** One request value against one policy value: true, false, or undefined when not comparable. */
type ValueTest = (actual: string, keys: Keys) => boolean | undefined;
type ValueCompiler = (expected: string, variables: boolean, where: string) => ValueTest;

const stringTest =
  (wildcards: boolean, ignoreCase: boolean): ValueCompiler =>
  (expected, variables, where) => {
    const regex = compilePattern(expected, { wildcards, variables, ignoreCase }, where);
    return (actual, keys) => regex(keys).test(actual);
  };

function noVariable(expected: string, variables: boolean, where: string, operator: string) {
  if (variables && expected.includes('${'))
    throw new UnsupportedPolicyError(`${where}: policy variables in ${operator} values are not supported`);
}

const numericTest =
  (compare: (actual: number, expected: number) => boolean): ValueCompiler =>
  (expected, variables, where) => {
    noVariable(expected, variables, where, 'Numeric');
    const limit = parseNumber(expected);
    if (limit === undefined) throw new MalformedPolicyError(`${where}: "${expected}" is not a number`);
    return (actual) => {
      const value = parseNumber(actual);
      return value === undefined ? undefined : compare(value, limit);
    };
  };

const dateTest =
  (compare: (actual: number, expected: number) => boolean): ValueCompiler =>
  (expected, variables, where) => {
    noVariable(expected, variables, where, 'Date');
    const limit = parseDate(expected);
    if (limit === undefined) throw new MalformedPolicyError(`${where}: "${expected}" is not a date`);
    return (actual) => {
      const value = parseDate(actual);
      return value === undefined ? undefined : compare(value, limit);
    };
  };

const ipTest: ValueCompiler = (expected, variables, where) => {
  noVariable(expected, variables, where, 'IpAddress');
  const [address = '', prefix, ...extra] = expected.split('/');
  const version = isIP(address);
  const type = version === 6 ? 'ipv6' : 'ipv4';
  const bits = prefix === undefined ? (version === 6 ? 128 : 32) : /^\d+$/.test(prefix) ? Number(prefix) : -1;
  if (version === 0 || extra.length > 0 || bits < 0 || bits > (version === 6 ? 128 : 32))
    throw new MalformedPolicyError(`${where}: "${expected}" is not an IP address or CIDR block`);
  const block = new BlockList();
  block.addSubnet(address, bits, type);
  return (actual) => {
    const actualVersion = isIP(actual);
    if (actualVersion === 0) return undefined;
    return actualVersion === version && block.check(actual, type);
  };
};

/** ArnLike and ArnEquals alike: each of the six segments matched on its own, with wildcards. */
const arnTest: ValueCompiler = (expected, variables, where) => {
  const segments = expected.replace(/\$\{[^}]*\}/g, (variable) => variable.replaceAll(':', '\u0000'));
  const parts = splitArn(segments);
  if (!parts)
    throw new UnsupportedPolicyError(
      `${where}: ARN condition value "${expected}" has fewer than six segments; the local evaluator does not guess what IAM makes of it`,
    );
  const regexes = parts.map((part) =>
    compilePattern(part.replaceAll('\u0000', ':'), { wildcards: true, variables }, where),
  );
  return (actual, keys) => {
    const actualParts = splitArn(actual);
    return actualParts ? regexes.every((regex, index) => regex(keys).test(actualParts[index]!)) : undefined;
  };
};

const boolTest: ValueCompiler = (expected, variables, where) => {
  const regex = compilePattern(expected, { wildcards: false, variables, ignoreCase: true }, where);
  return (actual, keys) => {
    const value = actual.toLowerCase();
    const wanted = regex(keys);
    const expects = wanted.test('true') ? 'true' : wanted.test('false') ? 'false' : undefined;
    return (value === 'true' || value === 'false') && expects ? value === expects : undefined;
  };
};

/** Positive operators; a negated one is true when every policy value compares and none matches. */
const VALUE_OPERATORS: Record<string, ValueCompiler> = {
  StringEquals: stringTest(false, false),
  StringEqualsIgnoreCase: stringTest(false, true),
  StringLike: stringTest(true, false),
  NumericEquals: numericTest((actual, expected) => actual === expected),
  NumericLessThan: numericTest((actual, expected) => actual < expected),
  NumericLessThanEquals: numericTest((actual, expected) => actual <= expected),
  NumericGreaterThan: numericTest((actual, expected) => actual > expected),
  NumericGreaterThanEquals: numericTest((actual, expected) => actual >= expected),
  DateEquals: dateTest((actual, expected) => actual === expected),
  DateLessThan: dateTest((actual, expected) => actual < expected),
  DateLessThanEquals: dateTest((actual, expected) => actual <= expected),
  DateGreaterThan: dateTest((actual, expected) => actual > expected),
  DateGreaterThanEquals: dateTest((actual, expected) => actual >= expected),
  Bool: boolTest,
  IpAddress: ipTest,
  ArnLike: arnTest,
  ArnEquals: arnTest,
};
const NEGATIONS: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
  ArnNotLike: 'ArnLike',
  ArnNotEquals: 'ArnEquals',
};

function compileClause(
  qualified: string,
  key: string,
  values: string[],
  variables: boolean,
  where: string,
): (keys: Keys) => boolean {
  const set = /^(ForAnyValue|ForAllValues):(.+)$/.exec(qualified);
  const unqualified = set ? set[2]! : qualified;
  const ifExists = unqualified.endsWith('IfExists');
  const operator = ifExists ? unqualified.slice(0, -'IfExists'.length) : unqualified;
  const name = key.toLowerCase();
  const unsupported = () =>
    new UnsupportedPolicyError(
      `${where}: condition operator ${qualified} is not supported by the local evaluator`,
    );

  if (operator === 'Null') {
    if (set || ifExists) throw unsupported();
    const wanted = values.map((value) => value.toLowerCase());
    if (wanted.some((value) => value !== 'true' && value !== 'false'))
      throw new MalformedPolicyError(`${where}: Null takes "true" or "false", not ${JSON.stringify(values)}`);
    return (keys) => wanted.includes(keys.has(name) ? 'false' : 'true');
  }

  const negated = Object.hasOwn(NEGATIONS, operator);
  const positive = negated ? NEGATIONS[operator]! : operator;
  const compile = Object.hasOwn(VALUE_OPERATORS, positive) ? VALUE_OPERATORS[positive] : undefined;
  if (!compile) throw unsupported();
  const tests = values.map((value) => compile(value, variables, where));
  const one = negated
    ? (actual: string, keys: Keys) => tests.every((test) => test(actual, keys) === false)
    : (actual: string, keys: Keys) => tests.some((test) => test(actual, keys) === true);

  return (keys) => {
    const actual = keys.get(name);
    const all = actual === undefined ? [] : typeof actual === 'string' ? [actual] : actual;
    // ForAnyValue over an absent key is false even with IfExists, as IAM answers.
    if (set?.[1] === 'ForAnyValue') return all.some((value) => one(value, keys));
    if (set?.[1] === 'ForAllValues') return all.every((value) => one(value, keys));
    if (actual === undefined) return ifExists || negated;
    // A multi-valued key needs a set operator: a single-valued one never matches it.
    return typeof actual === 'string' && one(actual, keys);
  };
}

function compileStatement(policy: string, statement: PolicyStatement, index: number, variables: boolean) {
  const ref: StatementRef = { policy, sid: statement.Sid ?? `statement ${index}`, index };
  const where = `policy "${policy}" ${statement.Sid === undefined ? ref.sid : `statement "${ref.sid}"`}`;
  const actionPatterns = list(statement.Action ?? statement.NotAction).map((pattern) =>
    compilePattern(pattern, { wildcards: true, variables: false, ignoreCase: true }, where)(new Map()),
  );
  const anyAction = (action: string) => actionPatterns.some((regex) => regex.test(action));
  const anyResource = compileResources(list(statement.Resource ?? statement.NotResource), variables, where);
  const clauses = Object.entries(statement.Condition ?? {}).flatMap(([operator, block]) =>
    Object.entries(block).map(([key, value]) =>
      compileClause(operator, key, (Array.isArray(value) ? value : [value]).map(String), variables, where),
    ),
  );
  return {
    ref,
    effect: statement.Effect,
    action: statement.Action !== undefined ? anyAction : (action: string) => !anyAction(action),
    resource:
      statement.Resource !== undefined
        ? anyResource
        : (resource: string, keys: Keys) => !anyResource(resource, keys),
    condition: (keys: Keys) => clauses.every((clause) => clause(keys)),
  } satisfies CompiledStatement;
}

function parsePolicy({ name, document }: NamedPolicy): CompiledStatement[] {
  let json: unknown = document;
  if (typeof document === 'string') {
    try {
      json = JSON.parse(document);
    } catch (error) {
      throw new MalformedPolicyError(`policy "${name}" is not JSON: ${(error as Error).message}`);
    }
  }
  const parsed = DocumentSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'document'}: ${issue.message}`,
    );
    throw new MalformedPolicyError(`policy "${name}" is not a valid identity policy: ${issues.join('; ')}`);
  }
  // Policy variables exist only in version 2012-10-17: elsewhere `${…}` is literal text.
  const variables = parsed.data.Version === '2012-10-17';
  return parsed.data.Statement.map((statement, index) => compileStatement(name, statement, index, variables));
}

/**
 * Compiles identity policies once (throwing MalformedPolicyError on a document IAM would
 * refuse, UnsupportedPolicyError on one it cannot judge) into a judge of calls: the first
 * applicable Deny, else the first applicable Allow, else an implicit deny.
 */
export function identityPolicyEvaluator(
  policies: readonly NamedPolicy[],
): (request: PolicyRequest) => PolicyDecision {
  const statements = policies.flatMap(parsePolicy);
  return (request) => {
    if (request.resource !== '*' && !splitArn(request.resource))
      throw new Error(`request resource "${request.resource}" is neither "*" nor an ARN`);
    const keys: Keys = new Map(
      Object.entries(request.keys ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    );
    let allowed: StatementRef | null = null;
    for (const statement of statements) {
      // Once allowed, only a Deny can change the answer: later Allows are not judged.
      if (statement.effect === 'Allow' && allowed) continue;
      if (
        statement.action(request.action) &&
        statement.resource(request.resource, keys) &&
        statement.condition(keys)
      ) {
        if (statement.effect === 'Deny') return { decision: 'explicit-deny', by: statement.ref };
        allowed = statement.ref;
      }
    }
    return allowed ? { decision: 'allowed', by: allowed } : { decision: 'implicit-deny' };
  };
}

/** IAM's decision for one call under a principal's identity policies in its own account. */
export function evaluateIdentityPolicies(
  policies: readonly NamedPolicy[],
  request: PolicyRequest,
): PolicyDecision {
  return identityPolicyEvaluator(policies)(request);
}

/**
 * What narrowing gives up: the requests `before` allows and `after` does not, each with the
 * statement that allowed it before and why it is refused after.
 */
export function lostAccess(
  before: readonly NamedPolicy[],
  after: readonly NamedPolicy[],
  requests: readonly PolicyRequest[],
): {
  request: PolicyRequest;
  allowedBy: StatementRef;
  now: Exclude<PolicyDecision, { decision: 'allowed' }>;
}[] {
  const judgeBefore = identityPolicyEvaluator(before);
  const judgeAfter = identityPolicyEvaluator(after);
  return requests.flatMap((request) => {
    const was = judgeBefore(request);
    const now = judgeAfter(request);
    return was.decision === 'allowed' && now.decision !== 'allowed'
      ? [{ request, allowedBy: was.by, now }]
      : [];
  });
}
