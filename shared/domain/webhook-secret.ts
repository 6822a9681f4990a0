/** The MailChimp webhook secret: the URL key every delivery carries, and an optional signing key. */
export interface WebhookSecret {
  /** At least 128 bits; it is part of the URL registered with MailChimp. */
  readonly urlKey: string;
  readonly signingKey: string | undefined;
}

export function parseWebhookSecret(secretString: string): WebhookSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // The parse error would quote the secret: never pass it on.
    throw new Error('The MailChimp webhook secret is not JSON ({"urlKey": "...", "signingKey"?: "..."})');
  }
  const { urlKey, signingKey } = (parsed ?? {}) as { urlKey?: unknown; signingKey?: unknown };
  if (typeof urlKey !== 'string' || !/^[A-Za-z0-9_-]{22,128}$/.test(urlKey)) {
    throw new Error(
      'The MailChimp webhook secret needs a urlKey of 22 to 128 URL-safe characters (128 bits or more)',
    );
  }
  if (signingKey !== undefined && (typeof signingKey !== 'string' || signingKey.length < 16)) {
    throw new Error('The MailChimp webhook signingKey, when set, must be at least 16 characters');
  }
  return { urlKey, signingKey: signingKey as string | undefined };
}
