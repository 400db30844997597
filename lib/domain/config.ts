// revoker.config.yaml: one document laid over the defaults (config-defaults.ts), validated at
// start-up. An invalid file names the key, the value it found and what was expected, and
// nothing automatic runs on a bad file.
import * as z from 'zod';
import { AccessSchema } from './access.ts';
import { AccountsSchema, Mode } from './accounts.ts';
import { withDefaults } from './config-defaults.ts';
import { FindingsConfigSchema } from './findings.ts';
import { RuleOverridesSchema } from './rule-overrides.ts';
import { Region } from './shapes.ts';

const Score = z.number().int().min(0).max(100);

export type { RuleResponse } from './rule-overrides.ts';

/**
 * `revoke`: a timed-out escalation revokes (still within the guard rails: only a human's
 * approval lifts them). `expire`: the case closes as expired and the on-call is paged again.
 */
const OnTimeoutSchema = z.enum(['revoke', 'expire']);
export type OnApprovalTimeout = z.infer<typeof OnTimeoutSchema>;

const ConfigFields = z.strictObject({
  /** `dry-run` plans and explains but never changes IAM; `enforce` revokes. */
  mode: Mode,
  /**
   * The accounts revoker acts in (an organisation's), each through its member role; absent,
   * its own account only. See lib/domain/accounts.ts.
   */
  accounts: AccountsSchema.optional(),
  confirm: z
    .strictObject({
      /** Days of history a trigger is compared against. */
      baselineDays: z.number().int().min(1).max(90),
      /** Recent minutes left out of the baseline, so the attack does not vouch for itself. */
      excludeRecentMinutes: z.number().int().min(0).max(1440),
      /** Below this many baseline events the principal has no usable history: a human decides. */
      minimumBaselineEvents: z.number().int().min(1),
      /** A score at or above this confirms the trigger. */
      confirmAtScore: Score,
      /** A score at or below this clears it; anything between goes to a human. */
      clearAtScore: Score,
      /** Points each piece of evidence adds to the score (capped at 100). */
      weights: z.strictObject({
        newSourceIp: Score,
        newUserAgent: Score,
        newRegion: Score,
        newApi: Score,
        deniedBurst: Score,
        otherFootholds: Score,
        /** The credential's previous case confirmed it compromised. */
        previousCase: Score,
      }),
      /** Access-denied errors at least `minDenied` strong within `windowMinutes` are a burst. */
      deniedBurst: z.strictObject({
        windowMinutes: z.number().int().min(1).max(1440),
        minDenied: z.number().int().min(1).max(100_000),
      }),
    })
    .refine((confirm) => confirm.clearAtScore < confirm.confirmAtScore, {
      message: 'clearAtScore must be below confirmAtScore',
      path: ['clearAtScore'],
    }),
  verify: z.strictObject({
    /** Logs must reach this far past the cutoff before silence counts as containment. */
    marginMinutes: z.number().int().min(1).max(120),
    /** Wait between verification attempts; CloudTrail delivers in about five minutes. */
    waitSeconds: z.number().int().min(0).max(3600),
    maxAttempts: z.number().int().min(1).max(48),
    /**
     * The regions the trail delivers logs for. Each must have delivered past the cutoff plus
     * the margin before silence counts, whether or not the credentials were seen there; the
     * heartbeat makes a call in each so that a quiet region's logs move on too.
     */
    regions: z.array(Region).min(1, 'at least one region, such as us-east-1'),
  }),
  guardRails: z.strictObject({
    /** ARN patterns (`*` matches any run of characters) that are never revoked automatically. */
    protectedPrincipals: z.array(
      z.string().regex(/^arn:[^\s]+$/, 'an ARN pattern such as arn:aws:iam::*:role/break-glass'),
    ),
    /** Tags (`key` or `key=value`) that protect the role or user carrying them. */
    protectedTags: z.array(
      z.string().regex(/^[^=\s][^=]*(=.*)?$/, 'a tag such as break-glass or team=security'),
    ),
    /** A plan with more actions than this goes to a human. */
    maxActionsPerPlan: z.number().int().min(1).max(1000),
    /** More automatic revocations than this within the window trips to human approval. */
    maxRevocationsPerWindow: z.number().int().min(1).max(1000),
    windowMinutes: z.number().int().min(1).max(10_080),
  }),
  revocation: z.strictObject({
    /**
     * `all-before-cutoff`: every session of the role issued before the cutoff (the instance or
     * job gets fresh credentials and carries on). `offending-session`: only the session that
     * triggered the case.
     */
    roleSessions: z.enum(['all-before-cutoff', 'offending-session']),
    /** Also deactivate an IAM user's signing certificates, SSH keys and service credentials. */
    userCredentialExtras: z.boolean(),
  }),
  escalation: z
    .strictObject({
      /**
       * The on-call engineers who may approve or reject (emails or IAM ARNs). Each is sent a
       * link of their own; the principal under revocation is never sent one.
       */
      approvers: z.array(z.string().min(3).max(256)),
      /** An approver must acknowledge the page within this many minutes, or it times out. */
      acknowledgeMinutes: z.number().int().min(1).max(1440),
      /** The decision must come within this many minutes, or it times out. */
      decideMinutes: z.number().int().min(1).max(10_080),
      /** What a timed-out escalation does, by the severity of the rule that opened the case. */
      onTimeout: z.strictObject({
        low: OnTimeoutSchema,
        medium: OnTimeoutSchema,
        high: OnTimeoutSchema,
        critical: OnTimeoutSchema,
      }),
      /** Where the approval page is served; the signed link is appended as `?link=`. */
      approvalUrl: z.url({ protocol: /^https?$/ }),
    })
    .refine((escalation) => escalation.acknowledgeMinutes < escalation.decideMinutes, {
      message: 'acknowledgeMinutes must be below decideMinutes',
      path: ['acknowledgeMinutes'],
    }),
  /** Who may do what through the operator API (just-in-time grants, answers, runbooks, the audit). */
  access: AccessSchema,
  /** Overrides of the catalog's default response, by rule ID; an unknown ID is an error. */
  rules: RuleOverridesSchema,
  /** GuardDuty and Security Hub findings as triggers: a response per finding type (findings.ts). */
  findings: FindingsConfigSchema,
});

// Fail closed: revoking needs someone who can be asked when the machine should not decide alone.
export const ConfigSchema = ConfigFields.refine(
  (config) => config.mode !== 'enforce' || config.escalation.approvers.length > 0,
  {
    message:
      'enforce mode needs at least one on-call engineer who may approve (there is no default: name them)',
    path: ['escalation', 'approvers'],
  },
);
export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validate a decoded configuration document; the error lists every problem. */
export function parseConfig(document: unknown, source: string): Config {
  const result = ConfigSchema.safeParse(document);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => {
    // A misspelt or unknown key is named by itself: its parent's whole value says nothing more.
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map(
        (key) =>
          `  ${[...issue.path, key].join('.')}: no such setting (a misspelling? \`revoker config show\` prints every key)`,
      );
    const key = issue.path.join('.') || '(top level)';
    const found = valueAt(document, issue.path);
    const shown = found === undefined ? 'nothing' : JSON.stringify(found)?.slice(0, 80);
    return `  ${key}: found ${shown}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration in ${source}:\n${problems.join('\n')}`);
}

/**
 * A configuration file's document laid over the defaults, then validated: a file need only say
 * what differs. An empty file is no settings at all; anything but a mapping is refused.
 */
export function resolveConfig(document: unknown, source: string): Config {
  return parseConfig(withDefaults(configMapping(document, source)), source);
}

/** The document as a mapping of top-level keys (an empty file is an empty mapping). */
export function configMapping(document: unknown, source: string): Record<string, unknown> {
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document))
    throw new ConfigError(`invalid configuration in ${source}: expected keys such as mode: and verify:`);
  return document as Record<string, unknown>;
}

function valueAt(document: unknown, path: PropertyKey[]): unknown {
  let current = document;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** `*` matches any run of characters; everything else is literal. */
export function matchesArnPattern(arn: string, pattern: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(arn);
}

/**
 * The pattern that protects a principal, or null. IAM names ignore case, and IAM finds a role
 * or user by its name alone, whatever its path: a pattern is matched without case, against the
 * ARN and against it without its path (`role/break-glass*` protects `role/emergency/break-glass`
 * and `role/Break-Glass`). More is protected, never less.
 */
export function isProtected(arn: string, config: Config): string | null {
  const forms = [arn, withoutPath(arn)].map((form) => form.toLowerCase());
  return (
    config.guardRails.protectedPrincipals.find((pattern) =>
      forms.some((form) => matchesArnPattern(form, pattern.toLowerCase())),
    ) ?? null
  );
}

function withoutPath(arn: string): string {
  const principal = /^(arn:[^:]+:iam::[^:]*:)(role|user)\/(?:.*\/)?([^/]+)$/.exec(arn);
  return principal ? `${principal[1]}${principal[2]}/${principal[3]}` : arn;
}

/** The protecting tag (`key` or `key=value`) the principal carries, or null. */
export function protectingTag(tags: Record<string, string>, config: Config): string | null {
  return (
    config.guardRails.protectedTags.find((tag) => {
      const at = tag.indexOf('=');
      return at === -1 ? tag in tags : tags[tag.slice(0, at)] === tag.slice(at + 1);
    }) ?? null
  );
}
