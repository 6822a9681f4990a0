/** The MailChimp audience a function talks to, from its MailChimp settings. */
import { createMailchimpAudience, type MailchimpAudience } from './adapters/mailchimp/index.ts';
import { secretValue } from './adapters/secrets.ts';
import type { MailchimpConfig } from './mailchimp-config.ts';

/** Built once the key is known; the key is fetched on first use and kept for the container's life. */
export function mailchimpAudience(mailchimp: MailchimpConfig): () => Promise<MailchimpAudience> {
  return secretValue(mailchimp.apiKey, (apiKey) =>
    createMailchimpAudience({
      apiKey,
      server: mailchimp.server,
      listId: mailchimp.listId,
      basePath: mailchimp.basePath,
    }),
  );
}
