/** The clients and keys every function that works on contacts needs, created once per container. */
import { createDocumentClient } from './adapters/dynamodb/client.ts';
import { createContactsRepository } from './adapters/dynamodb/contacts-store.ts';
import { secretValue } from './adapters/secrets.ts';
import type { FunctionConfig } from './config.ts';
import { createEmailHasher, type EmailHasher } from './domain/hashing.ts';
import { type KeyRing, parseKeyRing } from './domain/tokens.ts';
import type { ContactsRepository } from './ports/contacts-store.ts';

export interface ContactDependencies {
  readonly contacts: ContactsRepository;
  readonly emailHasher: () => Promise<EmailHasher>;
  /** Absent when the function is given no link-signing keys. */
  readonly linkKeys: (() => Promise<KeyRing>) | undefined;
}

/** Throws during INIT when the email-hashing key is not configured: no contact can be found without it. */
export function contactDependencies(config: FunctionConfig): ContactDependencies {
  if (!config.emailHashKey)
    throw new Error('Set EMAIL_HASH_KEY_SECRET_ARN (AWS) or EMAIL_HASH_KEY (local mode)');
  return {
    contacts: createContactsRepository(
      createDocumentClient({ endpoint: config.dynamoDbEndpoint }),
      config.tableName,
    ),
    emailHasher: secretValue(config.emailHashKey, createEmailHasher),
    linkKeys: config.tokenSigningKeys ? secretValue(config.tokenSigningKeys, parseKeyRing) : undefined,
  };
}
