/**
 * Who may sign in to the staff API: a Cognito user pool that only an administrator adds people to, with
 * a TOTP app as the required second factor, one group per staff role, an app client for staff tools, and
 * the managed-login domain where staff sign in to the console (its app client: `addStaffConsoleClient`).
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  CfnUserPoolGroup,
  FeaturePlan,
  type IUserPool,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { StaffConsoleConfig } from '../../shared/config/schema.ts';
import { STAFF_GROUP_DESCRIPTIONS, STAFF_GROUPS, type StaffGroup } from '../../shared/domain/staff-access.ts';
import { acknowledge } from './acknowledge.ts';

export interface StaffUserPoolProps {
  /** Deletion protection, and the pool kept when the stack is deleted. */
  readonly deletionProtection: boolean;
  /** The Plus feature plan with threat protection enforced; otherwise Essentials. */
  readonly threatProtection: boolean;
  /** The managed-login domain: a Cognito prefix (default `consent-desk-<account id>`) or your own domain. */
  readonly signIn?: StaffConsoleConfig;
}

export class StaffUserPool extends Construct {
  public readonly userPool: UserPool;
  /** For staff tools: no secret, SRP sign-in only. */
  public readonly client: UserPoolClient;
  public readonly groups: Readonly<Record<StaffGroup, CfnUserPoolGroup>>;
  /** Managed login (sign-in, new password, authenticator setup) for the staff console. */
  public readonly domain: UserPoolDomain;

  constructor(scope: Construct, id: string, props: StaffUserPoolProps) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      // Staff accounts are created by an administrator (admin-create-user), never by sign-up.
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true } },
      autoVerify: { email: true },
      mfa: Mfa.REQUIRED,
      // An authenticator app only: SMS would need an SNS role and can be intercepted; email MFA would make
      // the mailbox both the recovery channel and the second factor.
      mfaSecondFactor: { otp: true, sms: false, email: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      userInvitation: {
        emailSubject: 'Your Consent Desk staff account',
        emailBody:
          'Your Consent Desk staff user name is {username} and your temporary password is {####}. ' +
          'It expires in 3 days. At first sign-in you choose a new password and set up an authenticator app.',
      },
      featurePlan: props.threatProtection ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      ...(props.threatProtection
        ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION }
        : {}),
      deletionProtection: props.deletionProtection,
      removalPolicy: props.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    if (!props.threatProtection) {
      acknowledge(
        this.userPool,
        'AwsSolutions-COG8',
        'The Plus plan (threat protection) is priced per monthly active user; staff are a few people ' +
          'created by an administrator, with a 12-character password and a required TOTP second factor. ' +
          'Set staff.threatProtection: true in the config to switch it on.',
      );
    }

    this.client = this.userPool.addClient('StaffToolsClient', {
      userPoolClientName: 'staff-tools',
      // A public client (a browser or command-line tool) cannot keep a secret.
      generateSecret: false,
      // The password never leaves the tool (SRP); no plain-password or admin flows.
      authFlows: { userSrp: true },
      // No hosted UI or OAuth redirects: staff tools sign in through the Cognito API.
      disableOAuth: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      // A working day; after that, staff sign in again with their second factor.
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
      // Sign-in failures read the same whether or not the user exists.
      preventUserExistenceErrors: true,
    });

    const groups: Partial<Record<StaffGroup, CfnUserPoolGroup>> = {};
    for (const group of STAFF_GROUPS) {
      groups[group] = new CfnUserPoolGroup(this, `${group[0]?.toUpperCase()}${group.slice(1)}Group`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group,
        description: STAFF_GROUP_DESCRIPTIONS[group],
      });
    }
    this.groups = groups as Record<StaffGroup, CfnUserPoolGroup>;

    const signIn = props.signIn ?? {};
    this.domain = this.userPool.addDomain('SignInDomain', {
      ...(signIn.signInDomain
        ? {
            customDomain: {
              domainName: signIn.signInDomain.domainName,
              certificate: Certificate.fromCertificateArn(
                this,
                'SignInCertificate',
                signIn.signInDomain.certificateArn,
              ),
            },
          }
        : { cognitoDomain: { domainPrefix: signIn.signInDomainPrefix ?? `consent-desk-${Aws.ACCOUNT_ID}` } }),
      // The current managed login: password change and authenticator-app setup at first sign-in.
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
  }
}

/**
 * The staff console's app client: a browser app, so no secret; authorization code with PKCE through
 * managed login only, returning to the console's own URL. Created beside the console (which knows its
 * URL only once its CloudFront distribution exists), with managed login's default look for it.
 */
export function addStaffConsoleClient(
  scope: Construct,
  id: string,
  props: { readonly userPool: IUserPool; readonly consoleUrl: string },
): UserPoolClient {
  const client = new UserPoolClient(scope, id, {
    userPool: props.userPool,
    userPoolClientName: 'staff-console',
    // A public client: code in a browser cannot keep a secret; PKCE protects the code instead.
    generateSecret: false,
    // No password flows from the console itself: staff type their password into managed login only.
    authFlows: { userSrp: true },
    oAuth: {
      flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
      scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
      // Exactly the console: codes and sign-outs return nowhere else.
      callbackUrls: [props.consoleUrl],
      logoutUrls: [props.consoleUrl],
    },
    supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
    idTokenValidity: Duration.hours(1),
    accessTokenValidity: Duration.hours(1),
    // A working day; after that, staff sign in again with their second factor.
    refreshTokenValidity: Duration.hours(12),
    enableTokenRevocation: true,
    preventUserExistenceErrors: true,
  });
  new CfnManagedLoginBranding(scope, `${id}Branding`, {
    userPoolId: props.userPool.userPoolId,
    clientId: client.userPoolClientId,
    useCognitoProvidedValues: true,
  });
  return client;
}
