/**
 * Finds, reads and validates the deployment's config file at synth time, so a mistake stops `cdk synth`
 * with a readable message instead of surfacing as a broken function after deploy.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type AppConfig, parseAppConfig } from '../shared/config/schema.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_CONFIG_FILE = 'consent-desk.config.json';
export const CONFIG_CONTEXT_KEY = 'config';
export const CONFIG_ENV_VAR = 'CONSENT_DESK_CONFIG';

/** `-c config=path` wins over `CONSENT_DESK_CONFIG`; relative paths are taken from the repository root. */
export function resolveConfigPath(contextValue: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (contextValue !== undefined && (typeof contextValue !== 'string' || contextValue.trim() === '')) {
    throw new Error(`CDK context "${CONFIG_CONTEXT_KEY}" must be a file path, e.g. -c config=my.config.json`);
  }
  const chosen = contextValue || env[CONFIG_ENV_VAR] || DEFAULT_CONFIG_FILE;
  return isAbsolute(chosen) ? chosen : resolve(REPO_ROOT, chosen);
}

export function loadAppConfig(path: string): AppConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `Cannot read the Consent Desk config file ${path}. ` +
        `Pass another with -c ${CONFIG_CONTEXT_KEY}=<path> or ${CONFIG_ENV_VAR}=<path>.`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  try {
    return checkInfraConfig(parseAppConfig(json));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** What the schema cannot know: limits imposed by the AWS services the config is deployed to. */
export function checkInfraConfig(config: AppConfig): AppConfig {
  logRetention(config);
  return config;
}

const RETENTION_CHOICES = Object.values(RetentionDays).filter(
  (days): days is RetentionDays => typeof days === 'number' && days !== RetentionDays.INFINITE,
);

/** CloudWatch accepts only certain retention periods; personal-data logs are never kept forever. */
export function logRetention(config: AppConfig): RetentionDays {
  const days = config.logRetentionDays as RetentionDays;
  if (!RETENTION_CHOICES.includes(days)) {
    throw new Error(
      `logRetentionDays must be one of ${RETENTION_CHOICES.join(', ')} (CloudWatch Logs), not ${config.logRetentionDays}`,
    );
  }
  return days;
}
