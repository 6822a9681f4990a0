/** Signed links for emails: unsubscribe, preferences and double opt-in confirmation. */

import { toEpochSeconds } from '../domain/retention.ts';
import { type KeyRing, signToken, type TokenPurpose } from '../domain/tokens.ts';

export const LINK_PATHS: Readonly<Record<TokenPurpose, string>> = {
  unsubscribe: '/unsubscribe',
  preferences: '/preferences',
  confirm: '/confirm',
};

export interface ContactLinks {
  readonly unsubscribeUrl: string;
  readonly preferencesUrl: string;
  readonly confirmUrl: string;
}

export function contactLinks(input: {
  readonly ring: KeyRing;
  readonly baseUrl: string;
  readonly contactId: string;
  readonly epoch: number;
  readonly now: Date;
}): ContactLinks {
  const url = (purpose: TokenPurpose) => {
    const token = signToken(input.ring, {
      contactId: input.contactId,
      purpose,
      epoch: input.epoch,
      issuedAt: toEpochSeconds(input.now),
    });
    return `${input.baseUrl}${LINK_PATHS[purpose]}?token=${token}`;
  };
  return {
    unsubscribeUrl: url('unsubscribe'),
    preferencesUrl: url('preferences'),
    confirmUrl: url('confirm'),
  };
}
