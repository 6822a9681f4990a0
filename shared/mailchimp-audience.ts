/** The MailChimp audience a function talks to, from its MailChimp settings and API key. */
import { createMailchimpAudience } from './adapters/mailchimp/index.ts';
import { secretValue } from './adapters/secrets.ts';
import type { FunctionConfig } from './config.ts';
import type { MailchimpConfig } from './mailchimp-config.ts';
import type { MailchimpAudience } from './ports/mailchimp-audience.ts';

/** Built once the key is known; the key is fetched on first use and kept for the container's life. */
export function mailchimpAudience(
  config: FunctionConfig<'mailchimpApiKey'>,
  mailchimp: MailchimpConfig,
): () => Promise<MailchimpAudience> {
  return secretValue(config.secrets.mailchimpApiKey, (apiKey) =>
    createMailchimpAudience({
      apiKey,
      server: mailchimp.server,
      listId: mailchimp.listId,
      basePath: mailchimp.basePath,
    }),
  );
}
