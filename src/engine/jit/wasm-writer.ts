/**
 * A direct WebAssembly writer with the shape of the part of binaryen.js's expression API the
 * code generator uses (`m.i32.add(a, b)`, `m.block(name, list)`, `m.br(name, cond)`, ...):
 * expressions are small JS objects, serialised straight to the binary format (WebAssembly
 * core spec §5) at the end, with branch depths resolved from label names.
 *
 * Why: building a region through binaryen cost one JS-to-Wasm call per Wasm operator plus
 * emitBinary, ~3 ms per region (python3 binary-trees: 1.6 s of CPU for ~500 regions, of which
 * emitBinary 0.46 s), more than many regions' translated code ever runs; the JIT uses no
 * binaryen pass, so binaryen only built and serialised trees. Plain data, no closures: it
 * runs anywhere codegen.ts does (a worker too).
 */

/** An expression: an operator, its immediates and its operands (in evaluation order). */
export interface X {
  /** Opcode (0xfc-prefixed ones as 0xfc00 | sub), or a pseudo-op below. */
  op: number;
  kids: X[] | null;
  /** Immediate: a constant, a local index, a memory offset, or a label name. */
  a: number | bigint | string | null;
  /** Second immediate: log2 alignment of memory accesses. */
  b: number;
}

// Pseudo-ops (structured instructions are written by the serialiser).
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, BR = 0x0c, BR_IF = 0x0d, CALL = 0x10, SELECT = 0x1b, UNREACHABLE = 0x00;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, I32_CONST = 0x41, I64_CONST = 0x42;

const node = (op: number, kids: X[] | null, a: number | bigint | string | null = null, b = 0): X => ({ op, kids, a, b });
const log2 = (align: number): number => (align >= 8 ? 3 : align >= 4 ? 2 : align >= 2 ? 1 : 0);

function binOps<K extends string>(table: Record<K, number>): Record<K, (x: X, y: X) => X> {
  const out = {} as Record<K, (x: X, y: X) => X>;
  for (const k of Object.keys(table) as K[]) { const op = table[k]; out[k] = (x, y) => node(op, [x, y]); }
  return out;
}
function unOps<K extends string>(table: Record<K, number>): Record<K, (x: X) => X> {
  const out = {} as Record<K, (x: X) => X>;
  for (const k of Object.keys(table) as K[]) { const op = table[k]; out[k] = (x) => node(op, [x]); }
  return out;
}

/** Opcodes: WebAssembly core spec §5.4. */
const I32_BIN = {
  eq: 0x46, ne: 0x47, lt_s: 0x48, lt_u: 0x49, gt_s: 0x4a, gt_u: 0x4b, le_s: 0x4c, le_u: 0x4d, ge_s: 0x4e, ge_u: 0x4f,
  add: 0x6a, sub: 0x6b, mul: 0x6c, div_s: 0x6d, div_u: 0x6e, rem_s: 0x6f, rem_u: 0x70, and: 0x71, or: 0x72, xor: 0x73,
  shl: 0x74, shr_s: 0x75, shr_u: 0x76, rotl: 0x77, rotr: 0x78,
};
const I64_BIN = {
  eq: 0x51, ne: 0x52, add: 0x7c, sub: 0x7d, mul: 0x7e, div_s: 0x7f, div_u: 0x80, rem_s: 0x81, rem_u: 0x82,
  and: 0x83, or: 0x84, xor: 0x85, shl: 0x86, shr_s: 0x87, shr_u: 0x88,
};

/** Value types, as binaryen.js names them (only i32 results exist in the generated code). */
export const NONE = 0x40, I32 = 0x7f;

export class WasmWriter {
  readonly i32 = {
    ...binOps(I32_BIN),
    ...unOps({ eqz: 0x45, clz: 0x67, ctz: 0x68, popcnt: 0x69, wrap: 0xa7 }),
    const: (v: number): X => node(I32_CONST, null, v | 0),
    load: (off: number, align: number, p: X): X => node(0x28, [p], off, log2(align)),
    load8_s: (off: number, align: number, p: X): X => node(0x2c, [p], off, 0),
    load8_u: (off: number, align: number, p: X): X => node(0x2d, [p], off, 0),
    load16_s: (off: number, align: number, p: X): X => node(0x2e, [p], off, log2(Math.min(align, 2))),
    load16_u: (off: number, align: number, p: X): X => node(0x2f, [p], off, log2(Math.min(align, 2))),
    store: (off: number, align: number, p: X, v: X): X => node(0x36, [p, v], off, log2(align)),
    store8: (off: number, align: number, p: X, v: X): X => node(0x3a, [p, v], off, 0),
    store16: (off: number, align: number, p: X, v: X): X => node(0x3b, [p, v], off, log2(Math.min(align, 2))),
  };
  readonly i64 = {
    ...binOps(I64_BIN),
    ...unOps({ extend_s: 0xac, extend_u: 0xad }),
    const: (v: bigint): X => node(I64_CONST, null, v),
  };
  readonly local = {
    get: (l: number, _t?: number): X => node(LOCAL_GET, null, l),
    set: (l: number, v: X): X => node(LOCAL_SET, [v], l),
    tee: (l: number, v: X, _t?: number): X => node(LOCAL_TEE, [v], l),
  };
  readonly memory = {
    fill: (dst: X, value: X, size: X, _mem?: string): X => node(0xfc0b, [dst, value, size]),
    copy: (dst: X, src: X, size: X, _d?: string, _s?: string): X => node(0xfc0a, [dst, src, size]),
  };
  /** Function imports by name, in the order first called (their indices precede "f"). */
  private readonly imports: { name: string; module: string; field: string; params: number }[] = [];

  if(cond: X, then: X, otherwise?: X): X { return node(IF, otherwise === undefined ? [cond, then] : [cond, then, otherwise]); }
  block(name: string | null, list: X[], _type?: number): X { return node(BLOCK, list, name); }
  loop(name: string, body: X): X { return node(LOOP, [body], name); }
  br(name: string, cond?: X): X { return cond === undefined ? node(BR, null, name) : node(BR_IF, [cond], name); }
  /** cond ? a : b, binaryen.js's argument order. */
  select(cond: X, a: X, b: X): X { return node(SELECT, [a, b, cond]); }
  call(name: string, args: X[], _type?: number): X { return node(CALL, args, name); }
  unreachable(): X { return node(UNREACHABLE, null); }

  /** Declare a function import (i32 parameters, i32 result) that `call(name)` reaches. */
  addFunctionImport(name: string, module: string, field: string, params: number): void {
    this.imports.push({ name, module, field, params });
  }

  /**
   * The module: the memory imported as e.m, the function imports, and one exported function
   * "f" (slot, budget) -> i32 with `vars` more i32 locals, whose body is `body` then `result`.
   */
  emit(vars: number, body: X[], result: X): Uint8Array {
    const out = new ByteOut();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    // Types: 0 = the region function, then one per import.
    const types: number[][] = [[0x60, 2, I32, I32, 1, I32]];
    for (const im of this.imports) types.push([0x60, im.params, ...new Array<number>(im.params).fill(I32), 1, I32]);
    out.section(1, (s) => { s.uleb(types.length); for (const t of types) s.bytes(t); });
    out.section(2, (s) => {
      s.uleb(1 + this.imports.length);
      s.name('e'); s.name('m'); s.bytes([0x02, 0x01]); s.uleb(1); s.uleb(65536);
      this.imports.forEach((im, k) => { s.name(im.module); s.name(im.field); s.byte(0x00); s.uleb(k + 1); });
    });
    out.section(3, (s) => { s.uleb(1); s.uleb(0); });
    const fIndex = this.imports.length;
    out.section(7, (s) => { s.uleb(1); s.name('f'); s.byte(0x00); s.uleb(fIndex); });
    const fn = new ByteOut();
    fn.uleb(1); fn.uleb(vars); fn.byte(I32);
    const labels: (string | null)[] = [];
    const funcs = new Map(this.imports.map((im, k) => [im.name, k]));
    for (const e of body) this.expr(e, fn, labels, funcs);
    this.expr(result, fn, labels, funcs);
    fn.byte(0x0b);
    out.section(10, (s) => { s.uleb(1); s.uleb(fn.length); s.append(fn); });
    return out.result();
  }

  private expr(e: X, o: ByteOut, labels: (string | null)[], funcs: Map<string, number>): void {
    writeExpr(e, o, labels, funcs);
  }
}

/** Branch depth of the label `name` (innermost first). */
function depthOf(labels: (string | null)[], name: string): number {
  for (let d = labels.length - 1; d >= 0; d--) if (labels[d] === name) return labels.length - 1 - d;
  throw new Error(`wasm-writer: branch to unknown label ${name}`);
}

function writeExpr(e: X, o: ByteOut, labels: (string | null)[], funcs: Map<string, number>): void {
  const op = e.op, kids = e.kids;
  switch (op) {
    case BLOCK: case LOOP:
      o.byte(op); o.byte(NONE);
      labels.push(e.a as string | null);
      for (let i = 0; i < kids!.length; i++) writeExpr(kids![i], o, labels, funcs);
      labels.pop();
      o.byte(0x0b);
      return;
    case IF:
      writeExpr(kids![0], o, labels, funcs);
      o.byte(IF); o.byte(NONE);
      labels.push(null);
      writeExpr(kids![1], o, labels, funcs);
      if (kids!.length > 2) { o.byte(0x05); writeExpr(kids![2], o, labels, funcs); }
      labels.pop();
      o.byte(0x0b);
      return;
    case BR: o.byte(BR); o.uleb(depthOf(labels, e.a as string)); return;
    case BR_IF: writeExpr(kids![0], o, labels, funcs); o.byte(BR_IF); o.uleb(depthOf(labels, e.a as string)); return;
    case CALL: {
      for (let i = 0; i < kids!.length; i++) writeExpr(kids![i], o, labels, funcs);
      const f = funcs.get(e.a as string);
      if (f === undefined) throw new Error(`wasm-writer: call to undeclared ${String(e.a)}`);
      o.byte(CALL); o.uleb(f);
      return;
    }
    case I32_CONST: o.byte(I32_CONST); o.sleb(e.a as number); return;
    case I64_CONST: o.byte(I64_CONST); o.sleb64(e.a as bigint); return;
    case LOCAL_GET: o.byte(LOCAL_GET); o.uleb(e.a as number); return;
  }
  if (kids !== null) for (let i = 0; i < kids.length; i++) writeExpr(kids[i], o, labels, funcs);
  switch (op) {
    case LOCAL_SET: case LOCAL_TEE: o.byte(op); o.uleb(e.a as number); return;
    case 0xfc0b: o.byte(0xfc); o.uleb(0x0b); o.byte(0); return;
    case 0xfc0a: o.byte(0xfc); o.uleb(0x0a); o.byte(0); o.byte(0); return;
  }
  o.byte(op);
  // Memory accesses: alignment (log2) and offset.
  if (op >= 0x28 && op <= 0x3e) { o.uleb(e.b); o.uleb(e.a as number); }
}

/** A growable byte buffer with the binary format's integer encodings. */
class ByteOut {
  private buf = new Uint8Array(4096);
  length = 0;
  byte(b: number): void {
    if (this.length === this.buf.length) { const n = new Uint8Array(this.buf.length * 2); n.set(this.buf); this.buf = n; }
    this.buf[this.length++] = b;
  }
  bytes(bs: ArrayLike<number>): void { for (let i = 0; i < bs.length; i++) this.byte(bs[i]); }
  append(o: ByteOut): void { for (let i = 0; i < o.length; i++) this.byte(o.buf[i]); }
  uleb(v: number): void {
    v >>>= 0;
    do { let b = v & 0x7f; v >>>= 7; if (v !== 0) b |= 0x80; this.byte(b); } while (v !== 0);
  }
  sleb(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  sleb64(v: bigint): void {
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  name(s: string): void { this.uleb(s.length); for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i)); }
  section(id: number, f: (s: ByteOut) => void): void {
    const s = new ByteOut();
    f(s);
    this.byte(id); this.uleb(s.length); this.append(s);
  }
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}
