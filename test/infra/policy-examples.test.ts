import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../../infra/config.ts';
import { BACKUP_DAYS, POLICY_EXAMPLE_FILES, policyExamplePath } from '../support/policy-examples.ts';
import { type Synthesized, synthesize } from './synth.ts';

describe.each(POLICY_EXAMPLE_FILES)('the %s example deployment', (file) => {
  let synth: Synthesized;

  beforeAll(() => {
    // loadAppConfig is what `cdk synth -c config=<file>` runs, infra limits included.
    synth = synthesize(loadAppConfig(policyExamplePath(file)), { bundle: false });
  });

  it('synthesizes with nothing left for cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(synth.app).violations).toEqual([]);
  });

  it(`keeps ${BACKUP_DAYS[file]} days of point-in-time recovery`, () => {
    synth.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: {
        PointInTimeRecoveryEnabled: true,
        RecoveryPeriodInDays: BACKUP_DAYS[file],
      },
    });
  });
});
