// Accessibility checks run inside a page of the site by site.test.ts (page.evaluate of this file's
// text): the language, one h1, landmarks, heading levels, labelled controls, and the contrast of
// every visible text against its background (WCAG 2, at least 4.5:1). The pictures' SVG text is
// checked apart, on its colours (html.test.ts).
/* global document, getComputedStyle */
(() => {
  const problems = [];
  const parse = (color) => {
    const [r = 0, g = 0, b = 0, a = 1] = (color.match(/[\d.]+/g) || []).map(Number);
    return [r, g, b, a];
  };
  const luminance = ([r, g, b]) => {
    const [x, y, z] = [r, g, b].map((value) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * x + 0.7152 * y + 0.0722 * z;
  };
  const background = (element) => {
    for (let node = element; node !== null; node = node.parentElement) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if (color[3] > 0) return color;
    }
    return [255, 255, 255, 1];
  };
  if (document.documentElement.lang !== 'en') problems.push('html has no lang="en"');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  if (document.querySelectorAll('main').length !== 1) problems.push('not exactly one main');
  if (document.querySelectorAll('header, footer').length < 2) problems.push('no header or footer');
  if (document.querySelectorAll('nav[aria-label]').length < 1) problems.push('no labelled nav');
  let level = 0;
  for (const heading of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const next = Number(heading.tagName[1]);
    if (next > level + 1) problems.push(`heading level skipped: ${heading.tagName} "${heading.textContent}"`);
    level = next;
  }
  for (const input of document.querySelectorAll('input, button, select, textarea')) {
    const named =
      (input.id !== '' && document.querySelector(`label[for="${input.id}"]`) !== null) ||
      (input.textContent || '').trim() !== '' ||
      input.getAttribute('aria-label') !== null;
    if (!named) problems.push(`unlabelled ${input.tagName} ${input.id}`);
  }
  const ids = [...document.querySelectorAll('[id]')].map((element) => element.id);
  const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
  if (repeated.length > 0) problems.push(`ids used twice: ${[...new Set(repeated)].join(', ')}`);
  for (const element of document.querySelectorAll('body *:not(svg):not(svg *)')) {
    const text = [...element.childNodes].some(
      (node) => node.nodeType === 3 && (node.textContent || '').trim() !== '',
    );
    const style = getComputedStyle(element);
    if (!text || style.visibility === 'hidden' || element.getClientRects().length === 0) continue;
    const [fore, back] = [luminance(parse(style.color)), luminance(background(element))];
    const ratio = (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05);
    if (ratio < 4.5)
      problems.push(
        `contrast ${ratio.toFixed(2)}: ${element.tagName} "${(element.textContent || '').slice(0, 40)}"`,
      );
  }
  return problems;
})();
