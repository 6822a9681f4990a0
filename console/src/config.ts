/**
 * The console's runtime settings, read from `config.json` beside the app: written at deploy time (API base
 * URL, Cognito domain and app client), or `{"mode":"local"}` by the local server. One build serves every
 * stack.
 */

export interface Topic {
  readonly id: string;
  readonly label: string;
}

export interface LocalConsoleConfig {
  readonly mode: 'local';
  readonly topics: readonly Topic[];
  /** How long point-in-time recovery keeps a copy (`retention.backupDays`): said before an erasure. */
  readonly backupDays?: number;
}

export interface CognitoConsoleConfig {
  readonly mode: 'cognito';
  /** The API stage URL, e.g. `https://abc.execute-api.eu-west-2.amazonaws.com/v1/`. */
  readonly apiBaseUrl: string;
  /** The user pool's issuer, `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  readonly authority: string;
  /** Managed login, e.g. `https://example-staff.auth.eu-west-2.amazoncognito.com`. */
  readonly domain: string;
  readonly clientId: string;
  readonly topics: readonly Topic[];
  readonly backupDays?: number;
}

export type ConsoleConfig = LocalConsoleConfig | CognitoConsoleConfig;

export async function loadConsoleConfig(): Promise<ConsoleConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json could not be read (${response.status})`);
  return checkConsoleConfig(await response.json());
}

export function checkConsoleConfig(value: unknown): ConsoleConfig {
  if (typeof value !== 'object' || value === null) throw new Error('config.json is not an object');
  const config = value as Record<string, unknown>;
  const topics = Array.isArray(config.topics) ? (config.topics as Topic[]) : [];
  // Point-in-time recovery keeps 1 to 35 days; anything else is not trusted to date the backups.
  const days = config.backupDays;
  const backup =
    typeof days === 'number' && Number.isInteger(days) && days >= 1 && days <= 35 ? { backupDays: days } : {};
  if (config.mode === 'local') return { mode: 'local', topics, ...backup };
  for (const name of ['apiBaseUrl', 'authority', 'domain', 'clientId'] as const) {
    if (typeof config[name] !== 'string' || config[name] === '')
      throw new Error(`config.json has no ${name}`);
  }
  return {
    mode: 'cognito',
    apiBaseUrl: config.apiBaseUrl as string,
    authority: config.authority as string,
    domain: config.domain as string,
    clientId: config.clientId as string,
    topics,
    ...backup,
  };
}
