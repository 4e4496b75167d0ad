/**
 * Two VMs on one tailnet serve each other a page: busybox httpd in each, busybox wget in the
 * other. Shared by the one-page test (tailscale.test.ts) and the two-tab test
 * (tailscale-pages.test.ts).
 */
import { expect } from '@esm-bundle/chai';

/** What these tests use of a booted machine (the API's Linux). */
export interface LinuxLike {
  run(path: string, args: string[]): Promise<{ status: number }>;
  setCustomConsole(write: (b: Uint8Array) => void, cols: number, rows: number): unknown;
}

export interface TailnetVm { linux: LinuxLike; ip: string; name: string }

/** Start httpd in both VMs, then fetch each one's page from the other. */
export async function exchangePages(a: TailnetVm, b: TailnetVm): Promise<void> {
  const decoder = new TextDecoder();
  const out = new Map<LinuxLike, string>([[a.linux, ''], [b.linux, '']]);
  for (const l of [a.linux, b.linux]) l.setCustomConsole((bytes) => { out.set(l, out.get(l)! + decoder.decode(bytes)); }, 200, 24);
  for (const v of [a, b]) {
    void v.linux.run('/bin/busybox', ['sh', '-c', `mkdir -p /www && echo "hello from ${v.name}" > /www/index.html && exec busybox httpd -f -p 8080 -h /www`]);
  }
  const fetchFrom = async (l: LinuxLike, ip: string) => {
    // httpd starts in a moment: a few tries, each a fresh wget (no -T: bookworm's busybox wget segfaults on it, natively too).
    let last = -1;
    for (let i = 0; i < 30; i++) {
      out.set(l, '');
      const r = await l.run('/bin/busybox', ['wget', '-q', '-O', '-', `http://${ip}:8080/`]);
      last = r.status;
      if (r.status === 0) return out.get(l)!.replace(/\r\n/g, '\n');
      await new Promise((r2) => setTimeout(r2, 500));
    }
    throw new Error(`wget from ${ip} kept failing: ${last} ${out.get(l)}`);
  };
  expect(await fetchFrom(b.linux, a.ip)).to.equal(`hello from ${a.name}\n`);
  expect(await fetchFrom(a.linux, b.ip)).to.equal(`hello from ${b.name}\n`);
}
