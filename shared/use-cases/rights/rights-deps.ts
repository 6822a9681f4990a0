/** What the register and the rights it carries out need: the stores, the keys, the mail queue and the clock. */
import type { EmailHasher } from '../../domain/hashing.ts';
import type { DeploymentSettings, SubjectRequestSettings } from '../../domain/settings.ts';
import { DEFAULT_SUBJECT_REQUESTS } from '../../domain/settings.ts';
import type { KeyRing } from '../../domain/tokens.ts';
import type { ContactsRepository } from '../../ports/contacts-store.ts';
import type { MailQueue } from '../../ports/mailer.ts';
import type { PageCursors } from '../../ports/page-cursors.ts';
import type { PersonalDataStore } from '../../ports/personal-data.ts';
import type { RelationshipStore } from '../../ports/relationships.ts';
import type { StaffReads } from '../../ports/staff-reads.ts';
import type { RequestRegister } from '../../ports/subject-requests.ts';

export interface RightsDeps {
  readonly config: DeploymentSettings;
  /** The deployment syncs an audience to MailChimp: erasure and access speak of it. */
  readonly mailchimpInUse: boolean;
  readonly register: RequestRegister;
  readonly personalData: PersonalDataStore;
  readonly contacts: ContactsRepository;
  /** Business contacts: an objection ends the relationship. */
  readonly relationships: RelationshipStore;
  /** Statement texts for the access bundle, and the audit trail of staff reads and actions. */
  readonly reads: Pick<StaffReads, 'readStatements' | 'recordAudit'>;
  readonly emailHasher: () => Promise<EmailHasher>;
  /** Signs the verification links and the register's cursors. */
  readonly linkKeys: () => Promise<KeyRing>;
  readonly cursors: PageCursors;
  /** Queues the digest; the register's other emails are queued with the change they report. */
  readonly mailQueue: MailQueue;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export function requestSettings(config: DeploymentSettings): SubjectRequestSettings {
  return config.subjectRequests ?? DEFAULT_SUBJECT_REQUESTS;
}

export function clockRules(config: DeploymentSettings) {
  return { bankHolidays: new Set(requestSettings(config).bankHolidays) };
}
