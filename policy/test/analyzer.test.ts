// Runs the pack exactly as the Pulumi CLI does (`pulumi preview --policy-pack policy` starts
// @pulumi/pulumi's run-policy-pack on policy/) and talks to its analyzer server over gRPC.
import * as grpc from '@grpc/grpc-js';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { Struct } from 'google-protobuf/google/protobuf/struct_pb';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyzerClient } from '@pulumi/pulumi/proto/analyzer_grpc_pb';
import {
  AnalyzeRequest,
  AnalyzerResourceOptions,
  EnforcementLevel,
  type AnalyzeResponse,
  type AnalyzerInfo,
} from '@pulumi/pulumi/proto/analyzer_pb';
import { securePolicies } from '../policies';
import type { PolicyInputResource } from '../run';
import { object, resource, setEnv } from './mutate';
import { renderStack } from './rendered';

const policyDir = path.resolve(__dirname, '..');
const runPolicyPack = require.resolve('@pulumi/pulumi/cmd/run-policy-pack');

// The engine's marker for a value computed during the update (a CA bundle, an issuer URL ...).
const unknown = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

let server: ChildProcess | undefined;
let client: AnalyzerClient;

function startPack(): Promise<number> {
  return new Promise((resolve, reject) => {
    // The engine address is only used for logging; nothing listens there.
    const child = spawn(process.execPath, [runPolicyPack, '127.0.0.1:1', '.'], { cwd: policyDir });
    server = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const port = /^(\d+)\s*$/m.exec(stdout)?.[1];
      if (port) resolve(Number(port));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
  });
}

function call<T>(
  invoke: (callback: (error: grpc.ServiceError | null, response: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    invoke((error, response) => (error ? reject(error) : resolve(response))),
  );
}

/** Sends one resource as the engine does during a preview; answers `policy: message` lines. */
async function analyze(target: PolicyInputResource): Promise<string[]> {
  const request = new AnalyzeRequest()
    .setType(target.type)
    .setName(target.name)
    .setUrn(target.urn)
    .setOptions(new AnalyzerResourceOptions())
    .setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(target.props)) as never));
  const response = await call<AnalyzeResponse>((cb) => client.analyze(request, cb));
  return response.getDiagnosticsList().map((d) => `${d.getPolicyname()}: ${d.getMessage()}`);
}

let endStack: PolicyInputResource[] = [];

beforeAll(async () => {
  endStack = await renderStack('end');
  const port = await startPack();
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
  client?.close();
  server?.kill();
});

describe('the pack under the CLI runtime', () => {
  it('advertises every policy as mandatory with its remediation', async () => {
    const info = await call<AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb));
    expect(info.getName()).toBe('secure-workshop');
    const policies = info.getPoliciesList();
    expect(policies.map((p) => p.getName()).sort()).toEqual(securePolicies.map((p) => p.policy.name).sort());
    for (const policy of policies) expect(policy.getEnforcementlevel()).toBe(EnforcementLevel.MANDATORY);
  });

  it('reports a violation for a resource the engine sends', async () => {
    const api = structuredClone(object(endStack, 'Deployment', 'api'));
    setEnv(api, 'AUTH_MODE', 'none');
    expect(await analyze(api)).toEqual([expect.stringMatching(/^api-auth-enabled: [\s\S]*AUTH_MODE=none/)]);
  });

  it('judges a workload whose other env values are still unknown during a preview', async () => {
    const api = structuredClone(object(endStack, 'Deployment', 'api'));
    setEnv(api, 'AUTH_MODE', 'none');
    setEnv(api, 'JWT_ISSUER', unknown);
    expect(await analyze(api)).toEqual([expect.stringMatching(/^api-auth-enabled: [\s\S]*AUTH_MODE=none/)]);
  });

  it('judges a ConfigMap whose values are still unknown during a preview', async () => {
    const bundle = resource('kubernetes:core/v1:ConfigMap', 'bundle', {
      metadata: { name: 'ca', namespace: 'x' },
      data: { 'ca.crt': unknown, 'db.password': unknown },
    });
    expect(await analyze(bundle)).toEqual([
      expect.stringMatching(/^no-secret-literals: [\s\S]*"db.password" looks secret/),
    ]);
  });
});
