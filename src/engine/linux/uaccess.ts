/** Guest memory copies live with the address space (engine/mem/uaccess.ts): file ioctls use them too. */
export * from '../mem/uaccess.js';
