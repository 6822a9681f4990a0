import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges a cdk-nag AwsSolutions finding on the construct's own CloudFormation resource, the
 * narrowest scope there is, so the acknowledgement can never cover a resource added beside it later.
 */
export function acknowledge(construct: IConstruct, rule: `AwsSolutions-${string}`, reason: string): void {
  const resource = construct.node.defaultChild;
  if (!resource)
    throw new Error(`${construct.node.path} has no CloudFormation resource to acknowledge ${rule} on`);
  Validations.of(resource).acknowledge({ id: rule, reason });
}
