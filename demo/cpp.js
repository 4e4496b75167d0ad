// @ts-check
// The C++ page: the editor's text goes into the guest through a DataDevice at /data, then
// bash compiles and runs it on the console (the <x-terminal>), so compiler errors and the
// program's output show there and the program can read what is typed into it.
import { loadWebx86, showError, clearError } from './demo.js';

const { DataDevice } = await loadWebx86();

const vm = /** @type {import('../src/elements/vm.js').XVm} */ (document.querySelector('x-vm'));
const dataDisk = /** @type {import('../src/elements/disk.js').XDisk} */ (document.getElementById('data'));
const button = /** @type {HTMLButtonElement} */ (document.getElementById('run'));
const source = /** @type {HTMLTextAreaElement} */ (document.getElementById('source'));

const data = await DataDevice.create();
await data.writeFile('/main.cpp', source.value);
dataDisk.device = data;
void vm.start();

const ENV = ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/root', 'TERM=xterm-256color', 'LANG=C.UTF-8'];
// A bold command line before each build and the exit status after, so runs are easy to tell apart.
const SCRIPT = [
  "printf '\\n\\033[1;34m$ g++ /data/main.cpp -o /tmp/a.out && /tmp/a.out\\033[0m\\n'",
  'g++ /data/main.cpp -o /tmp/a.out && /tmp/a.out',
  's=$?',
  "printf '\\033[2m[exit status %d]\\033[0m\\n' $s",
  'exit $s',
].join('\n');

let running = false;

async function run() {
  if (running) return;
  running = true;
  button.disabled = true;
  button.textContent = 'Running…';
  clearError();
  try {
    await data.writeFile('/main.cpp', source.value);
    await vm.run('/bin/bash', ['-c', SCRIPT], { env: ENV, cwd: '/tmp' });
  } catch (e) {
    showError(`Could not run the program: ${e instanceof Error ? e.message : e}`);
  } finally {
    running = false;
    button.disabled = false;
    button.textContent = 'Run';
  }
}

let tabEscaped = false;
button.addEventListener('click', run);
source.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void run(); }
  // Tab indents instead of leaving the editor; Escape then Tab still moves focus on.
  if (e.key === 'Tab' && !e.shiftKey && !tabEscaped) {
    e.preventDefault();
    source.setRangeText('    ', source.selectionStart, source.selectionEnd, 'end');
  }
  tabEscaped = e.key === 'Escape';
});

vm.addEventListener('vm-ready', () => { button.disabled = false; });
vm.addEventListener('vm-error', () => { button.disabled = true; });
