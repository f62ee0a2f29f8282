import type { Knex } from 'knex';

/**
 * Migrations are a static list (no directory scanning: it breaks between tsx and compiled output and
 * resolves against the working directory, which is $HOME under cron). Append new migrations; never edit
 * one that has shipped.
 */
interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const initialSchema: Migration = {
  name: '0001_initial_schema',
  async up(knex) {
    await knex.schema.createTable('accounts', (t) => {
      t.increments('id').primary();
      t.string('name', 64).notNullable().unique();
      t.string('transport', 8).notNullable(); // 'sftp' | 'local'
      t.string('host', 255);
      t.integer('port').notNullable().defaultTo(22);
      t.string('username', 255);
      t.string('password_env', 255); // the NAME of the variable holding the password, never the password
      t.string('private_key_path', 1024);
      t.string('host_key', 128);
      t.string('local_root', 1024);
      t.string('root', 64).notNullable().defaultTo('/live');
      t.integer('lead_time_days').notNullable().defaultTo(3);
      t.integer('handling_days').notNullable().defaultTo(0);
      t.string('traded_code_source', 8).notNullable().defaultTo('none'); // 'none' | 'sku' | 'ean'
      t.string('encoding', 32).notNullable().defaultTo('utf-8');
      t.string('stock_upload', 8).notNullable().defaultTo('direct'); // 'direct' | 'rename'
      t.text('carrier_map').notNullable().defaultTo('{}'); // JSON: seller carrier name → Edge code
      t.boolean('enabled').notNullable().defaultTo(true);
      t.string('created_at', 32).notNullable();
      t.string('updated_at', 32).notNullable();
    });

    await knex.schema.createTable('account_paths', (t) => {
      t.integer('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('label', 40).notNullable();
      t.string('path', 1024).notNullable();
      t.primary(['account_id', 'label']);
    });

    await knex.schema.createTable('products', (t) => {
      t.increments('id').primary();
      t.integer('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('sku', 64).notNullable();
      t.string('channel_item_id', 8);
      t.string('ean', 14);
      t.string('title', 255);
      t.integer('lead_time_days');
      t.integer('stock').notNullable().defaultTo(0);
      // What the last successful push sent: delta = (stock, lead time) differ from these, or resend.
      t.integer('pushed_stock');
      t.integer('pushed_lead_time_days');
      t.string('pushed_traded_code', 20);
      t.string('pushed_at', 32);
      t.boolean('resend').notNullable().defaultTo(false);
      t.string('created_at', 32).notNullable();
      t.string('updated_at', 32).notNullable();
      t.unique(['account_id', 'sku']);
      t.unique(['account_id', 'channel_item_id']);
    });

    // Inbound files (orders, stock error files): one row per file, raw content kept.
    await knex.schema.createTable('inbound_files', (t) => {
      t.increments('id').primary();
      t.integer('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('flow', 32).notNullable(); // 'OrderDownload' | 'StockUpdateError'
      t.string('remote_dir', 1024).notNullable();
      t.string('remote_name', 255).notNullable();
      t.integer('size').notNullable();
      t.string('sha256', 64).notNullable();
      t.binary('raw'); // null once pruned
      t.string('status', 16).notNullable(); // received | processed | rejected | duplicate
      t.text('error');
      // Moving or deleting the remote file happens after the commit; 'pending' is retried next run.
      t.string('remote_disposal', 16); // null | pending | done
      t.string('disposal_target', 1024);
      t.string('received_at', 32).notNullable();
      t.string('processed_at', 32);
      t.unique(['account_id', 'remote_name', 'sha256']);
    });

    await knex.schema.createTable('orders', (t) => {
      t.increments('id').primary();
      t.integer('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('order_number', 32).notNullable();
      t.string('status', 24).notNullable();
      t.integer('inbound_file_id').references('inbound_files.id');
      t.string('test_flag', 1);
      t.string('order_date', 32);
      t.text('fields').notNullable().defaultTo('{}'); // every order-section column of the file, JSON
      t.string('acknowledged_at', 32);
      t.string('created_at', 32).notNullable();
      t.string('updated_at', 32).notNullable();
      t.unique(['account_id', 'order_number']);
      t.index(['account_id', 'status']);
    });

    await knex.schema.createTable('order_lines', (t) => {
      t.increments('id').primary();
      t.integer('order_id').notNullable().references('orders.id').onDelete('CASCADE');
      t.integer('position').notNullable();
      t.string('line_ref', 64).notNullable();
      t.string('part_number', 32).notNullable();
      t.integer('product_id').references('products.id').onDelete('SET NULL');
      t.integer('quantity').notNullable();
      t.integer('shipped_quantity').notNullable().defaultTo(0);
      t.integer('cancelled_quantity').notNullable().defaultTo(0);
      t.integer('refunded_quantity').notNullable().defaultTo(0);
      t.string('unit_price', 32);
      t.text('fields').notNullable().defaultTo('{}'); // every item column of the file, JSON
      t.index(['order_id']);
    });

    await knex.schema.createTable('order_errors', (t) => {
      t.increments('id').primary();
      t.integer('order_id').notNullable().references('orders.id').onDelete('CASCADE');
      t.string('severity', 8).notNullable(); // high | low
      t.text('message').notNullable();
      t.string('created_at', 32).notNullable();
    });

    // Outgoing files: rendered and stored with their final name before any upload (SPEC §6.2).
    await knex.schema.createTable('outbox', (t) => {
      t.increments('id').primary();
      t.integer('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('flow', 40).notNullable(); // path label: OrderAcknowledge | OrderShipment | …
      t.integer('order_id').references('orders.id').onDelete('CASCADE');
      t.string('remote_dir', 1024).notNullable();
      t.string('remote_name', 255).notNullable();
      t.binary('content'); // null for streamed inventory files (kept on disk only while uploading)
      t.integer('size').notNullable();
      t.string('sha256', 64).notNullable();
      t.boolean('marker').notNullable();
      t.string('status', 16).notNullable(); // pending | sent | failed
      t.integer('attempts').notNullable().defaultTo(0);
      t.text('last_error');
      t.integer('row_count');
      t.string('created_at', 32).notNullable();
      t.string('updated_at', 32).notNullable();
      t.string('sent_at', 32);
      t.unique(['account_id', 'remote_dir', 'remote_name']);
      t.index(['account_id', 'status']);
      t.index(['order_id']);
    });

    // Shipments, pre-shipment cancellations and refunds recorded by people and scripts.
    await knex.schema.createTable('order_updates', (t) => {
      t.increments('id').primary();
      t.integer('order_id').notNullable().references('orders.id').onDelete('CASCADE');
      t.string('kind', 16).notNullable(); // shipment | cancellation | refund
      t.string('carrier', 64);
      t.string('tracking_number', 128);
      t.string('tracking_url', 1024);
      t.string('dispatch_date', 10);
      t.string('delivery_date', 10);
      t.text('reason');
      t.string('amount', 32);
      t.integer('outbox_id').references('outbox.id').onDelete('SET NULL');
      t.string('created_at', 32).notNullable();
      t.index(['order_id', 'kind']);
    });

    await knex.schema.createTable('order_update_lines', (t) => {
      t.increments('id').primary();
      t.integer('update_id').notNullable().references('order_updates.id').onDelete('CASCADE');
      t.integer('line_id').notNullable().references('order_lines.id').onDelete('CASCADE');
      t.integer('quantity').notNullable();
    });

    await knex.schema.createTable('stock_errors', (t) => {
      t.increments('id').primary();
      t.integer('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
      t.integer('product_id').references('products.id').onDelete('SET NULL');
      t.integer('inbound_file_id').references('inbound_files.id').onDelete('SET NULL');
      t.string('part_number', 64).notNullable();
      t.text('message').notNullable();
      t.string('created_at', 32).notNullable();
      t.string('cleared_at', 32);
      t.string('cleared_by', 64); // 'push' | 'manual'
      t.index(['account_id', 'cleared_at']);
    });

    await knex.schema.createTable('runs', (t) => {
      t.increments('id').primary();
      t.string('step', 40).notNullable();
      t.integer('account_id').references('accounts.id').onDelete('CASCADE');
      t.string('started_at', 32).notNullable();
      t.string('ended_at', 32);
      t.string('outcome', 16); // ok | partial | failed | locked | dry-run
      t.integer('exit_code');
      t.text('counts').notNullable().defaultTo('{}');
      t.text('error');
      t.index(['account_id', 'step', 'started_at']);
    });

    await knex.schema.createTable('locks', (t) => {
      t.string('step', 40).notNullable();
      t.string('account', 64).notNullable();
      t.string('owner', 64).notNullable();
      t.integer('pid').notNullable();
      t.string('host', 255).notNullable();
      t.string('acquired_at', 32).notNullable();
      t.string('heartbeat_at', 32).notNullable();
      t.primary(['step', 'account']);
    });
  },
  async down(knex) {
    for (const table of [
      'locks',
      'runs',
      'stock_errors',
      'order_update_lines',
      'order_updates',
      'outbox',
      'order_errors',
      'order_lines',
      'orders',
      'inbound_files',
      'products',
      'account_paths',
      'accounts',
    ]) {
      await knex.schema.dropTableIfExists(table);
    }
  },
};

/** SPEC §5.8: where orders go (destinations) and the files written to them, with the orders each carried. */
const warehouseRoundTrip: Migration = {
  name: '0002_warehouse_round_trip',
  async up(knex) {
    await knex.schema.createTable('destinations', (t) => {
      t.increments('id').primary();
      t.string('name', 64).notNullable().unique();
      // null: every account's orders go there
      t.integer('account_id').references('accounts.id').onDelete('CASCADE');
      t.string('transport', 8).notNullable(); // 'local' | 'sftp'
      t.string('dir', 1024); // local folder
      t.string('host', 255);
      t.integer('port').notNullable().defaultTo(22);
      t.string('username', 255);
      t.string('password_env', 255); // the NAME of the variable holding the password, never the password
      t.string('private_key_path', 1024);
      t.string('host_key', 128);
      t.string('path', 1024); // remote folder
      t.string('inbox', 1024); // folder files come back to: local path or remote path, per transport
      t.string('created_at', 32).notNullable();
      t.string('updated_at', 32).notNullable();
    });

    // Files for a destination, stored under their final name before they are written (SPEC §6.2).
    await knex.schema.createTable('destination_files', (t) => {
      t.increments('id').primary();
      t.integer('destination_id').notNullable().references('destinations.id').onDelete('CASCADE');
      t.integer('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('kind', 16).notNullable(); // 'orders' | 'cancellations'
      t.string('file_name', 255).notNullable();
      t.binary('content').notNullable();
      t.integer('size').notNullable();
      t.string('sha256', 64).notNullable();
      t.integer('row_count').notNullable();
      t.string('status', 16).notNullable(); // pending | written
      t.integer('attempts').notNullable().defaultTo(0);
      t.text('last_error');
      t.string('created_at', 32).notNullable();
      t.string('written_at', 32);
      t.unique(['destination_id', 'file_name']);
      t.index(['destination_id', 'status']);
    });

    // What each file carried: an order (update_id null) or one of its cancellations. `item_key`
    // (order:<id> or cancellation:<update id>) is unique per destination, so each goes there once.
    await knex.schema.createTable('destination_file_items', (t) => {
      t.increments('id').primary();
      t.integer('file_id').notNullable().references('destination_files.id').onDelete('CASCADE');
      t.integer('destination_id').notNullable().references('destinations.id').onDelete('CASCADE');
      t.integer('order_id').notNullable().references('orders.id').onDelete('CASCADE');
      t.integer('update_id').references('order_updates.id').onDelete('CASCADE');
      t.string('item_key', 40).notNullable();
      t.unique(['destination_id', 'item_key']);
      t.index(['order_id']);
    });
  },
  async down(knex) {
    for (const table of ['destination_file_items', 'destination_files', 'destinations']) {
      await knex.schema.dropTableIfExists(table);
    }
  },
};

/** Per-account staleness thresholds of sync steps; a step without a row uses its default. */
const accountStaleAfter: Migration = {
  name: '0003_account_stale_after',
  async up(knex) {
    await knex.schema.createTable('account_stale_after', (t) => {
      t.integer('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('step', 40).notNullable();
      t.integer('minutes').notNullable(); // 0: never stale
      t.primary(['account_id', 'step']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('account_stale_after');
  },
};

/** SPEC §4.8: customer cancellation requests, their lines, and the two account settings that govern them. */
const cancelRequests: Migration = {
  name: '0004_cancel_requests',
  async up(knex) {
    await knex.schema.alterTable('accounts', (t) => {
      t.boolean('auto_accept_cancellations').notNullable().defaultTo(false);
      t.integer('cancel_request_alert_minutes').notNullable().defaultTo(60);
    });
    await knex.schema.createTable('cancel_requests', (t) => {
      t.increments('id').primary();
      t.integer('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
      t.integer('inbound_file_id').notNullable().references('inbound_files.id');
      // The order may arrive after its request: the number is kept, the order joined once it is stored.
      t.string('order_number', 32).notNullable();
      t.integer('order_id').references('orders.id').onDelete('CASCADE');
      t.string('status', 16).notNullable(); // requested | accepted | rejected
      t.text('fields').notNullable().defaultTo('{}'); // the order section of the file, JSON
      t.text('problem'); // why it cannot be applied (yet): unknown order or line
      t.string('received_at', 32).notNullable();
      t.string('answered_at', 32);
      t.string('answered_by', 128);
      t.text('answer'); // why: the rejection reason, or what an acceptance could not cancel
      t.integer('update_id').references('order_updates.id').onDelete('SET NULL'); // the cancellation recorded
      t.index(['account_id', 'status']);
      t.index(['order_id', 'status']);
    });
    await knex.schema.createTable('cancel_request_lines', (t) => {
      t.increments('id').primary();
      t.integer('request_id').notNullable().references('cancel_requests.id').onDelete('CASCADE');
      t.integer('file_line').notNullable();
      t.string('line_ref', 64).notNullable();
      t.integer('line_id').references('order_lines.id').onDelete('SET NULL');
      t.integer('quantity').notNullable();
      t.text('reason');
      t.text('fields').notNullable().defaultTo('{}');
      t.index(['request_id']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('cancel_request_lines');
    await knex.schema.dropTableIfExists('cancel_requests');
    await knex.schema.alterTable('accounts', (t) => {
      t.dropColumn('auto_accept_cancellations');
      t.dropColumn('cancel_request_alert_minutes');
    });
  },
};

/**
 * Issue 18, SFTP servers as they are in the wild: a passphrase for an encrypted key (by variable name),
 * legacy algorithms allowed by name, several host-key pins and roots deeper than /live. SQLite does not
 * enforce string lengths; PostgreSQL does, so there the two columns become text.
 */
const sftpServerVariants: Migration = {
  name: '0005_sftp_server_variants',
  async up(knex) {
    await knex.schema.alterTable('accounts', (t) => {
      t.string('passphrase_env', 255); // the NAME of the variable holding the key's passphrase
      t.text('legacy_algorithms').notNullable().defaultTo(''); // comma-separated algorithm names
    });
    if (knex.client.config.client === 'pg') {
      await knex.raw('alter table accounts alter column host_key type text, alter column root type text');
    }
  },
  async down(knex) {
    await knex.schema.alterTable('accounts', (t) => {
      t.dropColumn('passphrase_env');
      t.dropColumn('legacy_algorithms');
    });
  },
};

/** SPEC §2 stock rules (account defaults, product overrides) and §5.5's acknowledgement alert. */
const stockRulesAndAckAlert: Migration = {
  name: '0006_stock_rules_and_ack_alert',
  async up(knex) {
    await knex.schema.alterTable('accounts', (t) => {
      t.integer('stock_buffer').notNullable().defaultTo(0);
      t.integer('stock_share').notNullable().defaultTo(100); // percent
      t.integer('stock_max'); // null: no maximum
      t.integer('ack_alert_minutes').notNullable().defaultTo(60);
    });
    await knex.schema.alterTable('products', (t) => {
      t.integer('stock_buffer'); // null: the account's
      t.integer('stock_max'); // null: the account's
      t.boolean('active').notNullable().defaultTo(true);
    });
  },
  async down(knex) {
    await knex.schema.alterTable('products', (t) => {
      t.dropColumns('stock_buffer', 'stock_max', 'active');
    });
    await knex.schema.alterTable('accounts', (t) => {
      t.dropColumns('stock_buffer', 'stock_share', 'stock_max', 'ack_alert_minutes');
    });
  },
};

/**
 * What happened to an order besides its files and updates: an incomplete order replaced by a corrected
 * file (the old file and its errors stay named here), or dismissed by a person with a reason.
 */
const orderHistory: Migration = {
  name: '0007_order_history',
  async up(knex) {
    await knex.schema.createTable('order_history', (t) => {
      t.increments('id').primary();
      t.integer('order_id').notNullable().references('orders.id').onDelete('CASCADE');
      t.string('event', 16).notNullable(); // replaced | dismissed
      t.integer('inbound_file_id').references('inbound_files.id'); // replaced: the file that was replaced
      t.text('detail').notNullable(); // replaced: the old file's errors; dismissed: the reason
      t.string('created_at', 32).notNullable();
      t.index(['order_id']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('order_history');
  },
};

/**
 * A destination pins its server's host keys as an account does (one per key type, comma-separated):
 * PostgreSQL enforces string lengths that SQLite does not, so there the column becomes text, as issue 18
 * did for accounts. Nothing to undo: text holds every value the old column held.
 */
const destinationHostKeys: Migration = {
  name: '0008_destination_host_keys',
  async up(knex) {
    if (knex.client.config.client === 'pg') {
      await knex.raw('alter table destinations alter column host_key type text');
    }
  },
  async down() {},
};

/** SPEC §5.9: the heartbeat URL a cron monitor gives this account (null: JL_EDGE_PING_URL, or none). */
const accountPingUrl: Migration = {
  name: '0009_account_ping_url',
  async up(knex) {
    await knex.schema.alterTable('accounts', (t) => {
      t.string('ping_url', 2000);
    });
  },
  async down(knex) {
    await knex.schema.alterTable('accounts', (t) => {
      t.dropColumn('ping_url');
    });
  },
};

/**
 * A warehouse file rejected from an inbox keeps `status` red until a person marks it handled (SPEC §5.9),
 * with the reason they gave: a rejection must be seen, and must not stay red forever.
 */
const inboxFileHandled: Migration = {
  name: '0010_inbox_file_handled',
  async up(knex) {
    await knex.schema.alterTable('inbound_files', (t) => {
      t.string('handled_at', 32);
      t.text('handled_reason');
    });
  },
  async down(knex) {
    await knex.schema.alterTable('inbound_files', (t) => {
      t.dropColumn('handled_at');
      t.dropColumn('handled_reason');
    });
  },
};

/**
 * Indexes for a folder that keeps every file ever sent (SPEC §4.2: remote files are left in place), so a
 * run's cost follows its new files, not the history. A listing is checked against the log by account,
 * flow, name and size from the index alone (measured on 50,000 logged files: 79 ms against 340 ms through
 * the unique key, which reads each row, raw bytes and all). Disposals left pending are looked for on
 * every run; without an index that read every row of the log to find none.
 */
const inboundListingIndexes: Migration = {
  name: '0011_inbound_listing_indexes',
  async up(knex) {
    await knex.schema.alterTable('inbound_files', (t) => {
      t.index(['account_id', 'flow', 'remote_name', 'size'], 'inbound_files_listed');
    });
    await knex.raw(
      "create index inbound_files_pending_disposal on inbound_files (account_id, flow) where remote_disposal = 'pending'",
    );
  },
  async down(knex) {
    await knex.raw('drop index inbound_files_pending_disposal');
    await knex.schema.alterTable('inbound_files', (t) => {
      t.dropIndex(['account_id', 'flow', 'remote_name', 'size'], 'inbound_files_listed');
    });
  },
};

/**
 * Indexes for a database that keeps every order (`prune` never removes one), so `status` and `orders list`
 * follow the open work, not a year of history (measured on 500,000 orders / 2,000,000 lines, `npm run
 * bench` status-large-db and orders-list-large-db). Unsent updates are found by `outbox_id` (null, or a
 * file not sent) instead of reading every update ever sent; an update's lines and an order's errors by
 * their parent instead of a scan of the table; rejected files by status instead of the whole log; orders
 * of one status across accounts (`orders list --status`) in id order instead of from the first order.
 */
const historyIndexes: Migration = {
  name: '0012_history_indexes',
  async up(knex) {
    await knex.schema.alterTable('orders', (t) => t.index(['status']));
    await knex.schema.alterTable('order_updates', (t) => t.index(['outbox_id']));
    await knex.schema.alterTable('order_update_lines', (t) => t.index(['update_id']));
    await knex.schema.alterTable('order_errors', (t) => t.index(['order_id']));
    await knex.schema.alterTable('inbound_files', (t) => t.index(['account_id', 'status']));
  },
  async down(knex) {
    await knex.schema.alterTable('inbound_files', (t) => t.dropIndex(['account_id', 'status']));
    await knex.schema.alterTable('order_errors', (t) => t.dropIndex(['order_id']));
    await knex.schema.alterTable('order_update_lines', (t) => t.dropIndex(['update_id']));
    await knex.schema.alterTable('order_updates', (t) => t.dropIndex(['outbox_id']));
    await knex.schema.alterTable('orders', (t) => t.dropIndex(['status']));
  },
};

/**
 * `status` reads the newest runs of each step; the log keeps 90 days of five-minute runs (the weekly
 * `prune --older-than 90` of crontab.example), about 200,000 rows, which it read whole three times
 * (1.5 s a `status`, and cron runs `status` every five minutes). By (account, step, id), the newest run
 * of a step is one seek.
 */
const runLogIndex: Migration = {
  name: '0013_run_log_index',
  async up(knex) {
    await knex.schema.alterTable('runs', (t) => t.index(['account_id', 'step', 'id']));
  },
  async down(knex) {
    await knex.schema.alterTable('runs', (t) => t.dropIndex(['account_id', 'step', 'id']));
  },
};

/**
 * PostgreSQL: room in each page of products for the row versions a push writes. PostgreSQL never updates
 * a row in place: recording what was sent writes a new version of every product a first push carries.
 * When the version fits in its row's page it is a heap-only update (HOT: no entry in any index, as no
 * indexed column changes); when it does not, it goes to another page and gets a new entry in each of the
 * three indexes, two of them unique and checked. COPY fills pages to the fillfactor, 100 by default, so a
 * first push after an import found no room at all (measured on 200,000 products: 0 of 200,000 updates
 * HOT, 4.7 s of server CPU; at 45, 200,000 of 200,000, 1.2–1.8 s; at 50 only 82 % fit, 80 and 70 saved
 * almost nothing). A row's new version is larger than its old one (the pushed values fill columns that
 * were null), so a page must stay more than half empty for all of its rows to be recorded in one
 * transaction. The table is about twice as large on disk, as large as it grows anyway after a first push
 * without the room (every row then has a dead version elsewhere). Pages written before this migration
 * keep their fill. SQLite updates rows in place: nothing to do there.
 */
const productsRoomForPushRecords: Migration = {
  name: '0014_products_room_for_push_records',
  async up(knex) {
    if (knex.client.config.client === 'pg') await knex.raw('alter table products set (fillfactor = 45)');
  },
  async down(knex) {
    if (knex.client.config.client === 'pg') await knex.raw('alter table products reset (fillfactor)');
  },
};

const migrations: Migration[] = [
  initialSchema,
  warehouseRoundTrip,
  accountStaleAfter,
  cancelRequests,
  sftpServerVariants,
  stockRulesAndAckAlert,
  orderHistory,
  destinationHostKeys,
  accountPingUrl,
  inboxFileHandled,
  inboundListingIndexes,
  historyIndexes,
  runLogIndex,
  productsRoomForPushRecords,
];

export const MIGRATION_NAMES: readonly string[] = migrations.map((m) => m.name);

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};
