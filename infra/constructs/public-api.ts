/**
 * The REST API (REST rather than HTTP API so WAF can attach): one Lambda proxy integration per route in
 * ROUTES, stage and per-route throttling, CORS for our own sites, access logs without personal data, and
 * the staff user pool's Cognito authorizer on every staff route.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  type MethodDeploymentOptions,
  MethodLoggingLevel,
  type Resource,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  CORS_ALLOW_HEADERS,
  CORS_MAX_AGE_SECONDS,
  type FunctionName,
  type RouteSpec,
  STAFF_CORS_ALLOW_HEADERS,
} from '../routes.ts';
import { acknowledge } from './acknowledge.ts';

export interface PublicApiProps {
  readonly routes: readonly RouteSpec[];
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
  readonly stageName: string;
  readonly stageThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly binaryMediaTypes: readonly string[];
  /** Origins whose pages may call the API from a browser (CORS). */
  readonly allowedOrigins: readonly string[];
  /** Origins that may also call the staff routes (the staff console). */
  readonly staffAllowedOrigins?: readonly string[];
  readonly logRetention: RetentionDays;
  /** Whose ID tokens the staff routes accept; required as soon as there is a staff route. */
  readonly staffUserPool?: IUserPool;
}

/**
 * One JSON line per request. Deliberately absent: the path with its query string (tokens), bodies,
 * source IPs and user agents: all personal data or secrets.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: AccessLogField.contextRequestId(),
  requestTime: AccessLogField.contextRequestTime(),
  httpMethod: AccessLogField.contextHttpMethod(),
  resourcePath: AccessLogField.contextResourcePath(),
  status: AccessLogField.contextStatus(),
  responseLength: AccessLogField.contextResponseLength(),
  responseLatency: AccessLogField.contextResponseLatency(),
  integrationLatency: AccessLogField.contextIntegrationLatency(),
  integrationStatus: AccessLogField.contextIntegrationStatus(),
  errorType: AccessLogField.contextErrorResponseType(),
  wafResponseCode: AccessLogField.contextWafResponseCode(),
} as const;

const PUBLIC_ROUTE_REASON =
  'Public website form; protected by WAF, throttling, honeypot and optional Turnstile.';

export class PublicApi extends Construct {
  public readonly api: RestApi;
  public readonly accessLogs: LogGroup;
  /** Only when there are staff routes. */
  public readonly staffAuthorizer: CognitoUserPoolsAuthorizer | undefined;

  constructor(scope: Construct, id: string, props: PublicApiProps) {
    super(scope, id);

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const methodOptions: Record<string, MethodDeploymentOptions> = {};
    for (const route of props.routes) {
      methodOptions[`${route.path}/${route.method}`] = {
        throttlingRateLimit: route.throttle.rateLimit,
        throttlingBurstLimit: route.throttle.burstLimit,
      };
    }

    this.api = new RestApi(this, 'Api', {
      restApiName: Stack.of(this).stackName,
      description: 'Consent Desk public API',
      // Regional, not edge-optimised: WAF's per-IP rate rule must see the visitor's address, not CloudFront's.
      endpointTypes: [EndpointType.REGIONAL],
      binaryMediaTypes: [...props.binaryMediaTypes],
      // No account-wide CloudWatch role: execution logging is off (see the stage acknowledgement).
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.stageThrottle.rateLimit,
        throttlingBurstLimit: props.stageThrottle.burstLimit,
        methodOptions,
        loggingLevel: MethodLoggingLevel.OFF,
        // Never log request or response bodies.
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // The construct's own stack output duplicates the stack's ApiUrl output.
    this.api.node.tryRemoveChild('Endpoint');

    acknowledge(
      this.api,
      'AwsSolutions-APIG2',
      'Form bodies are validated in the function: urlencoded and multipart bodies cannot be validated ' +
        'by API Gateway models.',
    );
    acknowledge(
      this.api.deploymentStage,
      'AwsSolutions-APIG6',
      'Execution logging needs an account-wide API Gateway CloudWatch role this stack would take over, ' +
        'and writes to a log group it cannot give a retention; JSON access logs record every request.',
    );

    const staffRoutes = props.routes.filter((route) => route.access === 'staff');
    if (staffRoutes.length > 0 && !props.staffUserPool) {
      // Fail closed: a staff route must never be deployed without its authorizer.
      const [first] = staffRoutes;
      throw new Error(`${first?.method} ${first?.path} is a staff route, but no staff user pool was given`);
    }
    // The pool's ID tokens in `Authorization`, checked before the function runs; the function then checks
    // the route's groups (shared/http/staff-auth.ts).
    this.staffAuthorizer = props.staffUserPool
      ? new CognitoUserPoolsAuthorizer(this, 'StaffAuthorizer', {
          cognitoUserPools: [props.staffUserPool],
          identitySource: IdentitySource.header('Authorization'),
        })
      : undefined;

    const resources = new Map<Resource, { methods: Set<string>; staff: boolean }>();
    for (const route of props.routes) {
      const resource = this.api.root.resourceForPath(route.path);
      const integration = new LambdaIntegration(props.functions[route.function], {
        proxy: true,
        allowTestInvoke: false,
      });
      if (route.access === 'staff') {
        resource.addMethod(route.method, integration, {
          authorizationType: AuthorizationType.COGNITO,
          authorizer: this.staffAuthorizer,
        });
      } else {
        const method = resource.addMethod(route.method, integration, {
          authorizationType: AuthorizationType.NONE,
        });
        acknowledge(method, 'AwsSolutions-APIG4', PUBLIC_ROUTE_REASON);
        acknowledge(method, 'AwsSolutions-COG4', PUBLIC_ROUTE_REASON);
      }
      const seen = resources.get(resource) ?? { methods: new Set<string>(), staff: false };
      seen.methods.add(route.method);
      seen.staff ||= route.access === 'staff';
      resources.set(resource, seen);
    }

    const staffOrigins = props.staffAllowedOrigins ?? [];
    if (props.allowedOrigins.length > 0 || staffOrigins.length > 0) {
      for (const [resource, { methods, staff }] of resources) {
        const origins = [...props.allowedOrigins, ...(staff ? staffOrigins : [])];
        if (origins.length === 0) continue;
        resource.addCorsPreflight({
          allowOrigins: origins,
          allowMethods: [...methods, 'OPTIONS'],
          allowHeaders: [...(staff ? STAFF_CORS_ALLOW_HEADERS : CORS_ALLOW_HEADERS)],
          maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
        });
      }
      if (this.staffAuthorizer) {
        // The authorizer answers 401 (no or bad token) and 403 itself, before any function could add CORS
        // headers; without them a browser-based staff tool could not tell "sign in again" from a network
        // error. The caller's origin is echoed: these bodies are API Gateway's fixed messages, and no
        // credentials mode is allowed, so no other origin learns anything from them.
        const refusals = {
          Unauthorized: ResponseType.UNAUTHORIZED,
          AccessDenied: ResponseType.ACCESS_DENIED,
        };
        for (const [name, type] of Object.entries(refusals)) {
          this.api.addGatewayResponse(`${name}Response`, {
            type,
            responseHeaders: {
              'Access-Control-Allow-Origin': 'method.request.header.Origin',
              Vary: "'Origin'",
            },
          });
        }
      }
    }
  }
}
