/**
 * Repeated submissions: the same form, address and content sent again within minutes (a double click, a
 * browser or proxy retry) gets the first answer instead of a second enquiry and second emails.
 */

/** Remembers a submission's first answer until `expiresAt` (epoch seconds). */
export interface SubmissionMarker {
  /** A hash of the form, the address's keyed contact id and the content: no readable personal data. */
  readonly key: string;
  /** Absent for a form that keeps nothing: not even the reference of an enquiry it never stored. */
  readonly enquiryId: string | undefined;
  /** When it is written (epoch seconds): a marker expired by then may be replaced. */
  readonly now: number;
  readonly expiresAt: number;
}

export interface Submissions {
  /** Whether this submission was answered minutes ago, and the enquiry id it was given if it was stored. */
  firstAnswer(key: string, now: Date): Promise<{ readonly enquiryId: string | undefined } | undefined>;
}
