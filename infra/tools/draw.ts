import { type ArchEdge, type ArchGraph, type ArchNode, buildGraph, type NodeRole } from './graph';
import { type SynthResult, wrapWords } from './model';

const BOX_W = 190;
const BOX_H = 54;
const GAP_X = 250;
const GAP_Y = 34;
const MARGIN = 30;
const BAND_HEADER = 30;
const BAND_PAD = 18;
const TITLE_H = 64;
const CHAR_W = 6.4;

const ROLE_ORDER: NodeRole[] = ['client', 'gateway', 'service', 'firewall', 'database', 'job', 'monitoring'];
const ROLE_FILL: Record<NodeRole, string> = {
  client: '#ffffff',
  gateway: '#fde9d2',
  service: '#e3eefa',
  firewall: '#f9d9d6',
  database: '#dff2e3',
  job: '#eeeeee',
  monitoring: '#ece1f3',
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function edgeLabel(edge: ArchEdge): string {
  const tls = edge.tls === 'none' ? 'no TLS' : edge.tls;
  const auth = edge.auth === 'none' ? 'no auth' : edge.auth;
  return edge.metrics ? `metrics · ${edge.protocol} · ${tls}` : `${edge.protocol} · ${tls} · ${auth}`;
}

function edgeStyle(edge: ArchEdge): { color: string; width: number; dash: string } {
  if (edge.metrics) return { color: '#7f8c8d', width: 1.2, dash: '2 3' };
  if (edge.tls === 'none') return { color: '#c0392b', width: 1.6, dash: '6 4' };
  if (edge.tls === 'mTLS') return { color: '#196f3d', width: 2.6, dash: '' };
  return { color: '#27ae60', width: 1.8, dash: '' };
}

/** Longest path from a source over data edges, so callers sit left of what they call. */
function layers(graph: ArchGraph): Map<string, number> {
  const layer = new Map(graph.nodes.map((node) => [node.id, 0]));
  const data = graph.edges.filter((edge) => !edge.metrics && edge.from !== edge.to);
  for (let round = 0; round < graph.nodes.length; round += 1) {
    let changed = false;
    for (const edge of data) {
      const next = (layer.get(edge.from) ?? 0) + 1;
      if (next > (layer.get(edge.to) ?? 0) && next < graph.nodes.length) {
        layer.set(edge.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  // A pure caller (reconciler, migrate job) sits just left of its nearest callee, not in column 0.
  for (const node of graph.nodes) {
    if (data.some((edge) => edge.to === node.id)) continue;
    const targets = data.filter((edge) => edge.from === node.id).map((edge) => layer.get(edge.to) ?? 0);
    if (targets.length > 0) layer.set(node.id, Math.max(0, Math.min(...targets) - 1));
  }
  return layer;
}

function namespaceOrder(a: string, b: string): number {
  const rank = (ns: string): string => (ns === '' ? '0' : ns.startsWith('workshop-') ? `1${ns}` : `2${ns}`);
  return rank(a).localeCompare(rank(b));
}

interface Placed {
  node: ArchNode;
  x: number;
  y: number;
}

interface Band {
  namespace: string;
  top: number;
  height: number;
}

function layout(graph: ArchGraph): {
  placed: Map<string, Placed>;
  bands: Band[];
  width: number;
  height: number;
} {
  const layerOf = layers(graph);
  const columns = Math.max(1, ...[...layerOf.values()].map((l) => l + 1));
  const namespaces = [...new Set(graph.nodes.map((node) => node.namespace))].sort(namespaceOrder);
  const placed = new Map<string, Placed>();
  const bands: Band[] = [];
  let top = TITLE_H;
  for (const namespace of namespaces) {
    const members = graph.nodes
      .filter((node) => node.namespace === namespace)
      .sort(
        (a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || a.name.localeCompare(b.name),
      );
    const rowsUsed = new Map<number, number>();
    let rows = 1;
    for (const node of members) {
      const column = layerOf.get(node.id) ?? 0;
      const row = rowsUsed.get(column) ?? 0;
      rowsUsed.set(column, row + 1);
      rows = Math.max(rows, row + 1);
      placed.set(node.id, {
        node,
        x: MARGIN + BAND_PAD + column * (BOX_W + GAP_X),
        y: top + BAND_HEADER + row * (BOX_H + GAP_Y),
      });
    }
    const height = BAND_HEADER + rows * BOX_H + (rows - 1) * GAP_Y + BAND_PAD;
    bands.push({ namespace, top, height });
    top += height + 24;
  }
  const width = MARGIN * 2 + BAND_PAD * 2 + columns * BOX_W + (columns - 1) * GAP_X;
  return { placed, bands, width, height: top + 70 };
}

export function renderSvg(graph: ArchGraph, controls: readonly string[]): string {
  const { placed, bands, width, height } = layout(graph);
  const out: string[] = [];
  const titleLines = wrapWords(
    `controls: ${controls.length > 0 ? controls.join(', ') : 'none'}`,
    Math.floor((width - 2 * MARGIN) / 6.2),
  );
  const shift = (titleLines.length - 1) * 14;
  const totalHeight = height + shift;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${totalHeight}" viewBox="0 0 ${width} ${totalHeight}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${totalHeight}" fill="#ffffff"/>`);
  out.push(
    `<text x="${MARGIN}" y="28" font-size="18" font-weight="bold">secure-workshop: stack ${escapeXml(graph.stack)}</text>`,
  );
  titleLines.forEach((line, i) =>
    out.push(`<text x="${MARGIN}" y="${48 + i * 14}" fill="#555555">${escapeXml(line)}</text>`),
  );
  out.push(`<g transform="translate(0 ${shift})">`);
  for (const band of bands) {
    const label = band.namespace === '' ? 'outside the cluster' : `namespace ${band.namespace}`;
    out.push(
      `<rect x="${MARGIN}" y="${band.top}" width="${width - 2 * MARGIN}" height="${band.height}" rx="8" fill="${band.namespace === '' ? '#fbfbfb' : '#f6f8fa'}" stroke="#b0b7c0" stroke-dasharray="${band.namespace === '' ? '4 3' : ''}"/>`,
    );
    out.push(
      `<text x="${MARGIN + 10}" y="${band.top + 19}" font-weight="bold" fill="#44505c">${escapeXml(label)}</text>`,
    );
  }
  const labels: string[] = [];
  for (const edge of graph.edges) {
    const from = placed.get(edge.from);
    const to = placed.get(edge.to);
    if (from === undefined || to === undefined) continue;
    const style = edgeStyle(edge);
    const forward = to.x > from.x;
    const [x1, y1] = forward ? [from.x + BOX_W, from.y + BOX_H / 2] : [from.x + BOX_W / 2, from.y + BOX_H];
    const [x2, y2] = forward ? [to.x, to.y + BOX_H / 2] : [to.x + BOX_W / 2, to.y];
    // Edges that skip a column bow below the row so they do not cross the boxes in between.
    const bow = forward && to.x - from.x > BOX_W + GAP_X ? BOX_H + GAP_Y / 2 : 0;
    const [c1x, c1y, c2x, c2y] = forward
      ? [x1 + GAP_X / 2, y1 + bow, x2 - GAP_X / 2, y2 + bow]
      : [x1 + 60, y1 + (y2 > y1 ? 30 : 80), x2 + 60, y2 - (y2 > y1 ? 30 : 80)];
    out.push(
      `<path d="M ${x1} ${y1} C ${c1x} ${c1y}, ${c2x} ${c2y}, ${x2} ${y2}" fill="none" stroke="${style.color}" stroke-width="${style.width}"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''} marker-end="url(#arrow-${edge.metrics ? 'metrics' : edge.tls})"/>`,
    );
    const mx = (x1 + 3 * c1x + 3 * c2x + x2) / 8;
    const my = (y1 + 3 * c1y + 3 * c2y + y2) / 8;
    const text = edgeLabel(edge);
    const w = Math.ceil(text.length * CHAR_W + 12);
    labels.push(
      `<g><rect x="${mx - w / 2}" y="${my - 10}" width="${w}" height="18" rx="4" fill="#ffffff" stroke="${style.color}"/><text x="${mx}" y="${my + 3}" text-anchor="middle" font-size="11" fill="${style.color === '#7f8c8d' ? '#555555' : style.color}">${escapeXml(text)}</text></g>`,
    );
  }
  for (const { node, x, y } of [...placed.values()]) {
    const dash = node.role === 'client' ? ' stroke-dasharray="4 3"' : '';
    const strokeWidth = node.role === 'gateway' || node.role === 'firewall' ? 2 : 1.2;
    out.push(
      `<g><rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="6" fill="${ROLE_FILL[node.role]}" stroke="#34495e" stroke-width="${strokeWidth}"${dash}/>` +
        `<text x="${x + BOX_W / 2}" y="${y + 22}" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(node.name)}</text>` +
        `<text x="${x + BOX_W / 2}" y="${y + 40}" text-anchor="middle" font-size="11" fill="#44505c">${escapeXml(node.kind)}</text></g>`,
    );
  }
  out.push(...labels);
  out.push('</g>');
  const legendY = totalHeight - 34;
  const legend: Array<[string, ArchEdge]> = [
    ['plaintext', { tls: 'none', metrics: false } as ArchEdge],
    ['TLS', { tls: 'TLS', metrics: false } as ArchEdge],
    ['mutual TLS', { tls: 'mTLS', metrics: false } as ArchEdge],
    ['metrics scrape', { tls: 'none', metrics: true } as ArchEdge],
  ];
  legend.forEach(([text, sample], i) => {
    const style = edgeStyle(sample);
    const x = MARGIN + i * 170;
    out.push(
      `<line x1="${x}" y1="${legendY}" x2="${x + 40}" y2="${legendY}" stroke="${style.color}" stroke-width="${style.width}"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>`,
    );
    out.push(`<text x="${x + 48}" y="${legendY + 4}" fill="#44505c">${escapeXml(text)}</text>`);
  });
  out.push(
    `<text x="${MARGIN}" y="${legendY + 22}" font-size="10" fill="#7f8c8d">Drawn by npm run draw from the rendered objects (Services, env, IngressRoutes, ServiceMonitors).</text>`,
  );
  const markers = (['none', 'TLS', 'mTLS', 'metrics'] as const).map((kind) => {
    const color = edgeStyle({
      tls: kind === 'metrics' ? 'none' : kind,
      metrics: kind === 'metrics',
    } as ArchEdge).color;
    return `<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${color}"/></marker>`;
  });
  out.splice(1, 0, `<defs>${markers.join('')}</defs>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function mermaidId(id: string): string {
  return `n_${id.replace(/[^A-Za-z0-9]/g, '_')}`;
}

export function renderMermaid(graph: ArchGraph): string {
  const lines = ['flowchart LR'];
  const namespaces = [...new Set(graph.nodes.map((node) => node.namespace))].sort(namespaceOrder);
  const nodeLine = (node: ArchNode): string =>
    `${mermaidId(node.id)}["${node.name}<br/><small>${node.kind}</small>"]:::${node.role}`;
  for (const namespace of namespaces) {
    const members = graph.nodes.filter((node) => node.namespace === namespace);
    if (namespace === '') {
      for (const node of members) lines.push(`  ${nodeLine(node)}`);
      continue;
    }
    lines.push(`  subgraph ${mermaidId(namespace)}["namespace ${namespace}"]`);
    for (const node of members) lines.push(`    ${nodeLine(node)}`);
    lines.push('  end');
  }
  const styles: string[] = [];
  graph.edges.forEach((edge, i) => {
    const arrow = edge.tls === 'none' || edge.metrics ? '-.->' : edge.tls === 'mTLS' ? '==>' : '-->';
    lines.push(`  ${mermaidId(edge.from)} ${arrow}|"${edgeLabel(edge)}"| ${mermaidId(edge.to)}`);
    const style = edgeStyle(edge);
    styles.push(`  linkStyle ${i} stroke:${style.color},stroke-width:${style.width}px`);
  });
  lines.push(...styles);
  for (const role of ROLE_ORDER) lines.push(`  classDef ${role} fill:${ROLE_FILL[role]},stroke:#34495e`);
  return `${lines.join('\n')}\n`;
}

export function drawArchitecture(result: SynthResult): { graph: ArchGraph; svg: string; mermaid: string } {
  const graph = buildGraph(result);
  return { graph, svg: renderSvg(graph, result.controls), mermaid: renderMermaid(graph) };
}
