// @ts-check
// The bash page: the machine is all markup; this only wires the "Reset disk" button.
import { loadWebx86, showError } from './demo.js';

await loadWebx86();

const CONFIRM_MS = 5000;
const button = /** @type {HTMLButtonElement} */ (document.getElementById('reset'));
const disk = /** @type {HTMLElement & { reset(): Promise<void> }} */ (document.querySelector('x-disk[persist]'));
const vm = /** @type {HTMLElement & { autostart: boolean }} */ (document.querySelector('x-vm'));
const label = button.textContent;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let disarm;

// Two clicks: the first arms the button, the second (within a few seconds) erases.
button.addEventListener('click', async () => {
  if (!button.classList.contains('armed')) {
    button.classList.add('armed');
    button.textContent = 'Click again to erase all changes';
    disarm = setTimeout(() => { button.classList.remove('armed'); button.textContent = label; }, CONFIRM_MS);
    return;
  }
  clearTimeout(disarm);
  button.disabled = true;
  button.textContent = 'Erasing…';
  try {
    vm.autostart = false; // the page reloads next; no point booting in between
    await disk.reset();
    location.reload();
  } catch (e) {
    showError(`Could not reset the disk: ${e instanceof Error ? e.message : e}`);
    button.disabled = false;
    button.classList.remove('armed');
    button.textContent = label;
  }
});
