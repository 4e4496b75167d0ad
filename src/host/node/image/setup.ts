/**
 * What maintainer scripts and debootstrap would leave behind, done without running any:
 * the merged-/usr links (bookworm's debootstrap makes /bin, /sbin and /lib links into /usr
 * before unpacking, so packages that still ship /bin/... land in /usr/bin/...), users and
 * groups (base-passwd's postinst copies its master files), a few /etc files, the standard
 * directories, the alternatives links packages register in postinst, and dpkg's status
 * database so `dpkg -l` inside the image lists what was installed.
 */
import { field } from './control.js';
import type { Package } from './resolve.js';
import { RootTree, isDir } from './rootfs.js';

/** The links debootstrap creates for a merged-/usr i386 system. */
export const USRMERGE_DIRS = ['bin', 'sbin', 'lib'];

export function mergedUsr(t: RootTree): void {
  t.mkdir('usr');
  for (const d of USRMERGE_DIRS) {
    t.mkdir(`usr/${d}`);
    t.symlink(d, `usr/${d}`);
  }
}

/**
 * update-alternatives links that postinst scripts would make: [link, name, candidates best
 * first]. Only links whose target is installed are made, through /etc/alternatives as dpkg does.
 */
const ALTERNATIVES: [string, string, string[]][] = [
  ['/usr/bin/awk', 'awk', ['/usr/bin/mawk', '/usr/bin/gawk', '/usr/bin/original-awk']],
  ['/usr/bin/nawk', 'nawk', ['/usr/bin/mawk', '/usr/bin/gawk', '/usr/bin/original-awk']],
  ['/usr/bin/which', 'which', ['/usr/bin/which.debianutils']],
  ['/usr/bin/vi', 'vi', ['/usr/bin/vim.basic', '/usr/bin/vim.tiny', '/usr/bin/nvi']],
  ['/usr/bin/view', 'view', ['/usr/bin/vim.basic', '/usr/bin/vim.tiny']],
  ['/usr/bin/ex', 'ex', ['/usr/bin/vim.basic', '/usr/bin/vim.tiny']],
  ['/usr/bin/editor', 'editor', ['/usr/bin/vim.basic', '/usr/bin/nano', '/usr/bin/vim.tiny']],
  ['/usr/bin/pager', 'pager', ['/usr/bin/less', '/usr/bin/more']],
  ['/usr/bin/cc', 'cc', ['/usr/bin/gcc']],
  ['/usr/bin/c++', 'c++', ['/usr/bin/g++']],
  ['/usr/bin/c89', 'c89', ['/usr/bin/c89-gcc']],
  ['/usr/bin/c99', 'c99', ['/usr/bin/c99-gcc']],
  ['/usr/bin/lzma', 'lzma', ['/usr/bin/xz']],
  ['/usr/bin/unlzma', 'unlzma', ['/usr/bin/unxz']],
  ['/usr/bin/lzcat', 'lzcat', ['/usr/bin/xzcat']],
  ['/usr/bin/rmt', 'rmt', ['/usr/sbin/rmt-tar']],
];

const MIN_PASSWD = 'root:x:0:0:root:/root:SHELL\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const MIN_GROUP = 'root:x:0:\nnogroup:x:65534:\n';

export interface SetupOptions { hostname?: string; packages: Package[] }

export function finishRoot(t: RootTree, o: SetupOptions): void {
  const text = (p: string) => { const n = t.lookup(p, true); return n?.data ? new TextDecoder().decode(n.data) : undefined; };
  const exists = (p: string) => t.lookup(p, true) !== undefined;

  // Standard directories (mount points included: the engine mounts /proc, /sys, /dev over them).
  for (const [d, perm] of [['root', 0o700], ['tmp', 0o1777], ['var/tmp', 0o1777], ['home', 0o755], ['proc', 0o555], ['sys', 0o555],
    ['dev', 0o755], ['run', 0o755], ['mnt', 0o755], ['media', 0o755], ['opt', 0o755], ['srv', 0o755], ['etc', 0o755],
    ['usr/local/bin', 0o755], ['var/lib/dpkg/info', 0o755], ['var/log', 0o755], ['var/cache', 0o755]] as [string, number][]) {
    const n = t.mkdir(d, perm);
    n.mode = (n.mode & ~0o7777) | perm;
  }

  const shell = ['/usr/bin/bash', '/usr/bin/dash', '/usr/bin/busybox'].find(exists);
  if (!exists('/usr/bin/sh') && shell) t.symlink('usr/bin/sh', shell.split('/').pop()!);
  const rootShell = exists('/usr/bin/bash') ? '/bin/bash' : '/bin/sh';

  // Users and groups: base-passwd's master files when present, else a minimal pair; root and nobody always.
  let passwd = text('/etc/passwd') ?? text('/usr/share/base-passwd/passwd.master') ?? MIN_PASSWD.replace('SHELL', rootShell);
  let group = text('/etc/group') ?? text('/usr/share/base-passwd/group.master') ?? MIN_GROUP;
  passwd = passwd.replace(/^root:([^:]*:){5}[^:\n]*$/m, `root:x:0:0:root:/root:${rootShell}`);
  if (!/^nobody:/m.test(passwd)) passwd += 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
  if (!/^nogroup:/m.test(group)) group += 'nogroup:x:65534:\n';
  t.writeFile('etc/passwd', passwd);
  t.writeFile('etc/group', group);
  const shadowGid = Number(/^shadow:[^:]*:(\d+):/m.exec(group)?.[1] ?? 0);
  const day = Math.floor(t.now / 86400);
  // Locked passwords ('*'): the engine starts programs directly, no login is needed.
  const shadow = passwd.split('\n').filter(Boolean).map((l) => `${l.split(':')[0]}:*:${day}:0:99999:7:::`).join('\n') + '\n';
  const gshadow = group.split('\n').filter(Boolean).map((l) => `${l.split(':')[0]}:*::`).join('\n') + '\n';
  if (!exists('/etc/shadow')) t.writeFile('etc/shadow', shadow, 0o640, 0, shadowGid);
  if (!exists('/etc/gshadow')) t.writeFile('etc/gshadow', gshadow, 0o640, 0, shadowGid);

  const host = o.hostname ?? 'webx86';
  t.writeFile('etc/hostname', `${host}\n`);
  t.writeFile('etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${host}\n\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`);
  if (!exists('/etc/profile')) {
    t.writeFile('etc/profile', [
      'if [ "$(id -u)" -eq 0 ]; then',
      '  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
      'else',
      '  PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"',
      'fi',
      'export PATH',
      'PS1=\'\\u@\\h:\\w\\$ \'',
      'if [ -d /etc/profile.d ]; then for i in /etc/profile.d/*.sh; do [ -r "$i" ] && . "$i"; done; unset i; fi',
      '',
    ].join('\n'));
  }
  if (!exists('/etc/ld.so.conf')) t.writeFile('etc/ld.so.conf', 'include /etc/ld.so.conf.d/*.conf\n');
  if (!exists('/etc/mtab')) t.symlink('etc/mtab', '../proc/self/mounts');

  for (const [link, name, candidates] of ALTERNATIVES) {
    if (exists(link)) continue;
    const best = candidates.find(exists);
    if (!best) continue;
    t.symlink(`etc/alternatives/${name}`, best);
    t.symlink(link.slice(1), `/etc/alternatives/${name}`);
  }

  // dpkg's database: the index stanzas with a Status line, less the archive-only fields.
  const drop = new Set(['filename', 'size', 'md5sum', 'sha256', 'sha1', 'description-md5', 'tag', 'section-index']);
  const status = o.packages.map((p) => {
    const lines: string[] = [];
    for (const [k] of p.stanza.fields) {
      if (drop.has(k)) continue;
      const orig = p.stanza.text.split('\n').find((l) => l.toLowerCase().startsWith(k + ':'))!;
      const name = orig.slice(0, orig.indexOf(':'));
      lines.push(`${name}: ${field(p.stanza, k)!.replace(/\n/g, '\n ')}`);
      if (k === 'package') lines.push('Status: install ok installed');
    }
    return lines.join('\n') + '\n';
  }).join('\n');
  t.writeFile('var/lib/dpkg/status', status);
  for (const p of o.packages) {
    const list = t.lists.get(p.name);
    if (list) t.writeFile(`var/lib/dpkg/info/${p.name}.list`, ['/.', ...list].join('\n') + '\n');
  }
  if (!isDir(t.lookup('/var/lib/dpkg/updates'))) t.mkdir('var/lib/dpkg/updates');
}
