/** The wait primitives live in the leaf engine/wait/ (file systems and ttys block on them too). */
export * from '../wait/queue.js';
