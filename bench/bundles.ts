/**
 * The function bundles exactly as `cdk synth` builds them: the CDK app is synthesized (NodejsFunction runs
 * esbuild with the project's bundling settings) and each function's asset is found from its template.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { buildApp } from '../infra/app.ts';
import { loadAppConfig, REPO_ROOT, resolveConfigPath } from '../infra/config.ts';
import type { ConsentDeskFunction } from '../infra/constructs/consent-desk-function.ts';
import type { FunctionName } from '../infra/routes.ts';
import type { StatelessStack } from '../infra/stacks/stateless-stack.ts';

export interface FunctionBundle {
  readonly name: FunctionName;
  /** The built entry file (index.mjs). */
  readonly file: string;
  readonly bundleBytes: number;
  readonly gzipBytes: number;
  /** The function's plain-string environment variables as deployed (references to other stacks left out). */
  readonly environment: Record<string, string>;
}

interface FunctionResource {
  Properties: { Code: { S3Key: string }; Environment?: { Variables?: Record<string, unknown> } };
}

/** Synthesizes the app from the config file, with cdk.json's context, into `outdir`. */
export function synthesizeBundles(outdir: string): FunctionBundle[] {
  const { context } = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const { app, stateless } = buildApp(loadAppConfig(resolveConfigPath(undefined, {})), { outdir, context });
  app.synth();
  return locateBundles(stateless, outdir);
}

/** Finds each function's built asset in an already synthesized `outdir`. */
export function locateBundles(stateless: StatelessStack, outdir: string): FunctionBundle[] {
  const template = JSON.parse(readFileSync(join(outdir, stateless.templateFile), 'utf8')) as {
    Resources: Record<string, FunctionResource>;
  };
  const deployed = Object.entries(stateless.functions).filter(
    (entry): entry is [FunctionName, ConsentDeskFunction] => entry[1] !== undefined,
  );
  return deployed.map(([name, construct]) => {
    const logicalId = stateless.getLogicalId(construct.function.node.defaultChild as CfnFunction);
    const resource = template.Resources[logicalId];
    if (!resource) throw new Error(`No resource ${logicalId} in ${stateless.templateFile}`);
    const assetHash = resource.Properties.Code.S3Key.replace(/\.zip$/, '');
    const file = join(outdir, `asset.${assetHash}`, 'index.mjs');
    const code = readFileSync(file);
    const variables = resource.Properties.Environment?.Variables ?? {};
    const environment = Object.fromEntries(
      Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    return { name, file, bundleBytes: code.byteLength, gzipBytes: gzipSync(code).byteLength, environment };
  });
}
