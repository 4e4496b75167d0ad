// @ts-check
// The desktop page is all markup; this reports a bundle that failed to load, and says how to
// build the desktop image when the server has none.
import { loadWebx86, showError } from './demo.js';

await loadWebx86();
const vm = document.querySelector('x-vm');
vm?.addEventListener('vm-error', (e) => {
  const message = /** @type {CustomEvent<{ message: string }>} */ (e).detail.message;
  if (/404/.test(message)) showError(`${message}\nBuild the desktop image first: node bin/webx86.js image --preset desktop --out .cache/images/desktop.ext2`);
});
