import type { Knex } from 'knex';
import { AccountsRepo } from './repo/accounts.js';
import { DestinationsRepo } from './repo/destinations.js';
import { CancelRequestsRepo } from './repo/cancel-requests.js';
import { InboundRepo } from './repo/inbound.js';
import { LocksRepo } from './repo/locks.js';
import { OrderUpdatesRepo } from './repo/order-updates.js';
import { OrdersRepo } from './repo/orders.js';
import { OutboxRepo } from './repo/outbox.js';
import { ProductsRepo } from './repo/products.js';
import { ReportRepo } from './repo/report.js';
import { RunsRepo } from './repo/runs.js';
import { StatusRepo } from './repo/status.js';
import { StockRepo } from './repo/stock.js';
import type { Dialect } from './connection.js';

/**
 * The repository layer: the only code that touches tables. `transaction()` hands the callback a
 * repository bound to the transaction, so business steps compose repository calls atomically.
 */
export class Repository {
  readonly accounts: AccountsRepo;
  readonly runs: RunsRepo;
  readonly locks: LocksRepo;
  readonly orders: OrdersRepo;
  readonly orderUpdates: OrderUpdatesRepo;
  readonly cancelRequests: CancelRequestsRepo;
  readonly inbound: InboundRepo;
  readonly outbox: OutboxRepo;
  readonly status: StatusRepo;
  readonly report: ReportRepo;
  readonly stock: StockRepo;
  readonly products: ProductsRepo;
  readonly destinations: DestinationsRepo;

  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
  ) {
    this.accounts = new AccountsRepo(knex);
    this.runs = new RunsRepo(knex);
    this.locks = new LocksRepo(knex);
    this.orders = new OrdersRepo(knex);
    this.orderUpdates = new OrderUpdatesRepo(knex);
    this.cancelRequests = new CancelRequestsRepo(knex);
    this.inbound = new InboundRepo(knex, dialect);
    this.outbox = new OutboxRepo(knex);
    this.status = new StatusRepo(knex);
    this.report = new ReportRepo(knex);
    this.stock = new StockRepo(knex, dialect, this.batchSize);
    this.products = new ProductsRepo(knex, dialect, this.batchSize);
    this.destinations = new DestinationsRepo(knex, this.orders);
  }

  transaction<T>(work: (repo: Repository) => Promise<T>): Promise<T> {
    return this.knex.transaction((trx) => work(new Repository(trx, this.dialect)));
  }

  /** Largest row count per multi-row statement: SQLite compiles inserts into a compound SELECT capped at 500. */
  get batchSize(): number {
    return this.dialect === 'sqlite' ? 500 : 1000;
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}
