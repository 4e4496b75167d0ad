/**
 * The part of the WebAssembly JS API the engine uses. TypeScript only ships these types
 * in lib.dom/lib.webworker, and the engine is compiled without either so that a DOM
 * call is a type error (it runs in Workers and Node alike).
 */
declare namespace WebAssembly {
  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  /** Compiled code (the JIT's regions, jit/jit.ts). */
  class Module {
    constructor(bytes: BufferSource);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  /** A funcref table (the JIT hub's, jit/hub.ts): entries are exported Wasm functions or null. */
  class Table {
    readonly length: number;
    get(index: number): unknown;
    set(index: number, value: unknown): void;
    grow(delta: number): number;
  }
  /** Asynchronous compile (the JIT compiles the compile worker's bytes with it, off the engine's thread in V8). */
  function compile(bytes: BufferSource): Promise<Module>;
}
