// The start <-> end overview: switches that move between the control sets the page holds (its data
// is inlined by tools/site/pages.ts), redrawing the picture and the list of remaining failures.
/* global document */
'use strict';

(function overview() {
  const data = JSON.parse(document.getElementById('overview-data').textContent);
  const order = data.controls.map((control) => control.id);
  const byId = new Map(data.controls.map((control) => [control.id, control]));
  const states = new Map(data.states.map((state) => [state.key, state]));
  const toggles = [...document.querySelectorAll('input[data-control]')];
  const picture = document.getElementById('picture');
  const status = document.getElementById('status');
  const failures = document.getElementById('failures');
  const count = document.getElementById('failure-count');
  let current = new Set(data.initial.split(',').filter(Boolean));

  const keyOf = (set) => order.filter((id) => set.has(id)).join(',');

  function toggled(id) {
    const next = new Set(current);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  }

  /** Why a switch cannot move, or '' when it can. */
  function reason(id) {
    if (states.has(keyOf(toggled(id)))) return '';
    if (current.has(id)) {
      const users = order.filter((other) => current.has(other) && byId.get(other).requires.includes(id));
      if (users.length > 0) return `needed by ${users.join(', ')}`;
    } else {
      const missing = byId.get(id).requires.filter((required) => !current.has(required));
      if (missing.length > 0) return `needs ${missing.join(', ')} first`;
    }
    return 'not precomputed from here: use a step button first';
  }

  function findingItem(finding) {
    const item = document.createElement('li');
    const level = document.createElement('span');
    level.className = finding.mandatory ? 'level fail' : 'level warn';
    level.textContent = finding.mandatory ? 'FAIL' : 'WARN';
    const policy = document.createElement('code');
    policy.textContent = finding.policy;
    const link = document.createElement('a');
    link.href = finding.href;
    link.textContent = finding.control;
    const message = document.createElement('span');
    message.className = 'message';
    message.textContent = finding.message;
    item.append(level, ` ${finding.owasp} `, policy, ` on ${finding.object}, fixed by `, link);
    item.append(document.createElement('br'), message);
    return item;
  }

  function render() {
    const state = states.get(keyOf(current));
    picture.innerHTML = state.svg;
    const shown = state.findings.map((index) => data.findings[index]);
    failures.replaceChildren(...shown.map(findingItem));
    const mandatory = shown.filter((finding) => finding.mandatory).length;
    count.textContent = `${mandatory} mandatory, ${shown.length - mandatory} advisory.`;
    status.textContent = `Showing ${state.label}: ${mandatory} mandatory policy failure${mandatory === 1 ? '' : 's'} remain.`;
    for (const toggle of toggles) {
      const id = toggle.dataset.control;
      const why = reason(id);
      toggle.checked = current.has(id);
      toggle.setAttribute('aria-disabled', why === '' ? 'false' : 'true');
      document.getElementById(`reason-${id}`).textContent = why === '' ? '' : `(${why})`;
    }
  }

  for (const toggle of toggles) {
    // aria-disabled, not disabled: the switch stays reachable by keyboard and says why it is stuck.
    toggle.addEventListener('click', (event) => {
      if (toggle.getAttribute('aria-disabled') === 'true') event.preventDefault();
    });
    toggle.addEventListener('change', () => {
      current = toggled(toggle.dataset.control);
      render();
    });
  }
  for (const button of document.querySelectorAll('button[data-preset]')) {
    button.addEventListener('click', () => {
      current = new Set(button.dataset.preset.split(',').filter(Boolean));
      render();
    });
  }
  render();
})();
