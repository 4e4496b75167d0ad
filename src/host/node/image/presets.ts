/**
 * `webx86 image --preset NAME`: named images, each a package list plus the files that make
 * them work without maintainer scripts.
 *
 * `desktop`: Xorg with its modesetting driver on the machine's KMS device, the evdev input
 * driver on /dev/input/event0-1, xterm and i3. The X configuration is the one of
 * shared/reference/kms (90-browser.conf, verified with Xorg 21.1.7): input devices listed
 * statically (no udev in the machine, so AutoAddDevices is off), the card pinned, glamor and
 * GLX off (no GPU: they would only load Mesa's software rasteriser).
 *
 * Start it with `startx` (the demo's cmd; HOME=/root must be writable: xauth writes the
 * cookie to ~/.Xauthority and ~/.serverauth.PID, and startx needs `hostname` and util-linux's
 * `mcookie`, both in the base system) or `xinit /root/.xinitrc -- /usr/lib/xorg/Xorg :0`.
 * Measured on a merge with the KMS branch, Xorg, i3, i3bar and a tiled xterm are up in 43 s
 * of engine CPU (interpreter and JIT, Node).
 */
import { DEFAULT_PACKAGES } from './build.js';
import type { ImageCommand } from './run-in-image.js';

export interface Preset {
  description: string;
  packages: string[];
  /** Add the Essential/required base system. */
  base: boolean;
  /** Files written after the packages: path (absolute) → contents, and mode. */
  files: Record<string, { text: string; mode?: number }>;
  /** Programs run in the finished image once (run-in-image.ts), as the packages' maintainer scripts would. */
  run?: ImageCommand[];
}

/**
 * fontconfig's caches, made once at build time as fontconfig's trigger (fc-cache) would on
 * Debian. Without them the first fontconfig client of every session (i3, through pango)
 * scans all fonts, the 89 gzipped PCF fonts of xfonts-base above all, and writes the
 * caches: measured in Node (bench/desktop-profile.ts, JIT on), startx to the i3 bar took
 * 1.92 G guest instructions and i3 alone ~30 s of a 64 s start; with the caches in the
 * image 0.25 G and ~6 s. The caches are valid while the font directories' mtimes are the
 * image's, which they stay (an overlay does not touch them).
 */
/** The wrapper xkbcomp (XKBCOMP_CACHE). */
export const XKBCOMP_WRAPPER = `#!/bin/sh
# webx86: xkbcomp in front of the real one (/usr/bin/xkbcomp.real), with a cache of the keymaps
# it compiled for Xorg (src/host/node/image/presets.ts). Xorg runs xkbcomp at every start to
# compile the same keymap (~5 s of the machine's CPU, the most of any step before i3); a hit
# copies the .xkm compiled before. Only Xorg's form is cached: "-xkm -" (the keymap on stdin),
# the output file last. The key is every argument but the output, and the keymap text. Shell
# builtins only, but for the one cp (an exec costs the machine).
real=/usr/bin/xkbcomp.real
cache=/var/lib/xkb/webx86-cache
case " $* " in *" -xkm - "*) ;; *) exec "$real" "$@" ;; esac
out=
key=
for a; do
  [ -n "$out" ] && key="$key$out
"
  out=$a
done
input=
while IFS= read -r line || [ -n "$line" ]; do input="$input$line
"; done
key="$key
$input"
for k in "$cache"/*.key; do
  [ -f "$k" ] || continue
  cached=
  while IFS= read -r line || [ -n "$line" ]; do cached="$cached$line
"; done < "$k"
  if [ "$cached" = "$key" ] && cp "\${k%.key}.xkm" "$out" 2>/dev/null; then exit 0; fi
done
printf '%s' "$input" | "$real" "$@" || exit
if [ -w "$cache" ] && cp "$out" "$cache/$$.xkm" 2>/dev/null; then printf '%s' "$key" > "$cache/$$.key"; fi
exit 0
`;

/**
 * The keymaps Xorg asks xkbcomp for with the desktop's xorg.conf (no XKB options), as Xorg
 * 21.1.7 writes them to xkbcomp's stdin (captured from a run): first the core keyboard's
 * default (rules base: xfree86 keycodes), then the evdev keyboard's (rules evdev, model pc105,
 * layout us). Both are compiled at every start.
 */
const xorgKeymap = (keycodes: string, symbols: string) => `xkb_keymap "default" {
    xkb_keycodes             { include "${keycodes}+aliases(qwerty)" };
    xkb_types                { include "complete" };
    xkb_compatibility        { include "complete" };
    xkb_symbols              { include "pc+us+inet(${symbols})" };
    xkb_geometry             { include "pc(pc105)" };
};
`;
export const XORG_KEYMAPS = [xorgKeymap('xfree86', 'pc105'), xorgKeymap('evdev', 'evdev')];
export const XORG_XKBCOMP_ARGS = ['-w', '1', '-R/usr/share/X11/xkb', '-xkm', '-', '-em1', 'The XKEYBOARD keymap compiler (xkbcomp) reports:', '-emp', '> ', '-eml', 'Errors from xkbcomp are not fatal to the X server'];
const sq = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * Xorg's keymaps compiled once at build time: the real xkbcomp moves to xkbcomp.real, the
 * wrapper (XKBCOMP_WRAPPER, shell builtins and one cp) takes its place, and the keymaps Xorg
 * asks for at every start are compiled through it once, which fills its cache in
 * /var/lib/xkb/webx86-cache. Xorg (xkb/ddxLoad.c) has no cache of its own: it runs xkbcomp
 * at every start and deletes the .xkm after loading it. A keymap not in the cache (setxkbmap,
 * another layout) is compiled by the real xkbcomp and added to the cache when it is writable.
 */
export const XKBCOMP_CACHE: ImageCommand = {
  argv: ['/bin/sh', '-c', [
    'set -e',
    'mv /usr/bin/xkbcomp /usr/bin/xkbcomp.real',
    'mv /usr/lib/webx86/xkbcomp /usr/bin/xkbcomp',
    'mkdir -p /var/lib/xkb/webx86-cache',
    ...XORG_KEYMAPS.map((k) => `printf %s ${sq(k)} | /usr/bin/xkbcomp ${XORG_XKBCOMP_ARGS.map(sq).join(' ')} /tmp/webx86-prime.xkm`),
    'rm /tmp/webx86-prime.xkm',
    `test "$(ls /var/lib/xkb/webx86-cache | wc -l)" = ${2 * XORG_KEYMAPS.length}`,
  ].join('\n')],
  why: "Xorg's keymaps compiled into xkbcomp's cache",
};

export const FC_CACHE: ImageCommand = { argv: ['/usr/bin/fc-cache', '--system-only'], why: "fontconfig's caches (le32d4) in /var/cache/fontconfig" };

/** The desktop's /etc/X11/xorg.conf (test/display/xorg-input.test.ts runs Xorg with it). */
export const XORG_CONF = `# webx86: the machine's display. No udev runs, so input devices are listed here
# (/dev/input/event0 keyboard, event1 absolute pointer) and the KMS card is pinned.
Section "ServerFlags"
    Option "AutoAddDevices" "false"
EndSection

Section "InputDevice"
    Identifier "browser-keyboard"
    Driver     "evdev"
    Option     "Device" "/dev/input/event0"
    Option     "CoreKeyboard"
EndSection

Section "InputDevice"
    Identifier "browser-pointer"
    Driver     "evdev"
    Option     "Device" "/dev/input/event1"
    Option     "CorePointer"
EndSection

Section "Device"
    Identifier "kms"
    Driver     "modesetting"
    Option     "kmsdev" "/dev/dri/card0"
    # No GPU: glamor would load Mesa's software rasteriser for nothing.
    Option     "AccelMethod" "none"
EndSection

Section "Extensions"
    Option "GLX" "Disable"
EndSection
`;

/** i3's own defaults, less the first-run wizard (it asks which modifier to use): Mod1 (Alt), as the wizard's default. */
const I3_CONFIG = `# webx86 desktop: i3 with its usual bindings (mod = Alt)
set $mod Mod1
font pango:DejaVu Sans Mono 10
floating_modifier $mod
bindsym $mod+Return exec xterm
bindsym $mod+Shift+q kill
bindsym $mod+d exec --no-startup-id dmenu_run
bindsym $mod+Left focus left
bindsym $mod+Down focus down
bindsym $mod+Up focus up
bindsym $mod+Right focus right
bindsym $mod+Shift+Left move left
bindsym $mod+Shift+Down move down
bindsym $mod+Shift+Up move up
bindsym $mod+Shift+Right move right
bindsym $mod+h split h
bindsym $mod+v split v
bindsym $mod+f fullscreen toggle
bindsym $mod+s layout stacking
bindsym $mod+w layout tabbed
bindsym $mod+e layout toggle split
bindsym $mod+Shift+space floating toggle
bindsym $mod+1 workspace number 1
bindsym $mod+2 workspace number 2
bindsym $mod+3 workspace number 3
bindsym $mod+4 workspace number 4
bindsym $mod+Shift+1 move container to workspace number 1
bindsym $mod+Shift+2 move container to workspace number 2
bindsym $mod+Shift+3 move container to workspace number 3
bindsym $mod+Shift+4 move container to workspace number 4
bindsym $mod+Shift+c reload
bindsym $mod+Shift+r restart
bindsym $mod+Shift+e exit
bar {
    status_command i3status
}
exec --no-startup-id xterm
`;

export const PRESETS: Record<string, Preset> = {
  default: {
    description: 'a terminal system: bash, coreutils, python3, gcc, git, vim-tiny, curl…',
    packages: DEFAULT_PACKAGES,
    base: true,
    files: {},
  },
  desktop: {
    description: 'Xorg (modesetting on /dev/dri/card0, evdev input), xterm and i3: `startx` in an <x-vm> with an <x-kms-display>',
    packages: [
      'bash', 'coreutils', 'procps', 'less', 'vim-tiny',
      'xserver-xorg-core', 'xserver-xorg-input-evdev', 'xinit', 'xauth', 'xterm',
      'i3-wm', 'i3status', 'suckless-tools',
      'fonts-dejavu-core', 'xfonts-base',
      'x11-xserver-utils', 'x11-utils', 'x11-apps',
    ],
    base: true,
    files: {
      '/etc/X11/xorg.conf.d/90-webx86.conf': { text: XORG_CONF },
      '/root/.xinitrc': { text: '#!/bin/sh\n# xinit (or startx) runs this: the window manager (it starts an xterm).\nexec i3\n', mode: 0o755 },
      '/root/.config/i3/config': { text: I3_CONFIG },
      // Xorg writes its compiled keymap and its log here.
      '/var/lib/xkb/README.webx86': { text: 'Xorg keeps compiled keymaps (server-N.xkm) here.\n' },
      '/usr/lib/webx86/xkbcomp': { text: XKBCOMP_WRAPPER, mode: 0o755 },
    },
    run: [FC_CACHE, XKBCOMP_CACHE],
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}
