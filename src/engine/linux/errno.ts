/**
 * errno now lives in the ABI leaf (engine/abi/errno.ts), which every layer may import; this
 * module keeps the kernel's existing imports working while they move there.
 */
export * from '../abi/errno.js';
