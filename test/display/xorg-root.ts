/**
 * The Debian i386 root the display tests run real Xorg in: xserver-xorg-core (Xorg with the
 * modesetting driver), xkbcomp and the keymaps, xdpyinfo (x11-utils), xwd (x11-apps), xrandr
 * (x11-xserver-utils), and their dependency closure as the image resolver
 * (src/host/node/image/resolve.ts) chose it for bookworm, less the Mesa DRI drivers and
 * LLVM (glamor and GLX are disabled in xorg.conf, so nothing loads them), udev, debconf,
 * PAM and dpkg (maintainer-script tools nothing here runs).
 */
import { debianRoot } from '../../src/host/node/debian-packages.js';

export const XORG_ROOT_PACKAGES = [
  'xserver-xorg-core', 'x11-utils', 'x11-xserver-utils', 'xkb-data', 'x11-xkb-utils', 'bash', 'coreutils', 'xserver-common',
  'libegl1', 'libaudit1', 'libbsd0', 'libc6', 'libdbus-1-3', 'libdrm2', 'libepoxy0', 'libgbm1', 'libgcrypt20', 'libgl1',
  'libpciaccess0', 'libpixman-1-0', 'libselinux1', 'libsystemd0', 'libudev1', 'libunwind8', 'libxau6', 'libxcvt0',
  'libxdmcp6', 'libxfont2', 'libxshmfence1', 'libfontconfig1', 'libfontenc1', 'libx11-6', 'libx11-xcb1', 'libxaw7',
  'libxcb-shape0', 'libxcb1', 'libxcomposite1', 'libxext6', 'libxft2', 'libxi6', 'libxinerama1', 'libxkbfile1', 'libxmu6',
  'libxmuu1', 'libxrandr2', 'libxrender1', 'libxt6', 'libxtst6', 'libxv1', 'libxxf86dga1', 'libxxf86vm1', 'libice6',
  'libxcursor1', 'libtinfo6', 'debianutils', 'libacl1', 'libattr1', 'libgmp10', 'x11-common', 'libblkid1', 'libcap2',
  'libkmod2', 'libglvnd0', 'libegl-mesa0', 'libaudit-common', 'libcap-ng0', 'libmd0', 'libgcc-s1', 'libdrm-common',
  'libexpat1', 'libwayland-server0', 'libgpg-error0', 'libglx0', 'zlib1g', 'libpcre2-8-0', 'liblz4-1', 'liblzma5',
  'libzstd1', 'libbz2-1.0', 'libfreetype6', 'fontconfig-config', 'libx11-data', 'libxpm4', 'libsm6', 'libxfixes3', 'mawk',
  'libssl3', 'libglapi-mesa', 'libwayland-client0', 'libxcb-dri2-0', 'libxcb-dri3-0', 'libxcb-present0', 'libxcb-randr0',
  'libxcb-sync1', 'libxcb-xfixes0', 'gcc-12-base', 'libffi8', 'libglx-mesa0', 'libbrotli1', 'libpng16-16',
  'fonts-dejavu-core', 'libuuid1', 'libcrypt1', 'libxcb-glx0', 'libxcb-shm0', 'libstdc++6', 'libatomic1',
  // xwd (x11-apps, without its man-db recommends-turned-depends chain) and grep.
  'x11-apps', 'libxcb-damage0', 'grep',
];

/** The unpacked root (built once into .cache/roots/xorg). */
export const xorgRoot = (): string => debianRoot('xorg', XORG_ROOT_PACKAGES);

/** The reference's xorg.conf (90-browser.conf) with the lean options of its §4.2, without the input devices (those are the evdev helper's). */
export const XORG_CONF = `Section "ServerFlags"
    Option "AutoAddDevices" "false"
EndSection
Section "Device"
    Identifier "kms"
    Driver     "modesetting"
    Option     "kmsdev" "/dev/dri/card0"
    Option     "AccelMethod" "none"
EndSection
Section "Extensions"
    Option "GLX" "Disable"
EndSection
`;
