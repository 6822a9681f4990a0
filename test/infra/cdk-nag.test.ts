import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Acknowledgment, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addConsentDesk } from '../../infra/app.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { configWith, exampleConfig, synthesize } from './synth.ts';

const context = {
  ...JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context,
  'aws:cdk:bundling-stacks': [],
};

/** Turnstile on and WAF off: the config that needs every conditional acknowledgement. */
const everyAcknowledgement = () =>
  configWith((raw) => {
    (raw.forms as { turnstile?: boolean }[])[0] = { ...(raw.forms as object[])[0], turnstile: true };
    raw.waf = { enabled: false };
  });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cdk-nag AwsSolutions checks', () => {
  it('leave nothing unacknowledged in the example deployment', () => {
    // synthesize() runs the synth, which throws on any finding; the direct check makes that explicit.
    const { app } = synthesize(exampleConfig(), { bundle: false });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('fail the synth on every finding whose acknowledgement is missing, and only those', () => {
    const acknowledged: { path: string; rule: string; reason: string }[] = [];
    const of = Validations.of;
    // Record acknowledgements instead of applying them, as if each one had been deleted from the code.
    vi.spyOn(Validations, 'of').mockImplementation((scope) => {
      const validations = of.call(Validations, scope);
      return Object.assign(Object.create(validations), {
        acknowledge: (...rules: Acknowledgment[]) => {
          for (const { id, reason } of rules) acknowledged.push({ path: scope.node.path, rule: id, reason });
        },
      });
    });
    const app = new App({ context, outdir: mkdtempSync(join(tmpdir(), 'consent-desk-nag-')) });
    addConsentDesk(app, everyAcknowledgement());

    const findings = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((violation) =>
        violation.violatingResources.map((resource) => `${violation.ruleName} @ ${resource.constructPath}`),
      );
    expect(findings.sort()).toEqual(acknowledged.map(({ path, rule }) => `${rule} @ ${path}`).sort());
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);
    let synthError: unknown;
    try {
      app.synth();
    } catch (error) {
      synthError = error;
    }
    expect(synthError).toBeInstanceOf(Error);
    for (const { rule } of acknowledged)
      expect(String(synthError)).toContain(`Acknowledge with 'AwsSolutions::${rule}'`);
  });

  it('pass with the acknowledgements in place for that same config', () => {
    const { app } = synthesize(everyAcknowledgement(), { bundle: false });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
