/** The example config, parsed as the functions receive it, for tests that need a realistic one. */
import { readFileSync } from 'node:fs';
import { parseAppConfig, type RuntimeConfig, toRuntimeConfig } from '../../shared/config/schema.ts';

export const exampleConfig = parseAppConfig(JSON.parse(readFileSync('consent-desk.config.json', 'utf8')));

export function runtimeConfig(overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  return { ...toRuntimeConfig(exampleConfig), ...overrides };
}

export const TEST_HASH_KEY = 'test-email-hash-key-0123456789abcdef0123456789';

export const TEST_KEY_RING = JSON.stringify({
  current: 'k1',
  k1: 'test-link-signing-key-0123456789abcdefghij',
});
