/**
 * What the data-subject rights routes send and answer, as the console reads them (GET /people and the
 * request register). The request itself is the register's own shape, from the pure domain module.
 */
import type { ErasureReceipt } from '../../shared/domain/erasure-receipt.ts';
import type { RequestChannel, RequestType, SubjectRequest } from '../../shared/domain/subject-request.ts';

/** GET /people?email=: what is held at an address. */
export interface PersonSummary {
  readonly email: string;
  readonly contactId: string | null;
  readonly topics: readonly { readonly topic: string; readonly status: string; readonly since: string }[];
  readonly suppressed: {
    readonly all: boolean;
    readonly topics: readonly string[];
    readonly reason: string | null;
  } | null;
  readonly restricted: boolean;
  readonly enquiries: number;
  readonly openRequests: readonly string[];
}

/** A rectification's changes: only the fields given change. */
export interface RequestChanges {
  name?: string;
  phone?: string;
  company?: string;
  email?: string;
}

/** POST /subject-requests. */
export interface RequestBody {
  type: RequestType;
  email: string;
  channel: RequestChannel;
  receivedAt?: string;
  identity?: { verified: true; method: string } | { verified: false };
  changes?: RequestChanges;
  topics?: string[];
  lift?: boolean;
  details?: string;
}

/** A register row (GET /subject-requests): no address, no input, no result, no log. */
export interface RequestSummary extends Omit<SubjectRequest, 'log'> {
  readonly overdue: boolean;
  readonly finishedAt: string | null;
}

/** One request (GET /subject-requests/{id} and every action's answer). */
export interface RequestDetail extends SubjectRequest {
  readonly overdue: boolean;
  readonly finishedAt: string | null;
  /** Gone once an erasure is carried out. */
  readonly email: string | null;
  readonly input: Readonly<Pick<RequestBody, 'changes' | 'topics' | 'lift' | 'details'>>;
  /** What was done; never personal data. An erasure's is `{receipt}`, an access request's counts the bundle. */
  readonly result: RequestResult | null;
}

export type RequestResult = Readonly<Record<string, unknown>> & {
  readonly receipt?: ErasureReceipt;
  readonly exportAvailableUntil?: string;
};
