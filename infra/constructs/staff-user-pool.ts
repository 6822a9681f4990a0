/**
 * Who may sign in to the staff API: a Cognito user pool that only an administrator adds people to, with
 * a TOTP app as the required second factor, one group per staff role, and one app client for staff tools.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { STAFF_GROUP_DESCRIPTIONS, STAFF_GROUPS, type StaffGroup } from '../../shared/domain/staff-access.ts';
import { acknowledge } from './acknowledge.ts';

export interface StaffUserPoolProps {
  /** Deletion protection, and the pool kept when the stack is deleted. */
  readonly deletionProtection: boolean;
  /** The Plus feature plan with threat protection enforced; otherwise Essentials. */
  readonly threatProtection: boolean;
}

export class StaffUserPool extends Construct {
  public readonly userPool: UserPool;
  /** For staff tools: no secret, SRP sign-in only. */
  public readonly client: UserPoolClient;
  public readonly groups: Readonly<Record<StaffGroup, CfnUserPoolGroup>>;

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
  }
}
