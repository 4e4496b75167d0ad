/**
 * The bundle's entry (dist/webx86.js): importing it defines every element
 * (<x-vm>, <x-disk>, <x-terminal>, <x-vm-status>, <x-kms-display>) and exports the JS API.
 */
export * from './api/index.js';
export * from './elements/index.js';
