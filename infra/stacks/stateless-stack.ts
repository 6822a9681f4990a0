/**
 * The API, the WAF and the functions: everything that can be replaced without losing data. Functions and
 * routes come from infra/routes.ts; each function's access to the table, secrets and SES is listed in
 * FUNCTION_ACCESS below, so a new function cannot be added without deciding what it may touch.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { type AppConfig, toRuntimeConfig } from '../../shared/config/schema.ts';
import { logRetention } from '../config.ts';
import { acknowledge } from '../constructs/acknowledge.ts';
import { ConsentDeskFunction, type DynamoDbAction } from '../constructs/consent-desk-function.ts';
import { PublicApi } from '../constructs/public-api.ts';
import { ApiWebAcl } from '../constructs/web-acl.ts';
import { BINARY_MEDIA_TYPES, FUNCTIONS, type FunctionName, ROUTES, STAGE_THROTTLE } from '../routes.ts';

export const STAGE_NAME = 'v1';

export interface StatelessStackProps extends StackProps {
  readonly config: AppConfig;
  readonly table: ITable;
  readonly emailHashKey: ISecret;
  readonly tokenSigningKey: ISecret;
  readonly turnstileSecret: ISecret | undefined;
  readonly mailchimpWebhookSecret: ISecret;
}

type FunctionAccess = (fn: ConsentDeskFunction, props: StatelessStackProps) => void;

/**
 * Reads a contact and writes its permissions, events and suppression entry (and an enquiry) in one
 * transaction. Item actions on the table only: TransactWriteItems is authorized per item action inside it.
 */
const CONTACT_WRITER: readonly DynamoDbAction[] = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

const FUNCTION_ACCESS: Readonly<Record<FunctionName, FunctionAccess>> = {
  enquiry: (fn, { config, table, emailHashKey, tokenSigningKey, turnstileSecret }) => {
    fn.bindTable(table, { actions: CONTACT_WRITER });
    fn.bindSecret(emailHashKey, 'EMAIL_HASH_KEY_SECRET_ARN');
    // Confirmation and welcome emails carry signed unsubscribe, preferences and confirm links.
    fn.bindSecret(tokenSigningKey, 'TOKEN_SIGNING_KEYS_SECRET_ARN');
    if (config.forms.some((form) => form.turnstile)) {
      if (!turnstileSecret) throw new Error('A form uses Turnstile but no Turnstile secret was passed');
      fn.bindSecret(turnstileSecret, 'TURNSTILE_SECRET_ARN');
    }
    fn.bindEmailSender(config.notifications.from);
  },
  links: (fn, { table, emailHashKey, tokenSigningKey }) => {
    fn.bindTable(table, { actions: CONTACT_WRITER });
    // The suppression entry is keyed by the address's keyed hash.
    fn.bindSecret(emailHashKey, 'EMAIL_HASH_KEY_SECRET_ARN');
    fn.bindSecret(tokenSigningKey, 'TOKEN_SIGNING_KEYS_SECRET_ARN');
  },
  mailchimpWebhook: (fn, { table, emailHashKey, mailchimpWebhookSecret }) => {
    // Withdrawals and suppression entries, plus the marker that makes a retried delivery a no-op.
    fn.bindTable(table, { actions: CONTACT_WRITER });
    fn.bindSecret(emailHashKey, 'EMAIL_HASH_KEY_SECRET_ARN');
    fn.bindSecret(mailchimpWebhookSecret, 'MAILCHIMP_WEBHOOK_SECRET_ARN');
  },
};

export class StatelessStack extends Stack {
  public readonly functions: Readonly<Record<FunctionName, ConsentDeskFunction>>;
  public readonly api: PublicApi;
  public readonly webAcl: ApiWebAcl | undefined;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retention = logRetention(config);
    const runtimeConfig = toRuntimeConfig(config);

    const names = Object.keys(FUNCTIONS) as FunctionName[];
    this.functions = Object.fromEntries(
      names.map((name) => {
        const fn = new ConsentDeskFunction(this, fnId(name), {
          spec: FUNCTIONS[name],
          runtimeConfig,
          logRetention: retention,
        });
        FUNCTION_ACCESS[name](fn, props);
        return [name, fn];
      }),
    ) as Record<FunctionName, ConsentDeskFunction>;

    this.api = new PublicApi(this, 'PublicApi', {
      routes: ROUTES,
      functions: Object.fromEntries(
        names.map((name): [FunctionName, IFunction] => [name, this.functions[name].function]),
      ) as Record<FunctionName, IFunction>,
      stageName: STAGE_NAME,
      stageThrottle: STAGE_THROTTLE,
      binaryMediaTypes: BINARY_MEDIA_TYPES,
      allowedOrigins: config.allowedOrigins,
      logRetention: retention,
    });

    const stage = this.api.api.deploymentStage;
    if (config.waf.enabled) {
      this.webAcl = new ApiWebAcl(this, 'WebAcl', {
        stage,
        rateLimitPer5Minutes: config.waf.rateLimitPer5Minutes,
        metricPrefix: id,
      });
    } else {
      acknowledge(
        stage,
        'AwsSolutions-APIG3',
        'WAF is switched off in the deployment config (waf.enabled: false); throttling still applies.',
      );
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the API' });
    new CfnOutput(this, 'EnquiryEndpoint', {
      value: this.api.api.urlForPath('/enquiries'),
      description: 'Where website forms POST enquiries',
    });
  }
}

/** `enquiry` -> `EnquiryFunction`: stable construct ids, hence stable logical ids. */
function fnId(name: FunctionName): string {
  const pascal = name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
  return `${pascal}Function`;
}
