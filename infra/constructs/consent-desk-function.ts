/**
 * Every Consent Desk function: runtime, architecture, bundling, log group and role pinned in one place,
 * and each table or secret bound together with the narrowest grant that lets the function use it.
 */
import { resolve } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RuntimeConfig } from '../../shared/config/schema.ts';
import { REPO_ROOT } from '../config.ts';
import type { FunctionSpec } from '../routes.ts';

const NODE_HTTP_SHIM = resolve(REPO_ROOT, 'infra/bundling/node-http.cjs');
const CREDENTIALS_FROM_ENV = resolve(REPO_ROOT, 'infra/bundling/credentials-from-env.mjs');
const NO_EVENT_STREAMS = resolve(REPO_ROOT, 'infra/bundling/no-event-streams.mjs');

/** Item-level actions only: anything broader has to be added here on purpose. */
export type DynamoDbAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem';

export interface TableAccess {
  readonly actions: readonly DynamoDbAction[];
  /** Indexes the function queries; the same actions are granted on exactly these index ARNs. */
  readonly indexes?: readonly string[];
}

export interface PartitionAccess {
  readonly actions: readonly DynamoDbAction[];
  /** The partition key of every item the actions touch must start with one of these, e.g. `AUDIT#`. */
  readonly partitionKeyPrefixes: readonly string[];
  /** Indexes the actions may also use; their partition keys must start with the same prefixes. */
  readonly indexes?: readonly string[];
}

export interface ConsentDeskFunctionProps {
  readonly spec: FunctionSpec;
  /** The runtime part of the config file, compiled into the bundle. */
  readonly runtimeConfig: RuntimeConfig;
  readonly logRetention: RetentionDays;
  /** Merged over the defaults every function gets. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Caps concurrent executions; unset, the function shares the account's unreserved pool. */
  readonly reservedConcurrentExecutions?: number;
}

export class ConsentDeskFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;
  private boundTable: ITable | undefined;

  constructor(scope: Construct, id: string, props: ConsentDeskFunctionProps) {
    super(scope, id);
    const { spec } = props;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Logs hold nothing worth keeping once the function is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Consent Desk: ${spec.description}`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: resolve(REPO_ROOT, spec.entry),
      handler: 'handler',
      description: spec.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memorySize,
      timeout: Duration.seconds(spec.timeoutSeconds),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: resolve(REPO_ROOT, 'package-lock.json'),
      environment: {
        MAIL_TRANSPORT: 'ses',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        // The map ships beside the bundle but Node does not load it (no --enable-source-maps, which parses it
        // at every cold start): a logged error's stack is mapped on first use (shared/stack-trace.ts).
        sourceMap: true,
        // The mappings are all a stack trace needs; embedded sources would only make the map bigger.
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        // The SDK is bundled on purpose: its version is pinned by our lockfile and tree-shaken per function.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        // Inlined at build time, not passed as an env var: Lambda caps all env vars at 4 KB and statement
        // texts alone can exceed that. Local mode sets the same variable at run time.
        define: { 'process.env.APP_CONFIG': JSON.stringify(JSON.stringify(props.runtimeConfig)) },
        esbuildArgs: {
          // The SDK imports node:http statically; see infra/bundling/node-http.cjs.
          '--alias:http': NODE_HTTP_SHIM,
          '--alias:node:http': NODE_HTTP_SHIM,
          // Lambda's credentials are in the environment; see infra/bundling/credentials-from-env.mjs.
          '--alias:@aws-sdk/credential-provider-node': CREDENTIALS_FROM_ENV,
          // No client we use has event-stream operations; see infra/bundling/no-event-streams.mjs.
          '--alias:@smithy/core/event-streams': NO_EVENT_STREAMS,
        },
      },
    });
  }

  /** Sets TABLE_NAME and grants exactly `access.actions`, on the table and on the named indexes only. */
  public bindTable(table: ITable, access: TableAccess): this {
    if (this.boundTable && this.boundTable !== table) throw new Error('A function binds one table');
    this.boundTable = table;
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    const indexArns = (access.indexes ?? []).map((index) => `${table.tableArn}/index/${index}`);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...new Set(access.actions)],
        resources: [table.tableArn, ...indexArns],
      }),
    );
    return this;
  }

  /**
   * Grants `access.actions` on the table, for items under the given partition key prefixes only (the
   * `dynamodb:LeadingKeys` condition key). Sets TABLE_NAME if bindTable has not.
   */
  public bindTablePartitions(table: ITable, access: PartitionAccess): this {
    if (this.boundTable && this.boundTable !== table) throw new Error('A function binds one table');
    if (!this.boundTable) this.function.addEnvironment('TABLE_NAME', table.tableName);
    this.boundTable = table;
    const prefixes = access.partitionKeyPrefixes;
    if (prefixes.length === 0 || prefixes.some((prefix) => prefix === '' || /[*?]/.test(prefix)))
      throw new Error('Partition key prefixes must be non-empty and free of IAM wildcards');
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...new Set(access.actions)],
        resources: [
          table.tableArn,
          ...(access.indexes ?? []).map((index) => `${table.tableArn}/index/${index}`),
        ],
        // ForAllValues: every partition key in the request must match. It would also pass a request with no
        // key at all (a Scan), which is why only item actions, which always name their key, are allowed here.
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) },
        },
      }),
    );
    return this;
  }

  /** Passes the secret's ARN in `envVar` and lets the function read that one secret's value. */
  public bindSecret(secret: ISecret, envVar: string): this {
    this.function.addEnvironment(envVar, secret.secretArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretArn],
      }),
    );
    return this;
  }

  /**
   * Lets the function send email from `fromAddress` only. SES authorizes both the address identity and
   * its domain identity (whichever is verified), so both ARNs are listed; the condition pins the sender.
   */
  public bindEmailSender(fromAddress: string): this {
    const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
    const identityArn = (identity: string) =>
      Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: identity });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        // One IAM action covers SES v1 SendEmail and SES v2 SendEmail.
        actions: ['ses:SendEmail'],
        resources: [identityArn(fromAddress), identityArn(domain)],
        conditions: { StringEquals: { 'ses:FromAddress': fromAddress } },
      }),
    );
    return this;
  }
}
