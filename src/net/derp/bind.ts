/**
 * WireGuard over DERP (tailscale.com/wgengine/magicsock derp.go): a peer's endpoint is its
 * node public key and the DERP region to use. Sending is a DERP SendPacket to that key;
 * a RecvPacket is handed to WireGuard with its source key, and the region it arrived on
 * becomes the way back (magicsock replies on the region it last heard a peer on).
 * Disco packets are told apart by their magic and dropped, or answered (disco.ts).
 */
import type { Bind, Device } from '../wireguard/device.js';
import type { DerpRegions } from './regions.js';
import { answerDisco, isDisco } from './disco.js';

export interface DerpEndpoint {
  key: Uint8Array;
  /** 0 = our home region. */
  region: number;
}

export interface DerpBindStats {
  wireguardIn: number;
  discoIn: number;
  discoAnswered: number;
  sendFailed: number;
}

export class DerpBind implements Bind<DerpEndpoint> {
  private device: Device<DerpEndpoint> | null = null;
  readonly stats: DerpBindStats = { wireguardIn: 0, discoIn: 0, discoAnswered: 0, sendFailed: 0 };

  /** `discoPrivate`: answer disco pings with pongs; null (default) drops disco. */
  constructor(private readonly regions: DerpRegions, private readonly discoPrivate: Uint8Array | null = null) {
    regions.onPacket = (src, packet, region) => this.receive(src, packet, region);
  }

  attach(device: Device<DerpEndpoint>): void {
    this.device = device;
  }

  send(msg: Uint8Array, ep: DerpEndpoint): void {
    if (!this.regions.send(ep.key, msg, ep.region)) this.stats.sendFailed++;
  }

  endpointBytes(ep: DerpEndpoint): Uint8Array {
    return ep.key;
  }

  /** A packet from DERP: disco is handled here, everything else goes to WireGuard. */
  receive(src: Uint8Array, packet: Uint8Array, region: number): void {
    if (isDisco(packet)) {
      this.stats.discoIn++;
      const pong = answerDisco(this.discoPrivate, packet, region);
      if (pong && this.regions.send(src, pong, region)) this.stats.discoAnswered++;
      return;
    }
    this.stats.wireguardIn++;
    this.device?.receive(packet, { key: src.slice(), region });
  }
}
