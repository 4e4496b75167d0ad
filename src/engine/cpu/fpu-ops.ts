/** x87 instructions (D8-DF). */
import type { Decoder } from './decoder.js';
import { OPS1, def, range } from './ops/table.js';
import { ud } from './ops/faults.js';

def(OPS1, range(0xd8, 0xdf), (d: Decoder) => {
  d.modrm();
  if (!d.isReg) d.ea();
  return ud(d);
});
def(OPS1, 0x9b, () => () => {}); // fwait
