/** Every system-call module, imported once for its registrations. */
import './process.js';
import './signal.js';
import './mm.js';
import './misc.js';
