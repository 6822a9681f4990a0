/**
 * The single table: its keys, index and TTL attribute, and the key of every item type.
 * The CDK stateful stack and the local runner both build the table from `TABLE_DEFINITION`, and this
 * folder is the only code that knows how keys are formed. docs/data-model.md lists the access patterns.
 */

export const TABLE_DEFINITION = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** DynamoDB deletes items whose epoch-seconds value here has passed (days late: reads check it too). */
  timeToLiveAttribute: 'expiresAt',
  stream: 'NEW_AND_OLD_IMAGES',
  globalSecondaryIndexes: [
    {
      /**
       * Overloaded, sparse: mailable contacts per topic, enquiries and unsent emails by date, the staff
       * audit trail, and the register of subject requests (open ones by due date, finished ones by when
       * they finished).
       */
      indexName: 'gsi1',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
    },
  ],
} as const;

export type MarketingBasis = 'consent' | 'soft_opt_in';

/** Keys of every item type. Ids are opaque strings made by the domain; none is a plain email address. */
export const keys = {
  enquiry: (enquiryId: string) => ({ pk: `ENQUIRY#${enquiryId}`, sk: 'ENQUIRY' }),
  /** gsi1: newest enquiries first (`ScanIndexForward: false`). */
  enquiryByDate: (receivedAt: string, enquiryId: string) => ({
    gsi1pk: 'ENQUIRIES',
    gsi1sk: `${receivedAt}#${enquiryId}`,
  }),
  contact: (contactId: string) => ({ pk: `CONTACT#${contactId}`, sk: 'PROFILE' }),
  /**
   * gsi1, on every profile, moved by each change we make to the contact: contacts by when they last
   * changed, for the outward reconciliation. One index partition: a small business changes contacts far
   * more slowly than one partition takes writes.
   */
  contactChanged: (updatedAt: string, contactId: string) => ({
    gsi1pk: 'CONTACTS#CHANGED',
    gsi1sk: `${updatedAt}#${contactId}`,
  }),
  topic: (contactId: string, topicId: string) => ({ pk: `CONTACT#${contactId}`, sk: `TOPIC#${topicId}` }),
  /** gsi1, present only while the topic is mailable: who may be emailed about a topic, by basis. */
  mailableByTopic: (topicId: string, basis: MarketingBasis, contactId: string) => ({
    gsi1pk: `TOPIC#${topicId}`,
    gsi1sk: `${basis}#${contactId}`,
  }),
  /**
   * In time order; events written together are ordered by the contact version they were written at and
   * their position in the change, so replay order is stable even within one millisecond.
   */
  consentEvent: (contactId: string, at: string, version: number, position: number) => ({
    pk: `CONTACT#${contactId}`,
    sk: `EVENT#${at}#${String(version).padStart(8, '0')}#${String(position).padStart(3, '0')}`,
  }),
  consentEventPrefix: 'EVENT#',
  /**
   * Left in an old address's partition when its contact moved to a new address: where it went (so links
   * sent to the old address still reach it) and, until the history is copied, how far that history goes.
   * Sorts between the history and the profile, so neither the current-state read nor the history read
   * sees it.
   */
  contactMoved: (contactId: string) => ({ pk: `CONTACT#${contactId}`, sk: 'MOVED' }),
  /**
   * In the new address's partition, one per address the contact moved from: where the `MOVED` items that
   * forward to it are, so an erasure deletes them too. Sorts after the history and before `MOVED`, so
   * neither the current-state read, the history read nor the forwarding read sees it.
   */
  forwardedFrom: (contactId: string, fromContactId: string) => ({
    pk: `CONTACT#${contactId}`,
    sk: `FORWARDED#${fromContactId}`,
  }),
  forwardedFromPrefix: 'FORWARDED#',
  topicPrefix: 'TOPIC#',
  suppression: (suppressionHash: string) => ({ pk: `SUPPRESSION#${suppressionHash}`, sk: 'SUPPRESSION' }),
  /** A webhook delivery already applied (MailChimp retries deliveries for about 75 minutes). */
  webhookDelivery: (deliveryId: string) => ({ pk: `WEBHOOK#${deliveryId}`, sk: 'WEBHOOK' }),
  /** An email waiting for the mailer, deleted once sent; the stream hands its INSERT to the mailer. */
  outbox: (messageId: string) => ({ pk: `OUTBOX#${messageId}`, sk: 'OUTBOX' }),
  outboxPrefix: 'OUTBOX#',
  /** gsi1, present while the message waits: what is still unsent, oldest first (for a redrive). */
  outboxWaiting: (queuedAt: string, messageId: string) => ({
    gsi1pk: 'OUTBOX#WAITING',
    gsi1sk: `${queuedAt}#${messageId}`,
  }),
  /** A confirmation email was queued for this contact; no other until `expiresAt` (the window's end). */
  confirmationWindow: (contactId: string) => ({ pk: `CONFIRMATION#${contactId}`, sk: 'CONFIRMATION' }),
  /** An enquiry submission already answered: a repeat within minutes gets the same enquiry id. */
  submission: (submissionKey: string) => ({ pk: `SUBMISSION#${submissionKey}`, sk: 'SUBMISSION' }),
  /** Where the MailChimp reconciliation resumes: the latest `last_changed` it has applied. */
  reconcileCursor: () => ({ pk: 'MAILCHIMP#RECONCILE', sk: 'CURSOR' }),
  /** Where the outward reconciliation resumes: the latest change it has compared with MailChimp. */
  outwardReconcileCursor: () => ({ pk: 'MAILCHIMP#RECONCILE', sk: 'OUTWARD' }),
  /** A staff read of personal data: who, when, which route and filter, how many rows (never the data). */
  audit: (auditId: string) => ({ pk: `AUDIT#${auditId}`, sk: 'AUDIT' }),
  /** gsi1: the audit trail, newest first (`ScanIndexForward: false`). */
  auditByDate: (at: string, auditId: string) => ({ gsi1pk: 'AUDIT', gsi1sk: `${at}#${auditId}` }),
  /** Statement texts, keyed by their SHA-256: immutable, so an identical re-put is harmless. */
  statement: (textHash: string) => ({ pk: `STATEMENT#${textHash}`, sk: 'STATEMENT' }),
  /**
   * In the person's partition, one per enquiry they sent: finds a person's enquiries with the same Query
   * as the rest of their data. Sorts before the history (`ENQUIRY#` < `EVENT#`) and the profile, and
   * matches neither the current-state read (`sk >= PROFILE`) nor the history read (`EVENT#`).
   */
  enquiryRef: (contactId: string, receivedAt: string, enquiryId: string) => ({
    pk: `CONTACT#${contactId}`,
    sk: `ENQUIRY#${receivedAt}#${enquiryId}`,
  }),
  enquiryRefPrefix: 'ENQUIRY#',
  /** A data-subject request or complaint in the register, with its log and (once done) its result. */
  subjectRequest: (requestId: string) => ({ pk: `REQUEST#${requestId}`, sk: 'REQUEST' }),
  /** The access bundle of an access request, kept `subjectRequests.exportDays` for the download. */
  requestExport: (requestId: string) => ({ pk: `REQUEST#${requestId}`, sk: 'EXPORT' }),
  /** gsi1: unfinished requests, earliest due first; those not yet verified (no due date) last. */
  openRequestByDue: (dueDate: string | null, receivedAt: string, requestId: string) => ({
    gsi1pk: 'REQUESTS#OPEN',
    gsi1sk: `${dueDate ?? '9999-12-31'}#${receivedAt}#${requestId}`,
  }),
  /** gsi1: finished requests, by when they finished. */
  finishedRequestByDate: (finishedAt: string, requestId: string) => ({
    gsi1pk: 'REQUESTS#DONE',
    gsi1sk: `${finishedAt}#${requestId}`,
  }),
  /** In the person's partition while their request is unfinished: their open requests in one Query. */
  requestRef: (contactId: string, requestId: string) => ({
    pk: `CONTACT#${contactId}`,
    sk: `DSR#${requestId}`,
  }),
  requestRefPrefix: 'DSR#',
} as const;
