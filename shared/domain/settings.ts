/**
 * The deployment settings the rules read, declared as plain shapes: forms and their marketing choice,
 * marketing statements and retention periods. `shared/config/schema.ts` validates the config file into
 * values of these shapes; the domain never sees the file or its validator, only the values passed in.
 */

/** The enquiry fields a form may keep. Anything else a visitor sends is dropped before storage. */
export const ENQUIRY_FIELDS = ['name', 'email', 'phone', 'company', 'message', 'topic'] as const;
export type EnquiryField = (typeof ENQUIRY_FIELDS)[number];

/** The text shown next to a marketing choice, recorded (as a hash) with the permission it gave. */
export interface MarketingStatement {
  readonly version: string;
  readonly text: string;
}

/** How a form asks for marketing permission, if at all. */
export type FormMarketing =
  | { readonly mode: 'none' }
  /** Express consent: an unticked box the visitor ticks (`marketing_consent`). */
  | {
      readonly mode: 'consent';
      readonly topics: readonly string[];
      readonly statement: MarketingStatement;
      /** Statements shown before the current one, so a page cached with an older text still records what was shown. */
      readonly previousStatements: readonly MarketingStatement[];
      readonly confirmation: 'double_opt_in' | 'welcome' | 'none';
    }
  /** PECR reg 22 soft opt-in: only for forms used in a sale or negotiation; `marketing_opt_out` refuses. */
  | {
      readonly mode: 'soft_opt_in';
      readonly topics: readonly string[];
      readonly statement: MarketingStatement;
      readonly previousStatements: readonly MarketingStatement[];
      readonly confirmation: 'welcome' | 'none';
    };

/** One enquiry form: what it keeps, what it requires, and the marketing choice it offers. */
export interface EnquiryForm {
  readonly id: string;
  /** `false`: the enquiry is delivered to staff and not kept. */
  readonly store: boolean;
  readonly keep: readonly EnquiryField[];
  readonly required: readonly EnquiryField[];
  readonly marketing: FormMarketing;
  /** Where an HTML form post is sent after success (an origin the deployment allows). */
  readonly successUrl?: string | undefined;
  readonly honeypot: string;
  readonly turnstile: boolean;
  /** The sender gets a service message saying the enquiry arrived (default false). */
  readonly acknowledge?: boolean | undefined;
}

/** How long each kind of record is kept before DynamoDB's TTL removes it. */
export interface RetentionPolicy {
  readonly enquiryMonths: number;
  readonly softOptInMonths: number;
  readonly consentMonths: number;
  readonly pendingDays: number;
  /** A contact whose permissions are all withdrawn is deleted this long after; the suppression hash stays. */
  readonly withdrawnDays: number;
  /** Consent events are the proof of consent (ICO), kept after the fact for claims: 6 years by default. */
  readonly consentRecordMonths: number;
  /** Audit items (each staff read of personal data), kept for accountability: 6 years by default. */
  readonly auditMonths: number;
  /**
   * Point-in-time recovery keeps continuous backups this long (DynamoDB allows 1 to 35 days): an erased
   * person is gone from every backup this many days after the erasure.
   */
  readonly backupDays: number;
  /** Subject requests (the register) and erasure receipts, kept for accountability: 6 years by default. */
  readonly requestMonths: number;
  /**
   * Marketing permissions kept until the person withdraws instead of lapsing after `consentMonths` /
   * `softOptInMonths` (none by default). Only allowed with re-permission or `reviewMonths`.
   */
  readonly keepUntilWithdrawn?: readonly ('consent' | 'soft_opt_in')[] | undefined;
  /** How often the contacts are reviewed (and defunct ones deleted), in months; none by default. */
  readonly reviewMonths?: number | undefined;
}

/** The periods used when the config names none. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  enquiryMonths: 12,
  softOptInMonths: 18,
  consentMonths: 24,
  pendingDays: 30,
  withdrawnDays: 30,
  consentRecordMonths: 72,
  auditMonths: 72,
  backupDays: 35,
  requestMonths: 72,
};

/** How the register of data-subject requests runs. */
export interface SubjectRequestSettings {
  /** Where the daily digest of requests due soon or overdue goes; no digest without it. */
  readonly privacyEmail?: string | undefined;
  /** How long an access request's bundle can be downloaded before it is deleted. */
  readonly exportDays: number;
  /** Bank holidays (`YYYY-MM-DD`) of the UK nation whose law applies: due dates move off them. */
  readonly bankHolidays: readonly string[];
}

export const DEFAULT_SUBJECT_REQUESTS: SubjectRequestSettings = {
  privacyEmail: undefined,
  exportDays: 30,
  bankHolidays: [],
};

/** The forms on the people-facing pages (privacy centre link request, complaints): their bot checks. */
export interface PeoplePageSettings {
  readonly honeypot: string;
  readonly turnstile: boolean;
}

export const DEFAULT_PEOPLE_PAGES: PeoplePageSettings = { honeypot: 'website', turnstile: false };

/** A topic people can be emailed about. */
export interface Topic {
  readonly id: string;
  readonly label: string;
}

/** The details a business contacts list may hold besides the address and name, each only if configured. */
export const RELATIONSHIP_FIELDS = ['company', 'phone', 'job_title', 'postal_address'] as const;
export type RelationshipField = (typeof RELATIONSHIP_FIELDS)[number];

export interface RelationshipSettings {
  /** The legitimate interests assessment the list rests on, e.g. `LIA-2026-01`. */
  readonly legitimateInterestReference: string;
  /** The details this deployment's list holds. */
  readonly fields: readonly RelationshipField[];
  /** Kept this long after it was last recorded or updated. */
  readonly months: number;
}

/** Everything the running functions are told about the deployment (the runtime part of its config file). */
/** A topic's label as emails show it; its id when the deployment no longer offers it. */
export function topicLabel(topics: readonly Topic[], topicId: string): string {
  return topics.find((topic) => topic.id === topicId)?.label ?? topicId;
}

export interface DeploymentSettings {
  readonly organisation: { readonly name: string };
  readonly topics: readonly Topic[];
  readonly forms: readonly EnquiryForm[];
  readonly retention: RetentionPolicy;
  readonly allowedOrigins: readonly string[];
  readonly notifications: { readonly from: string; readonly to: readonly string[] };
  /** What the preference centre tells people before they switch a topic on (recorded as express consent). */
  readonly preferenceCentre: { readonly statement: MarketingStatement };
  /** Where links in emails point; by default the API that sent the email. */
  readonly publicBaseUrl?: string | undefined;
  /** The topics a subscribe in MailChimp's own signup form records express consent to (default: see signupTopics). */
  readonly mailchimpSignupTopics?: readonly string[] | undefined;
  /** Business contacts held for the relationship; absent: none are taken. */
  readonly relationships?: RelationshipSettings | undefined;
  /** The register of subject requests (default: DEFAULT_SUBJECT_REQUESTS). */
  readonly subjectRequests?: SubjectRequestSettings | undefined;
  /** The privacy centre and complaint forms (default: DEFAULT_PEOPLE_PAGES). */
  readonly peoplePages?: PeoplePageSettings | undefined;
  /** At most one double opt-in confirmation email per address in this many hours (default 24; 0: no limit). */
  readonly marketing?:
    | {
        readonly confirmationWindowHours: number;
        /** Asking people with express consent to renew it, this many days before it would lapse. */
        readonly repermission?: { readonly daysBefore: readonly number[] } | undefined;
      }
    | undefined;
}
