/**
 * Hosts the staff console: its built files in a private S3 bucket behind CloudFront (Origin Access
 * Control, strict security headers, client routes answered with the app), its Cognito app client, and the
 * `config.json` written at deploy time that points one build at this stack's API and sign-in domain.
 */
import { AssetHashType, type CfnElement, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IUserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildConsole, CONSOLE_ROOT } from '../../console/build.ts';
import { acknowledge } from './acknowledge.ts';
import { addStaffConsoleClient } from './staff-user-pool.ts';

export interface StaffConsoleProps {
  /** The API stage URL the console calls, e.g. `https://abc.execute-api.eu-west-2.amazonaws.com/v1/`. */
  readonly apiUrl: string;
  /** That URL's origin, for the CSP's connect-src. */
  readonly apiOrigin: string;
  readonly userPool: IUserPool;
  /** The managed-login domain, e.g. `https://example-staff.auth.eu-west-2.amazoncognito.com`. */
  readonly signInUrl: string;
  /** The topics the Lists page offers. */
  readonly topics: readonly { readonly id: string; readonly label: string }[];
  /** `retention.backupDays`: the Person page says how long backups hold an erased person. */
  readonly backupDays: number;
  /** Of the deployment handler's log group. */
  readonly logRetention: RetentionDays;
}

export class StaffConsole extends Construct {
  public readonly bucket: Bucket;
  public readonly distribution: Distribution;
  /** `https://<distribution domain>`: the API admits it (CORS) on the staff routes. */
  public readonly origin: string;
  /** Where staff open the console: also the app client's callback and logout URL. */
  public readonly url: string;
  public readonly client: UserPoolClient;

  constructor(scope: Construct, id: string, props: StaffConsoleProps) {
    super(scope, id);

    this.bucket = new Bucket(this, 'Files', {
      // Private: only this distribution reads it, through Origin Access Control.
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Only built files, replaced on every deploy; the deployment below empties it when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Holds only the built console (HTML, CSS, JavaScript, config.json with public ids), no personal data; ' +
        'it is read only by CloudFront through Origin Access Control and written only by the deployment.',
    );

    const signIn = props.signInUrl;
    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Consent Desk staff console: strict CSP and security headers',
      securityHeadersBehavior: {
        // No inline script or style and no third-party origin: the console's own files, its API and the
        // sign-in domain only.
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            `connect-src 'self' ${props.apiOrigin} ${signIn}`,
            "frame-ancestors 'none'",
            "base-uri 'none'",
            `form-action 'self' ${signIn}`,
          ].join('; '),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        // Nothing about staff pages (or a person) leaks to another site through a referrer.
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Consent Desk staff console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // Client routes and unknown paths get the app (S3 answers 403 for a missing key without ListBucket).
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
    });
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'Staff work from wherever they are; sign-in (Cognito with an authenticator app) and the API decide ' +
        'access, and the files served hold no data.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'Serves only static files, which hold no data; every data request goes to the API, whose stage has its ' +
        'own WAF web ACL. A CloudFront web ACL would have to live in us-east-1 for no added protection.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR3',
      'Access logs would record only fetches of public static files; every read of personal data is ' +
        "recorded in the staff API's audit trail and its access logs.",
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'Served on the default *.cloudfront.net certificate, whose viewer TLS policy CloudFront fixes and ' +
        'does not let us raise; HTTPS is enforced (HTTP redirects) and HSTS is sent.',
    );

    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/`;
    this.client = addStaffConsoleClient(this, 'Client', { userPool: props.userPool, consoleUrl: this.url });

    const deployment = new BucketDeployment(this, 'Deployment', {
      sources: [
        Source.asset(CONSOLE_ROOT, {
          assetHashType: AssetHashType.OUTPUT,
          bundling: {
            // Never used: the console is built locally with esbuild (tryBundle always succeeds or throws).
            image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
            local: {
              tryBundle(outputDir) {
                buildConsole(outputDir);
                return true;
              },
            },
          },
        }),
        // Deploy-time values: one build serves every stack.
        Source.jsonData('config.json', {
          mode: 'cognito',
          apiBaseUrl: props.apiUrl,
          authority: `https://cognito-idp.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${props.userPool.userPoolId}`,
          domain: signIn,
          clientId: this.client.userPoolClientId,
          topics: props.topics.map((topic) => ({ id: topic.id, label: topic.label })),
          backupDays: props.backupDays,
        }),
      ],
      destinationBucket: this.bucket,
      // Browsers check for a new version on every load; files are small and CloudFront is invalidated below.
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      // Deleting the stack removes the files, so the bucket can go with it.
      retainOnDelete: false,
      memoryLimit: 256,
      logGroup: new LogGroup(this, 'DeploymentLogs', {
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    acknowledgeDeploymentHandler(deployment, this.bucket);
  }
}

/**
 * CDK's bucket-deployment handler is one function per stack, created by CDK itself; its findings are
 * acknowledged on its own resources only.
 */
function acknowledgeDeploymentHandler(deployment: BucketDeployment, target: Bucket): void {
  const stack = Stack.of(deployment);
  const handler = stack.node.children.find((child) =>
    child.node.id.startsWith('Custom::CDKBucketDeployment'),
  );
  if (!handler) throw new Error('The bucket deployment handler was not found');
  acknowledge(
    handler,
    'AwsSolutions-L1',
    "CDK's bucket-deployment handler: its runtime is chosen and updated by aws-cdk-lib, not by this project.",
  );
  const role = handler.node.tryFindChild('ServiceRole');
  if (!role) throw new Error('The bucket deployment handler has no service role');
  acknowledge(
    role,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK's bucket-deployment handler writes its own logs with the AWS managed basic execution policy.",
  );
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!policy) throw new Error('The bucket deployment role has no default policy');
  const bucket = target.node.defaultChild as CfnElement;
  const wildcards: Readonly<Record<string, string>> = {
    'Action::s3:GetObject*': 'reads the console build from the CDK assets bucket',
    'Action::s3:GetBucket*': 'reads the location of the CDK assets bucket and of the console bucket',
    'Action::s3:List*': 'lists the console bucket to remove files a new build no longer has',
    'Action::s3:Abort*': 'abandons a failed upload to the console bucket',
    'Action::s3:DeleteObject*': 'removes files a new build no longer has, and all of them with the stack',
    // The default bootstrap qualifier: the CDK assets bucket this stack's assets are uploaded to.
    'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*':
      'reads asset objects, whose keys are content hashes, from the CDK assets bucket',
    [`Resource::<${stack.getLogicalId(bucket)}.Arn>/*`]: "writes any file of the console's own bucket",
    // cloudfront:CreateInvalidation and GetInvalidation have no resource-level permissions for the handler.
    'Resource::*': 'invalidates the console distribution after a deploy (CloudFront invalidation actions)',
  };
  for (const [finding, why] of Object.entries(wildcards)) {
    acknowledge(policy, `AwsSolutions-IAM5[${finding}]`, `CDK's bucket-deployment handler ${why}.`);
  }
}
