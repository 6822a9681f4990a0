/**
 * The CDK app: the stateful stack (table, keys, staff user pool) and the stateless stack (API, WAF,
 * functions, staff console), checked by cdk-nag's AwsSolutions rules during synth. Environment-agnostic,
 * so `cdk synth`
 * needs no credentials.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { AppConfig } from '../shared/config/schema.ts';
import { CONFIG_CONTEXT_KEY, checkInfraConfig, loadAppConfig, resolveConfigPath } from './config.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';
import { StatelessStack } from './stacks/stateless-stack.ts';

export interface ConsentDeskApp {
  readonly app: App;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/** Adds both stacks and the cdk-nag checks to `app`. Tests call it with their own configs. */
export function addConsentDesk(app: App, config: AppConfig): ConsentDeskApp {
  checkInfraConfig(config);
  const stateful = new StatefulStack(app, 'ConsentDesk-Stateful', {
    config,
    description: 'Consent Desk: table, keys and staff user pool',
  });
  const stateless = new StatelessStack(app, 'ConsentDesk-Stateless', {
    config,
    description: 'Consent Desk: API, WAF, functions and staff console',
    table: stateful.table,
    emailHashKey: stateful.emailHashKey,
    tokenSigningKey: stateful.tokenSigningKey,
    turnstileSecret: stateful.turnstileSecret,
    mailchimpWebhookSecret: stateful.mailchimpWebhookSecret,
    mailchimpApiKey: stateful.mailchimpApiKey,
    staffUserPool: stateful.staff.userPool,
    staffSignInUrl: stateful.staff.domain.baseUrl(),
  });
  // Any finding not acknowledged with a reason fails the synth; the acknowledgements are also written into
  // the templates' metadata, so the reasons travel with what is deployed.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  return { app, stateful, stateless };
}

export function buildApp(config: AppConfig, props?: AppProps): ConsentDeskApp {
  return addConsentDesk(new App(props), config);
}

if (import.meta.main) {
  const app = new App();
  let config: AppConfig;
  try {
    config = loadAppConfig(resolveConfigPath(app.node.tryGetContext(CONFIG_CONTEXT_KEY)));
  } catch (error) {
    // A config mistake is the operator's to fix: the message says what and where, a stack trace wouldn't.
    console.error((error as Error).message);
    process.exit(1);
  }
  addConsentDesk(app, config);
  app.synth();
}
