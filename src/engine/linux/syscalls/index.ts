/** Every system-call module, imported once for its registrations. */
import './process.js';
import './signal.js';
import './mm.js';
import './misc.js';
import './time.js';
import './timers.js';
import './timerfd.js';
import './eventfd.js';
import './futex.js';
import './poll.js';
import './fs.js';
import './epoll.js';
import './sched.js';
import './xattr.js';
import './socket.js';
