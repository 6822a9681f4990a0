/**
 * Everything that holds data or keys and must outlive any redeploy of the API: the table, the secrets and
 * the staff user pool. Deployed separately so the stateless stack can be replaced freely.
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table.ts';
import { type AppConfig, usesTurnstile } from '../../shared/config/schema.ts';
import { acknowledge } from '../constructs/acknowledge.ts';
import { StaffUserPool } from '../constructs/staff-user-pool.ts';

export interface StatefulStackProps extends StackProps {
  readonly config: AppConfig;
}

export class StatefulStack extends Stack {
  /** Its stream (`tableStreamArn`, new and old images) feeds the MailChimp sync. */
  public readonly table: Table;
  /** Key of the suppression-list email hashes. */
  public readonly emailHashKey: Secret;
  /** Key ring that signs unsubscribe, preferences and confirmation links (shared/domain/tokens.ts). */
  public readonly tokenSigningKey: Secret;
  /** Cloudflare Turnstile secret key; only when a form uses Turnstile. */
  public readonly turnstileSecret: Secret | undefined;
  public readonly mailchimpWebhookSecret: Secret;
  /** MailChimp API key of the sync function; only when `mailchimp` is configured. */
  public readonly mailchimpApiKey: Secret | undefined;
  /** Staff identities and their groups: the staff API's Cognito authorizer trusts this pool. */
  public readonly staff: StaffUserPool;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_DEFINITION.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_DEFINITION.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      // Encrypted with the AWS managed key aws/dynamodb: every use is recorded in CloudTrail, and there is
      // no key policy or key to administer. A customer managed key would add cost and admin without
      // changing who can read the data; IAM decides that.
      encryption: TableEncryption.AWS_MANAGED,
      // Continuous backups for `retention.backupDays` (35 by default); erased items stay in them until
      // they age out, so a privacy policy promising a shorter backup window sets it here.
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: true,
        recoveryPeriodInDays: config.retention.backupDays,
      },
      deletionProtection: config.deletionProtection,
      timeToLiveAttribute: TABLE_DEFINITION.timeToLiveAttribute,
      stream: StreamViewType[TABLE_DEFINITION.stream],
      // Consent records are evidence: deleting the stack must never delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE_DEFINITION.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    // Secrets are encrypted with the AWS managed key aws/secretsmanager. This SecretString is the raw key.
    // The email hash key is never rotated: every suppression-list hash depends on it.
    this.emailHashKey = new Secret(this, 'EmailHashKey', {
      description: 'Consent Desk: key of the suppression-list email hashes. Never rotate or delete.',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      // Losing the key would make every suppression hash unmatchable: unsubscribed people could be re-added.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.emailHashKey,
      'AwsSolutions-SMG4',
      'Must never rotate: suppression-list entries are keyed hashes of email addresses, and a new key ' +
        'would stop them matching, letting unsubscribed or erased people be re-added.',
    );

    // A key ring, {"current":"k1","k1":"<key>"}, so a later rotation can keep the previous key valid.
    this.tokenSigningKey = new Secret(this, 'TokenSigningKey', {
      description: 'Consent Desk: key ring that signs unsubscribe, preferences and confirmation links.',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ current: 'k1' }),
        generateStringKey: 'k1',
        passwordLength: 64,
        excludePunctuation: true,
      },
      // Links in emails already sent must keep working after a redeploy.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.tokenSigningKey,
      'AwsSolutions-SMG4',
      'Rotated by hand, at most yearly: add a new key id with a fresh key, point "current" at it and keep ' +
        'the previous key, so links already sent keep working. A single-value Secrets Manager rotation ' +
        'would drop the previous key and break them.',
    );

    // {"urlKey":"<key>"}: the secret part of the webhook URL registered with MailChimp, which does not
    // sign its deliveries. A signingKey may be added for a signing relay in front.
    this.mailchimpWebhookSecret = new Secret(this, 'MailchimpWebhookSecret', {
      description: 'Consent Desk: key in the MailChimp webhook URL (and optional signing key).',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'urlKey',
        passwordLength: 43,
        excludePunctuation: true,
      },
    });
    acknowledge(
      this.mailchimpWebhookSecret,
      'AwsSolutions-SMG4',
      'Rotated together with the webhook registered in MailChimp (the key is part of its URL): store a ' +
        'new urlKey, then re-register the webhook with the new URL.',
    );
    new CfnOutput(this, 'MailchimpWebhookSecretArn', {
      value: this.mailchimpWebhookSecret.secretArn,
      description: 'Read urlKey from here to register the MailChimp webhook URL',
    });

    this.staff = new StaffUserPool(this, 'Staff', {
      deletionProtection: config.deletionProtection,
      threatProtection: config.staff.threatProtection,
      signIn: config.console,
    });
    new CfnOutput(this, 'StaffUserPoolId', {
      value: this.staff.userPool.userPoolId,
      description: 'Create staff users here (aws cognito-idp admin-create-user --user-pool-id ...)',
    });
    new CfnOutput(this, 'StaffUserPoolClientId', {
      value: this.staff.client.userPoolClientId,
      description: 'App client id for staff tools (SRP sign-in)',
    });
    new CfnOutput(this, 'StaffSignInDomain', {
      value: this.staff.domain.baseUrl(),
      description: 'Managed login, where staff sign in to the console',
    });

    if (usesTurnstile(config)) {
      // Deployed with a random value, so Turnstile checks fail closed until ops stores the real secret
      // key from the Cloudflare dashboard once, after the first deploy:
      //   aws secretsmanager put-secret-value --secret-id <TurnstileSecretArn> --secret-string <key>
      this.turnstileSecret = new Secret(this, 'TurnstileSecret', {
        description: 'Consent Desk: Cloudflare Turnstile secret key (set by ops after deploy).',
      });
      acknowledge(
        this.turnstileSecret,
        'AwsSolutions-SMG4',
        'Issued by Cloudflare, not by AWS: it is rotated in the Cloudflare dashboard and stored here.',
      );
      new CfnOutput(this, 'TurnstileSecretArn', {
        value: this.turnstileSecret.secretArn,
        description: 'Store the Turnstile secret key here after deploy (put-secret-value)',
      });
    }

    if (config.mailchimp) {
      // Deployed with a random value, so the sync fails (and retries) until ops stores the real key once:
      //   aws secretsmanager put-secret-value --secret-id <MailchimpApiKeyArn> --secret-string <key>
      this.mailchimpApiKey = new Secret(this, 'MailchimpApiKey', {
        description: 'Consent Desk: MailChimp API key of the audience sync (set by ops after deploy).',
      });
      acknowledge(
        this.mailchimpApiKey,
        'AwsSolutions-SMG4',
        'Issued by MailChimp, not by AWS: API keys are created and rotated in MailChimp and stored here.',
      );
      new CfnOutput(this, 'MailchimpApiKeyArn', {
        value: this.mailchimpApiKey.secretArn,
        description: 'Store the MailChimp API key here after deploy (put-secret-value)',
      });
    }
  }
}
