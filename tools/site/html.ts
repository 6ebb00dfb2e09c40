// Small HTML building blocks: escaping, the page frame every page shares, inline Markdown of the
// guide's sentences, and the architecture pictures made fit to sit in a page.

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * A sentence of the guide as HTML: `code`, **bold** and _emphasis_; a link keeps its text only (its
 * target is a file of the repository, not of the site).
 */
export function inlineMarkdown(text: string): string {
  return text
    .split(/(`[^`]+`)/)
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1)
        return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      return escapeHtml(part)
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[\s(])_([^_]+)_(?=[\s).,:;]|$)/g, '$1<em>$2</em>');
    })
    .join('');
}

export interface NavEntry {
  file: string;
  label: string;
}

export interface PageFrame {
  file: string;
  title: string;
  nav: readonly NavEntry[];
  body: string;
  /** Scripts next to the page, run after it loads. */
  scripts?: readonly string[];
  previous?: NavEntry;
  next?: NavEntry;
  /** Use the whole width of the screen (the overview: switches beside the picture). */
  wide?: boolean;
}

export const SITE_TITLE = 'secure-workshop';

export function pageHtml(frame: PageFrame): string {
  const nav = frame.nav
    .map(
      (entry) =>
        `<li><a href="${escapeHtml(entry.file)}"${entry.file === frame.file ? ' aria-current="page"' : ''}>${escapeHtml(entry.label)}</a></li>`,
    )
    .join('');
  const pager = [
    frame.previous
      ? `<a rel="prev" href="${frame.previous.file}">← ${escapeHtml(frame.previous.label)}</a>`
      : '',
    frame.next ? `<a rel="next" href="${frame.next.file}">${escapeHtml(frame.next.label)} →</a>` : '',
  ]
    .filter(Boolean)
    .join('');
  const scripts = (frame.scripts ?? []).map((src) => `<script src="${src}" defer></script>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(frame.title)} · ${SITE_TITLE}</title>
<link rel="stylesheet" href="site.css">
${scripts}
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header class="top">
<p class="brand"><a href="index.html">${SITE_TITLE}</a>: the workshop, control by control</p>
<nav aria-label="Workshop pages"><ol>${nav}</ol></nav>
</header>
<main id="main" tabindex="-1"${frame.wide === true ? ' class="wide"' : ''}>
${frame.body}
</main>
<footer>
${pager ? `<nav class="pager" aria-label="Previous and next page">${pager}</nav>` : ''}
<p>Built by <code>npm run site</code> from the control catalog, the guide's steps and <code>docs/guide.md</code>, the Pulumi program under Pulumi's mock runtime (each control set rendered as the guide's stack <code>dev</code>), the policy pack and the architecture drawing. No server, no network: every page works from a file.</p>
</footer>
</body>
</html>
`;
}

// draw.ts colours its edges for a white page; two of them are too light for text (WCAG AA asks
// 4.5:1), so the site darkens them: TLS green, and the grey of scrape edges and footnotes.
const DARKER: Record<string, string> = { '#27ae60': '#1e7b3f', '#7f8c8d': '#5f6a6a' };

/**
 * An SVG of draw.ts ready to sit in a page beside others: its ids made unique with `prefix`, a
 * title for assistive technology, readable colours, and a size that follows the page's width.
 */
export function inlineSvg(svg: string, prefix: string, label: string): string {
  let text = svg.trim();
  for (const [light, dark] of Object.entries(DARKER)) text = text.split(light).join(dark);
  text = text.replace(/id="([^"]+)"/g, `id="${prefix}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`);
  return text.replace(
    /^<svg ([^>]*)>/,
    (_, attributes: string) =>
      `<svg ${attributes} role="img" aria-labelledby="${prefix}-title" class="architecture"><title id="${prefix}-title">${escapeHtml(label)}</title>`,
  );
}

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channels = [1, 3, 5].map((start) => parseInt(hex.slice(start, start + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}
