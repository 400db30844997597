// The AWS composition's core: settings, the configuration, and the deployed handler wrapper. It
// imports no AWS SDK client: each client has its own module beside this one (dynamodb.ts,
// athena.ts...), so a function's bundle loads only the clients its handler imports. Each
// function reads only the settings it uses; a missing one fails its first invocation (the cold
// start) with the setting's name, before anything is done. Adapters are built on first use and
// reused across invocations.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import type { Step } from '../../domain/case-events.ts';
import { type Config, ConfigError, parseConfig } from '../../domain/config.ts';
import { CONFIG_DEFAULTS, withDefaults } from '../../domain/config-defaults.ts';
import { observed } from '../../handlers/observed.ts';
import type { Clock } from '../../ports.ts';
import { loadRunbooks } from '../../runbooks/catalog.ts';

export class MissingSettingError extends Error {
  override name = 'MissingSettingError';
}

/** A setting from the function's environment; absent or empty is an error that names it. */
export function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new MissingSettingError(`the environment variable ${name} is not set`);
  return value;
}

export function optionalSetting(name: string): string | undefined {
  return process.env[name] || undefined;
}

/** Built on first use, then the same object for the container's life. */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** The configuration file the build writes beside each bundle: revoker.config.yaml as JSON. */
export const DEPLOYED_CONFIG_FILE = 'revoker.config.json';

/**
 * The configuration document: `revoker.config.json` as the build wrote it beside the bundle
 * (or `REVOKER_CONFIG_FILE`) laid over the defaults, with the stack's parameters for this
 * deployment laid over both, validated once, so a bad parameter stops the function with its
 * name. The mode is the stack's alone (its Mode parameter, dry-run by default; dry-run too when
 * the variable is missing): the file's mode is for local runs, and never enforces a deployment.
 * JSON, not YAML: a YAML parser would be a third of the bundle.
 */
export async function deployedConfig(): Promise<Config> {
  const file = optionalSetting('REVOKER_CONFIG_FILE') ?? join(HERE, DEPLOYED_CONFIG_FILE);
  if (!existsSync(file))
    throw new MissingSettingError(`no configuration at ${file} (set REVOKER_CONFIG_FILE)`);
  const config = withDefaults(readJson(file));
  const section = (name: string): Record<string, unknown> => {
    const value = config[name];
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  };
  const number = (name: string) => {
    const value = optionalSetting(name);
    return value === undefined ? undefined : Number(value);
  };
  const names = (name: string) =>
    optionalSetting(name)
      ?.split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const overrides = {
    mode: optionalSetting('REVOKER_MODE'),
    verifyWaitSeconds: number('REVOKER_VERIFY_WAIT_SECONDS'),
    acknowledgeMinutes: number('REVOKER_ACKNOWLEDGE_MINUTES'),
    decideMinutes: number('REVOKER_DECIDE_MINUTES'),
    approvers: names('REVOKER_APPROVERS'),
    approvalUrl: optionalSetting('REVOKER_APPROVAL_URL'),
    protectedPrincipals: names('REVOKER_PROTECTED_PRINCIPALS'),
    trailRegions: names('REVOKER_TRAIL_REGIONS'),
    memberRoleName: optionalSetting('REVOKER_MEMBER_ROLE_NAME'),
  };
  const verify = section('verify');
  const guardRails = section('guardRails');
  const escalation = section('escalation');
  const document = {
    ...config,
    mode: overrides.mode ?? CONFIG_DEFAULTS.mode,
    // The stack's functions may assume only the role its parameter names: it replaces the file's.
    ...(config.accounts
      ? {
          accounts: {
            ...section('accounts'),
            memberRoleName: overrides.memberRoleName ?? section('accounts').memberRoleName,
          },
        }
      : {}),
    verify: {
      ...verify,
      waitSeconds: overrides.verifyWaitSeconds ?? verify.waitSeconds,
      // The stack's trail is the one verification reads: its regions replace the file's.
      regions: overrides.trailRegions ?? verify.regions,
    },
    guardRails: {
      ...guardRails,
      // The stack adds to the file's protections; it never removes one.
      // (Anything but a list is left as it is, for validation to refuse by name.)
      protectedPrincipals: Array.isArray(guardRails.protectedPrincipals)
        ? [...guardRails.protectedPrincipals, ...(overrides.protectedPrincipals ?? [])]
        : guardRails.protectedPrincipals,
    },
    escalation: {
      ...escalation,
      approvers: overrides.approvers ?? escalation.approvers,
      approvalUrl: overrides.approvalUrl ?? escalation.approvalUrl,
      acknowledgeMinutes: overrides.acknowledgeMinutes ?? escalation.acknowledgeMinutes,
      decideMinutes: overrides.decideMinutes ?? escalation.decideMinutes,
    },
  };
  return parseConfig(document, `${file} with the stack's parameters`);
}

/** The configuration, read and validated once per container. */
export const config = once(deployedConfig);

export const systemClock: Clock = { now: () => new Date() };

/** The runbooks the build copied beside the bundle. */
export const runbooks = once(() => loadRunbooks());

function readJson(file: string): Record<string, unknown> {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `configuration ${file} is not JSON (npm run package writes it from revoker.config.yaml): ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new ConfigError(`configuration ${file} is not a mapping of settings`);
  return document as Record<string, unknown>;
}

type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * The deployed handler of `step`: the function's adapters are assembled on the first invocation
 * (a missing setting fails it, named), then every invocation reuses them; each runs in the
 * observed chain (JSON logs, the case's events and metrics).
 */
export function deployed<E, R>(
  step: Step,
  assemble: () => Promise<LambdaHandler<E, R>>,
): LambdaHandler<E, R> {
  let ready: Promise<LambdaHandler<E, R>> | null = null;
  return observed(
    step,
    async (event, context) => {
      ready ??= assemble().catch((error: unknown) => {
        ready = null;
        throw error;
      });
      return (await ready)(event, context);
    },
    systemClock,
  );
}
