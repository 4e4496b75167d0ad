export type { BlockDevice } from './types.js';
export { checkRange } from './types.js';
export { MemoryDevice } from './memory.js';
