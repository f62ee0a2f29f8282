import type { Transport } from './transport.js';

/**
 * One connection for all the steps of an account's `sync`, opened by the first step that asks for one.
 * Each step borrows it under its own deadline; a connection that was lost, timed out or left with an
 * operation unanswered is closed and replaced by a fresh one for the next borrower. A login (key exchange,
 * a forked sshd and sftp-server) cost about 100 ms of CPU on both sides together, more than five of the six
 * steps' work for an account with ten orders (README, "PostgreSQL and many accounts").
 */
export class SharedConnection {
  private current: Transport | null = null;

  constructor(private readonly open: (deadline: number | undefined) => Promise<Transport>) {}

  async borrow(deadline: number | undefined): Promise<Transport> {
    if (!this.current?.reusable()) {
      const replaced = this.current;
      this.current = null;
      await replaced?.end();
      this.current = await this.open(deadline);
    }
    return this.current.lend(deadline ?? Number.POSITIVE_INFINITY);
  }

  async close(): Promise<void> {
    const last = this.current;
    this.current = null;
    await last?.end();
  }
}
