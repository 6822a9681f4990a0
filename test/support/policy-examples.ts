/** The five example policy configs in `examples/policies/`, by file name, with what each promises. */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const POLICY_EXAMPLES_DIR = resolve(import.meta.dirname, '../../examples/policies');

export const POLICY_EXAMPLE_FILES = [
  'a-newsletter.json',
  'b-clients.json',
  'c-explicit-consent.json',
  'd-business-contacts.json',
  'e-service-only.json',
] as const;

export type PolicyExampleFile = (typeof POLICY_EXAMPLE_FILES)[number];

/** The point-in-time recovery window each example asks for. */
export const BACKUP_DAYS: Readonly<Record<PolicyExampleFile, number>> = {
  'a-newsletter.json': 7,
  'b-clients.json': 14,
  'c-explicit-consent.json': 35,
  'd-business-contacts.json': 35,
  'e-service-only.json': 35,
};

export function policyExamplePath(file: PolicyExampleFile): string {
  return join(POLICY_EXAMPLES_DIR, file);
}

/** Every JSON file in the folder, so a new example cannot slip past the tests. */
export function jsonFilesInExamples(): string[] {
  return readdirSync(POLICY_EXAMPLES_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort();
}
