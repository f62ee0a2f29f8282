/**
 * A TCP relay on loopback that holds every piece of data for a fixed time in each direction, as a network
 * link's latency does: The Edge is a remote server, and each SFTP round trip of a run costs twice this
 * delay. Cheap on purpose (one timer per piece, no copying), so the relay's own CPU stays small beside what
 * it relays.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class LatencyRelay {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, oneWayDelayMs: number): Promise<LatencyRelay> {
    let relay: LatencyRelay | null = null;
    const server = createServer((client) => relay!.relay(client, targetPort, oneWayDelayMs));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the latency relay has no TCP port');
    relay = new LatencyRelay(server, address.port);
    return relay;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number, delayMs: number): void {
    const upstream = connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
    client.setNoDelay(true);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        (socket === client ? upstream : client).destroy();
      });
    }
    // Timers of one duration fire in the order they were set, so the pieces leave in the order they came.
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (piece: Buffer) => setTimeout(() => to.write(piece), delayMs));
      from.on('end', () => setTimeout(() => to.end(), delayMs));
    };
    forward(client, upstream);
    forward(upstream, client);
  }
}
