/**
 * The WAF in front of the public API: a per-IP rate limit plus AWS's managed rules for common exploits
 * and known bad inputs. It sees every request before API Gateway throttling or a function does.
 */
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ApiWebAclProps {
  readonly stage: Stage;
  /** Requests one IP may make in 5 minutes before WAF blocks it. */
  readonly rateLimitPer5Minutes: number;
  /** Prefix of the CloudWatch metric names. */
  readonly metricPrefix: string;
}

export class ApiWebAcl extends Construct {
  public readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiWebAclProps) {
    super(scope, id);
    const visibility = (name: string): CfnWebACL.VisibilityConfigProperty => ({
      metricName: `${props.metricPrefix}-${name}`,
      cloudWatchMetricsEnabled: true,
      // Sampled requests would keep visitors' IPs and headers in the console: personal data we don't need.
      sampledRequestsEnabled: false,
    });
    const managed = (
      priority: number,
      name: string,
      ruleActionOverrides?: CfnWebACL.RuleActionOverrideProperty[],
    ): CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ruleActionOverrides } },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('WebAcl'),
      rules: [
        {
          name: 'RatePerIp',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.rateLimitPer5Minutes,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility('RatePerIp'),
        },
        // SizeRestrictions_BODY blocks bodies over 8 KB; forms may send up to 16 KiB, which the function
        // enforces itself (413), so that one rule only counts.
        managed(1, 'AWSManagedRulesCommonRuleSet', [
          { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
        ]),
        managed(2, 'AWSManagedRulesKnownBadInputsRuleSet'),
      ],
    });

    new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
