/**
 * `npm run shell`: an interactive shell in the engine. Fetches Debian's static busybox for
 * i386 on first use (into .cache/), then runs `webx86 run -- /bin/sh` over it.
 */
import { busyboxBinDir } from '../src/host/node/debian-packages.js';
import { main } from '../src/host/node/cli.js';

process.stderr.write('webx86: preparing busybox (Debian busybox-static:i386)...\n');
const bin = busyboxBinDir();
process.stderr.write('webx86: starting /bin/sh; type exit to leave\n');
process.exitCode = await main(['run', '--mount', `${bin}:/bin`, '--env', 'PATH=/bin', '--env', 'HOME=/', '--env', `TERM=${process.env.TERM ?? 'xterm'}`, '--', '/bin/busybox', 'sh', ...process.argv.slice(2)]);
