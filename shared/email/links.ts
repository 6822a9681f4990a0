/** Signed links for emails: unsubscribe, preferences and double opt-in confirmation. */

import { toEpochSeconds } from '../domain/retention.ts';
import { type KeyRing, signToken, type TokenPurpose } from '../domain/tokens.ts';

export const LINK_PATHS: Readonly<Record<TokenPurpose, string>> = {
  unsubscribe: '/unsubscribe',
  preferences: '/preferences',
  confirm: '/confirm',
  /** A person confirming that a subject request made in their name is theirs. */
  verify: '/verify-request',
  /** What we hold on the person, with the actions they can take on it. */
  privacy: '/privacy-centre',
};

export interface ContactLinks {
  readonly unsubscribeUrl: string;
  readonly preferencesUrl: string;
  readonly confirmUrl: string;
  /** The privacy centre's front page, where the person asks for their own link (no token: it lives 24 hours). */
  readonly privacyCentreUrl: string;
}

export interface LinkInput {
  readonly ring: KeyRing;
  readonly baseUrl: string;
  readonly contactId: string;
  readonly epoch: number;
  /** The issue time the token carries; its lifetime runs from here. */
  readonly now: Date;
}

export function contactLinks(input: LinkInput): ContactLinks {
  return {
    unsubscribeUrl: signedLink(input, 'unsubscribe'),
    preferencesUrl: signedLink(input, 'preferences'),
    confirmUrl: signedLink(input, 'confirm'),
    privacyCentreUrl: `${input.baseUrl}${LINK_PATHS.privacy}`,
  };
}

/** One signed link: the same input always gives the same URL. */
export function signedLink(input: LinkInput, purpose: TokenPurpose): string {
  const token = signToken(input.ring, {
    contactId: input.contactId,
    purpose,
    epoch: input.epoch,
    issuedAt: toEpochSeconds(input.now),
  });
  return `${input.baseUrl}${LINK_PATHS[purpose]}?token=${token}`;
}
