/**
 * A TCP relay between jl-edge and the test sshd that misbehaves on request (SPEC §9 network faults): it
 * can cut the connection once a number of bytes has passed in one direction, stall (stop forwarding,
 * keep the sockets open: a frozen network), or slow one direction to a trickle. The byte counts of the
 * last connection tell a test how much traffic a clean run makes, so a cut can be aimed at a phase
 * (the listing, a file's body) by calibrating first.
 *
 *   const proxy = await FaultProxy.start(server.port);
 *   proxy.plan({ cut: { toClient: 40_000 } });   // applies to the next connections
 *   … run the binary against 127.0.0.1:proxy.port …
 *   proxy.stop();
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type Direction = 'toServer' | 'toClient';

export interface FaultPlan {
  /** Destroy both sockets once this many bytes have passed in that direction (the rest is not sent). */
  cut?: Partial<Record<Direction, number>>;
  /** Stop forwarding in both directions once this many bytes have passed in that direction. */
  stall?: Partial<Record<Direction, number>>;
  /** Forward this direction at about this many bytes per second (after `trickleAfter` bytes). */
  trickle?: { direction: Direction; bytesPerSecond: number; after?: number };
}

export interface ConnectionTraffic {
  toServer: number;
  toClient: number;
  /** Why the proxy ended the connection, when it did. */
  fault: 'cut' | 'stall' | null;
}

export class FaultProxy {
  private current: FaultPlan = {};
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** One entry per connection accepted, in order. */
  readonly connections: ConnectionTraffic[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<FaultProxy> {
    let proxy: FaultProxy | null = null;
    const server = createServer((client) => proxy!.relay(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the fault proxy has no TCP port');
    proxy = new FaultProxy(server, address.port);
    return proxy;
  }

  /** The faults of the connections accepted from now on (none: a plain relay). */
  plan(plan: FaultPlan = {}): void {
    this.current = plan;
  }

  /** The traffic of the last connection. */
  get last(): ConnectionTraffic {
    const last = this.connections.at(-1);
    if (!last) throw new Error('the fault proxy has relayed no connection');
    return last;
  }

  /** Destroys every open connection now. */
  cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number): void {
    const plan = this.current;
    const traffic: ConnectionTraffic = { toServer: 0, toClient: 0, fault: null };
    this.connections.push(traffic);
    const upstream = connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
    client.setNoDelay(true);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      // A reset from either side ends both; the error itself is the point of the exercise.
      socket.on('error', () => undefined);
      socket.on('close', () => (socket === client ? upstream : client).destroy());
    }
    let stalled = false;
    const forward = (direction: Direction, from: Socket, to: Socket): void => {
      // Chunks wait their turn here when trickling, so they leave in order.
      let queue = Promise.resolve();
      from.on('data', (chunk: Buffer) => {
        if (stalled || traffic.fault === 'cut') return;
        const cutAt = plan.cut?.[direction];
        const stallAt = plan.stall?.[direction];
        const limit = Math.min(cutAt ?? Infinity, stallAt ?? Infinity);
        let piece = chunk;
        if (traffic[direction] + chunk.length >= limit) {
          piece = chunk.subarray(0, Math.max(0, limit - traffic[direction]));
          if (limit === cutAt) {
            traffic.fault = 'cut';
            traffic[direction] += piece.length;
            to.write(piece, () => {
              client.destroy();
              upstream.destroy();
            });
            return;
          }
          traffic.fault = 'stall';
          stalled = true;
        }
        traffic[direction] += piece.length;
        const trickle = plan.trickle?.direction === direction ? plan.trickle : null;
        if (!trickle || traffic[direction] - piece.length < (trickle.after ?? 0)) {
          to.write(piece);
          return;
        }
        from.pause();
        queue = queue
          .then(() => this.sendSlowly(piece, to, trickle.bytesPerSecond))
          .then(() => {
            from.resume();
          });
      });
    };
    forward('toServer', client, upstream);
    forward('toClient', upstream, client);
  }

  /** Writes `data` in pieces of a tenth of a second's worth. */
  private async sendSlowly(data: Buffer, to: Socket, bytesPerSecond: number): Promise<void> {
    const piece = Math.max(1, Math.floor(bytesPerSecond / 10));
    for (let offset = 0; offset < data.length && !to.destroyed; offset += piece) {
      to.write(data.subarray(offset, offset + piece));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, 100);
        this.timers.add(timer);
      });
    }
  }
}
