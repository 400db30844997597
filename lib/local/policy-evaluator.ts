// Evaluates the deny statements of identity policies for a call, as IAM does: an explicit
// Deny whose Action and Condition match wins. Operators it does not know are an error, not
// a guess: a simulator that silently allows would make verification lie.

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
