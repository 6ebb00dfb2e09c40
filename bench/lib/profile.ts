// Where a server's CPU time goes: self time of a V8 .cpuprofile grouped by package or source file.
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  where: string;
  percent: number;
}

/** `node_modules/<pkg>` for dependencies, the repo path for our code, `(node:<module>)` for Node, or V8's tags. */
export function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '' && functionName.startsWith('(')) return functionName;
  if (url === '') return functionName === '' ? '(anonymous native)' : `native ${functionName}`;
  if (url.startsWith('node:')) return `(${url})`;
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  const ours = /\/((?:apps|bench|test-support)\/.*)$/.exec(url);
  return ours?.[1] ?? url;
}

/** Shares of busy time, leaving out the first `skipSeconds` (start-up: module loading, compilation). */
export async function summarizeProfile(file: string, skipSeconds: number, top = 15): Promise<ProfileShare[]> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let all = 0;
  let elapsed = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const micros = profile.timeDeltas[index] ?? 0;
    elapsed += micros;
    if (!node || elapsed < skipSeconds * 1e6) return;
    const category = categoryOf(node.callFrame);
    // Shares of busy time: waiting for the network is not a cost.
    if (category === '(idle)') return;
    totals.set(category, (totals.get(category) ?? 0) + micros);
    all += micros;
  });
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, micros]) => ({ where, percent: (micros / all) * 100 }));
}
