/**
 * The clients and keys the functions share, each built once per container from a function's validated
 * config. A function takes only what it uses.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from './adapters/dynamodb/client.ts';
import { createContactsRepository } from './adapters/dynamodb/contacts-store.ts';
import { secretValue } from './adapters/secrets.ts';
import type { FunctionConfig } from './config.ts';
import { createEmailHasher, type EmailHasher } from './domain/hashing.ts';
import { type KeyRing, parseKeyRing } from './domain/tokens.ts';
import type { ContactsRepository } from './ports/contacts-store.ts';

/** The table's document client: one per container, shared by every store the function uses. */
export function documentClient(config: FunctionConfig): DynamoDBDocumentClient {
  return createDocumentClient({ endpoint: config.dynamoDbEndpoint });
}

export interface ContactDependencies {
  readonly contacts: ContactsRepository;
  readonly emailHasher: () => Promise<EmailHasher>;
}

/** The contacts and the key that finds them by address: no contact can be found without it. */
export function contactDependencies(
  config: FunctionConfig<'emailHashKey'>,
  db: DynamoDBDocumentClient = documentClient(config),
): ContactDependencies {
  return {
    contacts: createContactsRepository(db, config.tableName),
    emailHasher: secretValue(config.secrets.emailHashKey, createEmailHasher),
  };
}

/** The key ring that signs links (and staff-list cursors), fetched on first use. */
export function linkSigningKeys(config: FunctionConfig<'tokenSigningKeys'>): () => Promise<KeyRing> {
  return secretValue(config.secrets.tokenSigningKeys, parseKeyRing);
}
