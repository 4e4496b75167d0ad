/**
 * AF_INET/AF_INET6 sockets: c/inetsock.c (TCP and UDP over 127.0.0.1 and ::1, v4-mapped
 * addresses, errors, getifaddrs and the interface ioctls) built with gcc -m32, run natively
 * and under the engine — with the in-VM loopback stack (no backend) and with the host
 * backend (guest sockets are the host's) — stdout and exit status must match. c/mmsg.c does the
 * same for sendmmsg(2) and recvmmsg(2).
 */
import { test } from 'node:test';
import { assertSameAsNative } from '../support/same-as-native.js';
import { HostStack } from '../../src/host/node/net-host.js';

const SRC = new URL('./c/', import.meta.url).pathname;

test('inetsock.c over the loopback stack (no backend) behaves as natively', () => assertSameAsNative(`${SRC}inetsock.c`, { nativeStatus: 0 }));

test('inetsock.c over the host backend behaves as natively', async () => {
  const host = new HostStack();
  try {
    await assertSameAsNative(`${SRC}inetsock.c`, { nativeStatus: 0, network: host });
  } finally {
    host.close();
  }
});

test('mmsg.c: sendmmsg and recvmmsg (UDP over 127.0.0.1, a UNIX datagram pair, socketcall) behave as natively', () => assertSameAsNative(`${SRC}mmsg.c`, { nativeStatus: 0 }));
