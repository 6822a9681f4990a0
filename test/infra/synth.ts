/** Builds the CDK app the way `cdk synth` does (cdk.json's feature flags), from a config object. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type ConsentDeskApp } from '../../infra/app.ts';
import { loadAppConfig, REPO_ROOT, resolveConfigPath } from '../../infra/config.ts';
import { type AppConfig, parseAppConfig } from '../../shared/config/schema.ts';

const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/** The example config file, as `cdk synth` reads it by default. */
export function exampleConfig(): AppConfig {
  return loadAppConfig(resolveConfigPath(undefined, {}));
}

/** The example config changed by `edit`, then validated again like a real file. */
export function configWith(edit: (raw: Record<string, unknown>) => void): AppConfig {
  const raw = JSON.parse(readFileSync(join(REPO_ROOT, 'consent-desk.config.json'), 'utf8'));
  edit(raw);
  return parseAppConfig(raw);
}

export interface Synthesized extends ConsentDeskApp {
  readonly outdir: string;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

/**
 * `bundle: false` skips esbuild (the function code is not inspected), which keeps most test files fast;
 * the cdk-nag checks still run inside synth either way.
 */
export function synthesize(config: AppConfig, { bundle }: { bundle: boolean }): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'consent-desk-synth-'));
  const context = {
    ...cdkJson.context,
    // As the CLI sets it: resources carry their construct path, which the tests find them by.
    'aws:cdk:enable-path-metadata': true,
    ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
  };
  const built = buildApp(config, { outdir, context });
  return {
    ...built,
    outdir,
    statefulTemplate: Template.fromStack(built.stateful),
    statelessTemplate: Template.fromStack(built.stateless),
  };
}

export interface StatementSummary {
  readonly actions: string[];
  readonly resources: unknown[];
  readonly condition?: unknown;
}

/** Every statement of the inline policies attached to the role with this logical id, actions sorted. */
export function roleStatements(template: Template, roleLogicalId: string): StatementSummary[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleLogicalId }] },
  });
  return Object.values(policies).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]).map((statement) => {
      if (statement.Effect !== 'Allow') throw new Error(`unexpected ${String(statement.Effect)} statement`);
      return {
        actions: [statement.Action].flat().map(String).sort(),
        resources: [statement.Resource].flat(),
        ...(statement.Condition ? { condition: statement.Condition } : {}),
      };
    }),
  );
}

/** All statements of all IAM policies in a template. */
export function allStatements(template: Template): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement,
  );
}

/**
 * Follows a weak cross-stack reference (`Fn::GetStackOutput`) to the value the producing stack outputs,
 * so tests can check which resource a grant really points at.
 */
export function followReference(value: unknown, producer: Template): unknown {
  const reference = (value as { 'Fn::GetStackOutput'?: { OutputName: string } })['Fn::GetStackOutput'];
  if (!reference) return value;
  const outputs = producer.toJSON().Outputs as Record<string, { Value: unknown }>;
  const output = outputs[reference.OutputName];
  if (!output) throw new Error(`the producer has no output ${reference.OutputName}`);
  return output.Value;
}

export function logicalIdOf(template: Template, type: string, pathSuffix: string): string {
  const ids = Object.entries(template.findResources(type))
    .filter(([, resource]) => String(resource.Metadata?.['aws:cdk:path']).endsWith(pathSuffix))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} at */${pathSuffix}, found ${ids.length}`);
  return ids[0] as string;
}
