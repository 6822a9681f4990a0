/**
 * Gets local mode's MailChimp ready at start: registers our webhook with the emulator, or checks a real
 * audience without changing it, using the same setup command ops run against MailChimp.
 */
import { DEFAULT_PREFERENCES_MERGE_TAG, runSetup } from '../infra/commands/mailchimp-setup.ts';
import type { AppConfig } from '../shared/config/schema.ts';
import { DEFAULT_EMULATOR_LIST_ID, mailchimpEmulatorBasePath } from './mailchimp-emulator/index.ts';
import type { LocalMailchimp } from './mailchimp-mode.ts';

/** Any key works with the emulator. Real MailChimp is used only when MAILCHIMP_API_KEY is set. */
export const LOCAL_MAILCHIMP_API_KEY = 'local-emulator-key-us1';
/** With real MailChimp its webhooks cannot reach this machine: reconciliation runs this often instead. */
export const LOCAL_RECONCILE_INTERVAL_MS = 60_000;

/** The merge field carrying preferences links, as the deployed stack names it. */
export function preferencesMergeTag(config: AppConfig): string {
  return config.mailchimp?.preferencesMergeTag ?? DEFAULT_PREFERENCES_MERGE_TAG;
}

/**
 * Registers our webhook with the emulator through the setup command (its validation GET included), so
 * `POST /__local/mailchimp/unsubscribe` reaches the webhook function.
 */
export async function registerMailchimpWebhook(baseUrl: string, mergeTag: string): Promise<void> {
  const { urlKey } = JSON.parse(process.env.MAILCHIMP_WEBHOOK_SECRET ?? '{}') as { urlKey: string };
  await runSetup(
    {
      apiKey: LOCAL_MAILCHIMP_API_KEY,
      server: 'us1',
      listId: DEFAULT_EMULATOR_LIST_ID,
      webhookUrl: `${baseUrl}/webhooks/mailchimp?key=${urlKey}`,
      basePath: mailchimpEmulatorBasePath(baseUrl),
      replace: false,
      dryRun: false,
      preferencesMergeTag: mergeTag,
    },
    // Its report is for people running the command; the banner says what matters here.
    { out: () => {} },
  );
}

/**
 * Real MailChimp: checks the key and the merge field without changing anything (the setup command's dry
 * run), and says what to do. A failure is reported, not fatal: local mode works without MailChimp.
 */
export async function checkRealMailchimp(
  mailchimp: Extract<LocalMailchimp, { kind: 'real' }>,
  mergeTag: string,
): Promise<string[]> {
  const lines = [
    `real audience ${mailchimp.listId} on ${mailchimp.server} (MAILCHIMP_API_KEY is set); ` +
      'the emulator and /__local/mailchimp are off',
    "MailChimp's webhook cannot reach localhost, so none is registered: reconciliation runs every " +
      `${LOCAL_RECONCILE_INTERVAL_MS / 1000} s and applies unsubscribes made in MailChimp`,
  ];
  const report: string[] = [];
  try {
    await runSetup(
      {
        apiKey: mailchimp.apiKey,
        server: mailchimp.server,
        listId: mailchimp.listId,
        webhookUrl: undefined,
        replace: false,
        dryRun: true,
        preferencesMergeTag: mergeTag,
      },
      { out: (line) => report.push(line) },
    );
  } catch (error) {
    // Setup errors never quote the key.
    lines.push(`MailChimp check failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (report.some((line) => line.includes('would create'))) {
    lines.push(
      `Merge field ${mergeTag} is missing: run npm run mailchimp:setup -- --skip-webhook to create it`,
    );
  }
  return lines;
}
