// Progressive enhancement for the public pages (a module file: the CSP forbids inline
// script). Everything here also works without it, by plain links and form submits.

// Copy buttons: a button with data-copy="ID" copies the value of the input with that id.
for (const button of document.querySelectorAll('[data-copy]')) {
  const input = document.getElementById(button.dataset.copy);
  const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
  if (!input || !navigator.clipboard) { continue; }
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      if (status) { status.textContent = 'Copied to the clipboard'; }
    } catch (e) {
      input.select();
      if (status) { status.textContent = 'Select the text and copy it'; }
    }
  });
}

// Wide tables: pin every row-header column, not just the first, at its measured offset.
function pinRowHeaders(table) {
  const levels = [];
  for (const th of table.querySelectorAll('tbody .app-row-header')) {
    const level = Number((th.className.match(/app-rh-(\d+)/) || [0, 0])[1]);
    if (levels[level] === undefined) { levels[level] = th.getBoundingClientRect().width; }
  }
  let left = 0;
  const offsets = levels.map((width) => { const at = left; left += width; return at; });
  for (const th of table.querySelectorAll('tbody .app-row-header')) {
    const level = Number((th.className.match(/app-rh-(\d+)/) || [0, 0])[1]);
    th.style.left = `${offsets[level]}px`;
  }
  table.classList.add('app-pinned');
}
for (const table of document.querySelectorAll('[data-sticky-table] table')) {
  // On narrow screens pinned headers would cover the numbers: only the first stays.
  if (window.matchMedia('(min-width: 40.0625em)').matches) { pinRowHeaders(table); }
}

// Locations: the search filters the list as the reader types (ticked boxes stay ticked,
// hidden or not), and "Select all" ticks a group in place instead of reloading.
const form = document.querySelector('[data-location-form]');
if (form) {
  const search = form.querySelector('#location_search');
  const status = form.querySelector('#location-filter-status');
  const filter = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const group of form.querySelectorAll('[data-location-group]')) {
      let inGroup = 0;
      for (const item of group.querySelectorAll('[data-location-option]')) {
        const text = item.textContent.toLowerCase();
        const match = words.every((w) => text.includes(w));
        item.hidden = !match;
        if (match) { inGroup += 1; }
      }
      group.hidden = inGroup === 0;
      shown += inGroup;
    }
    for (const level of form.querySelectorAll('[data-location-level]')) {
      const any = level.querySelector('[data-location-group]:not([hidden])');
      level.hidden = !any;
      if (words.length && any) { level.open = true; }
    }
    if (status) { status.textContent = `${shown} locations shown`; }
  };
  search.addEventListener('input', filter);
  const button = form.querySelector('[data-location-search-button]');
  if (button) {
    button.addEventListener('click', (event) => { event.preventDefault(); filter(); });
  }
  for (const all of form.querySelectorAll('[data-select-all]')) {
    all.addEventListener('click', (event) => {
      event.preventDefault();
      const boxes = [...all.closest('[data-location-group]')
        .querySelectorAll('[data-location-option]:not([hidden]) input')];
      const tick = boxes.some((box) => !box.checked);
      for (const box of boxes) { box.checked = tick; }
    });
  }
}
