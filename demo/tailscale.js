// @ts-check
// The Tailscale page: `#authKey=…&controlUrl=…` (as WebVM accepts them) fill the login
// element's attributes before the VM boots; then the bundle loads.
import { loadWebx86 } from './demo.js';

const params = new URLSearchParams(location.hash.slice(1));
const login = document.querySelector('x-tailscale-login');
for (const [param, attr] of [['authKey', 'auth-key'], ['controlUrl', 'control-url'], ['exitNode', 'exit-node']]) {
  const v = params.get(param);
  if (v && login) login.setAttribute(attr, v);
}
if (login && params.get('authKey')) login.setAttribute('autologin', '');
await loadWebx86();
