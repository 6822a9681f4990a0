/**
 * What each function may touch: its actions on the table (and which partitions), the secrets it reads and
 * whether it may send email. Every function in infra/routes.ts must have an entry, so none can be added
 * without deciding its access.
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { keys, TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table.ts';
import type { AppConfig } from '../../shared/config/schema.ts';
import type { ConsentDeskFunction, DynamoDbAction } from '../constructs/consent-desk-function.ts';
import type { FunctionName } from '../routes.ts';

/** What the stateful stack and the config hand to the functions. */
export interface FunctionResources {
  readonly config: AppConfig;
  /** Its stream (NEW_AND_OLD_IMAGES) feeds the MailChimp sync. */
  readonly table: ITable;
  readonly emailHashKey: ISecret;
  readonly tokenSigningKey: ISecret;
  readonly turnstileSecret: ISecret | undefined;
  readonly mailchimpWebhookSecret: ISecret;
  /** Only when `mailchimp` is configured. */
  readonly mailchimpApiKey: ISecret | undefined;
}

type FunctionAccess = (fn: ConsentDeskFunction, resources: FunctionResources) => void;

/**
 * Reads a contact and writes its permissions, events and suppression entry (and an enquiry) in one
 * transaction. Item actions on the table only: TransactWriteItems is authorized per item action inside it.
 */
const CONTACT_WRITER: readonly DynamoDbAction[] = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

/** The staff API reads contacts, lists and enquiries (gsi1 serves the lists) and never changes them. */
const STAFF_READER: readonly DynamoDbAction[] = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
];

/** Every audit item lives under this partition key prefix, so a grant can be limited to them. */
const AUDIT_PARTITION_PREFIX = keys.audit('').pk;
/** Every queued email lives under this partition key prefix. */
const OUTBOX_PARTITION_PREFIX = keys.outboxPrefix;

/**
 * What the rights function may change: a person's partition, their enquiries, suppression entries, the
 * register (requests and exports), the audit trail, the outbox (its emails, and an erasure's unsent mail to
 * or about the person), the marker of the person's latest enquiry, and the statement texts an import's
 * consent rows record. Nothing else (webhook markers, the reconciliation cursor) is writable with its
 * credentials.
 */
const RIGHTS_WRITE_PREFIXES = [
  keys.contact('').pk,
  keys.statement('').pk,
  keys.enquiry('').pk,
  keys.suppression('').pk,
  keys.subjectRequest('').pk,
  keys.confirmationWindow('').pk,
  AUDIT_PARTITION_PREFIX,
  OUTBOX_PARTITION_PREFIX,
  keys.submission('').pk,
];

export const FUNCTION_ACCESS: Readonly<Record<FunctionName, FunctionAccess>> = {
  // Emails are queued in the outbox with the enquiry: no mail grant and no link keys here.
  enquiry: (fn, { config, table, emailHashKey, turnstileSecret }) => {
    fn.bindTable(table, { actions: CONTACT_WRITER });
    fn.bindSecret(emailHashKey, 'EMAIL_HASH_KEY_SECRET_ARN');
    if (config.forms.some((form) => form.turnstile)) {
      if (!turnstileSecret) throw new Error('A form uses Turnstile but no Turnstile secret was passed');
      fn.bindSecret(turnstileSecret, 'TURNSTILE_SECRET_ARN');
    }
  },
  links: (fn, { table, emailHashKey, tokenSigningKey }) => {
    fn.bindTable(table, { actions: CONTACT_WRITER });
    // The suppression entry is keyed by the address's keyed hash.
    fn.bindSecret(emailHashKey, 'EMAIL_HASH_KEY_SECRET_ARN');
    // Verifies the links; the confirmation a link may ask for is queued in the outbox, signed by the mailer.
    fn.bindSecret(tokenSigningKey, 'TOKEN_SIGNING_KEYS_SECRET_ARN');
  },
  mailchimpWebhook: (fn, { table, emailHashKey, mailchimpWebhookSecret }) => {
    // Withdrawals and suppression entries, plus the marker that makes a retried delivery a no-op.
    fn.bindTable(table, { actions: CONTACT_WRITER });
    fn.bindSecret(emailHashKey, 'EMAIL_HASH_KEY_SECRET_ARN');
    fn.bindSecret(mailchimpWebhookSecret, 'MAILCHIMP_WEBHOOK_SECRET_ARN');
  },
  mailchimpSync: (fn, { config, table, emailHashKey, tokenSigningKey, mailchimpApiKey }) => {
    if (!config.mailchimp || !mailchimpApiKey) throw new Error('The MailChimp sync needs config.mailchimp');
    // Reads contacts and writes the withdrawals MailChimp reports (compliance state, forgotten members).
    fn.bindTable(table, { actions: CONTACT_WRITER });
    fn.bindSecret(emailHashKey, 'EMAIL_HASH_KEY_SECRET_ARN');
    // Signs the preferences link each member carries in a merge field.
    fn.bindSecret(tokenSigningKey, 'TOKEN_SIGNING_KEYS_SECRET_ARN');
    fn.bindSecret(mailchimpApiKey, 'MAILCHIMP_API_KEY_SECRET_ARN');
    fn.function.addEnvironment('MAILCHIMP_SERVER', config.mailchimp.server);
    fn.function.addEnvironment('MAILCHIMP_LIST_ID', config.mailchimp.listId);
    fn.function.addEnvironment('MAILCHIMP_PREFERENCES_MERGE_TAG', config.mailchimp.preferencesMergeTag);
  },
  mailchimpReconcile: (fn, { config, table, emailHashKey, tokenSigningKey, mailchimpApiKey }) => {
    if (!config.mailchimp || !mailchimpApiKey) {
      throw new Error('The MailChimp reconciliation needs config.mailchimp');
    }
    // Withdrawals and suppression entries, the delivery markers and its own cursor items; gsi1 lists
    // the contacts changed since the outward cursor.
    fn.bindTable(table, {
      actions: CONTACT_WRITER,
      indexes: TABLE_DEFINITION.globalSecondaryIndexes.map((index) => index.indexName),
    });
    fn.bindSecret(emailHashKey, 'EMAIL_HASH_KEY_SECRET_ARN');
    // A member it repairs carries the signed preferences link, as the sync sends it.
    fn.bindSecret(tokenSigningKey, 'TOKEN_SIGNING_KEYS_SECRET_ARN');
    fn.bindSecret(mailchimpApiKey, 'MAILCHIMP_API_KEY_SECRET_ARN');
    fn.function.addEnvironment('MAILCHIMP_SERVER', config.mailchimp.server);
    fn.function.addEnvironment('MAILCHIMP_LIST_ID', config.mailchimp.listId);
    fn.function.addEnvironment('MAILCHIMP_PREFERENCES_MERGE_TAG', config.mailchimp.preferencesMergeTag);
  },
  staff: (fn, { table, tokenSigningKey }) => {
    fn.bindTable(table, {
      actions: STAFF_READER,
      indexes: TABLE_DEFINITION.globalSecondaryIndexes.map((index) => index.indexName),
    });
    // Its one write: the audit item recording each read of personal data. Even with the function's
    // credentials, nothing outside the audit partitions can be written.
    fn.bindTablePartitions(table, {
      actions: ['dynamodb:PutItem'],
      partitionKeyPrefixes: [AUDIT_PARTITION_PREFIX],
    });
    // Signs list cursors, and the unsubscribe and preferences URLs shown with a contact.
    fn.bindSecret(tokenSigningKey, 'TOKEN_SIGNING_KEYS_SECRET_ARN');
  },
  rights: (fn, { config, table, emailHashKey, tokenSigningKey, turnstileSecret }) => {
    // Reads a person's partition, their enquiries and statements, and the register on gsi1.
    fn.bindTable(table, {
      actions: STAFF_READER,
      indexes: TABLE_DEFINITION.globalSecondaryIndexes.map((index) => index.indexName),
    });
    // Erasure deletes, rectification and restriction update, imports add new contacts, the register and
    // audit trail are written: only in the partitions a data-subject request or an import concerns.
    fn.bindTablePartitions(table, {
      actions: [
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
      ],
      partitionKeyPrefixes: RIGHTS_WRITE_PREFIXES,
    });
    // Finds a person by address (contact id, suppression hash).
    fn.bindSecret(emailHashKey, 'EMAIL_HASH_KEY_SECRET_ARN');
    // Checks the verification links and signs the register's cursors. Its emails (verification,
    // extension, refusal, the digest) are queued in the outbox: it sends nothing itself.
    fn.bindSecret(tokenSigningKey, 'TOKEN_SIGNING_KEYS_SECRET_ARN');
    fn.function.addEnvironment('MAILCHIMP_IN_USE', config.mailchimp ? 'true' : 'false');
    // The privacy centre's link request and the complaint form check Turnstile when configured.
    if (config.peoplePages.turnstile) {
      if (!turnstileSecret)
        throw new Error('The people pages use Turnstile but no Turnstile secret was passed');
      fn.bindSecret(turnstileSecret, 'TURNSTILE_SECRET_ARN');
    }
  },
  mailer: (fn, { config, table, tokenSigningKey }) => {
    // Reads a queued message, deletes it once sent, and lists the unsent ones (gsi1) for a redrive;
    // nothing outside the outbox partitions.
    fn.bindTablePartitions(table, {
      actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      partitionKeyPrefixes: [OUTBOX_PARTITION_PREFIX],
      indexes: TABLE_DEFINITION.globalSecondaryIndexes.map((index) => index.indexName),
    });
    // Signs the unsubscribe, preferences and confirm links of confirmation and welcome emails.
    fn.bindSecret(tokenSigningKey, 'TOKEN_SIGNING_KEYS_SECRET_ARN');
    // The only function that may send email.
    fn.bindEmailSender(config.notifications.from);
  },
};
