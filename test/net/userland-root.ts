/**
 * The Debian root the network tests run userland in ('net-userland'): the glibc root plus
 * curl, git, iproute2, ping and pip with their libraries (apt-cache depends --recurse,
 * bookworm i386). One list, so every test that names this root asks for the same packages
 * (two lists under one name rebuilt the root back and forth under each other).
 */
import { GLIBC_ROOT_PACKAGES, debianRoot } from '../../src/host/node/debian-packages.js';

export const NET_ROOT_PACKAGES = [
  ...GLIBC_ROOT_PACKAGES,
  'curl', 'libcurl4', 'libbrotli1', 'libcom-err2', 'libdb5.3', 'libgnutls30', 'libgssapi-krb5-2', 'libhogweed6', 'libidn2-0',
  'libk5crypto3', 'libkeyutils1', 'libkrb5-3', 'libkrb5support0', 'libldap-2.5-0', 'libnettle8', 'libnghttp2-14', 'libp11-kit0',
  'libpsl5', 'librtmp1', 'libsasl2-2', 'libsasl2-modules-db', 'libssh2-1', 'libtasn1-6', 'libunistring2', 'libzstd1',
  'git', 'iproute2', 'libbpf1', 'libelf1', 'libmnl0', 'libxtables12', 'libcap2', 'libbsd0', 'libmd0', 'libtirpc3', 'libtirpc-common',
  'iputils-ping',
  'python3-pip', 'python3-setuptools', 'python3-wheel', 'python3-pkg-resources', 'python3-distutils', 'python3-lib2to3',
];

/** The root's directory, built (downloads included) if missing. */
export function netUserlandRoot(): string {
  return debianRoot('net-userland', NET_ROOT_PACKAGES);
}
