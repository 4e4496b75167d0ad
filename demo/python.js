// @ts-check
// The Python page is all markup; this only reports a bundle that failed to load.
import { loadWebx86 } from './demo.js';

await loadWebx86();
