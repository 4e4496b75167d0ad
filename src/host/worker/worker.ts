/**
 * The engine's Web Worker entry: one machine per worker, driven by the page through
 * comlink (src/api/linux.ts holds the other end).
 */
import { expose } from 'comlink';
import { EngineHost } from './engine-host.js';

expose(new EngineHost());
