import type { Command } from 'commander';
import { registerAccounts } from './accounts.js';
import { registerDb } from './db.js';
import { registerOperations } from './operations.js';
import { registerOrders } from './orders.js';
import { registerProducts } from './products.js';
import { registerStock } from './stock.js';
import { registerUpdates } from './updates.js';
import { registerUpdatesOut } from './updates-out.js';
import { registerWarehouse } from './warehouse.js';

/** Every command group; each registers its commands with their options and help, implementations load lazily. */
export function registerCommands(program: Command): void {
  registerAccounts(program);
  registerDb(program);
  registerOperations(program);
  registerOrders(program);
  registerProducts(program);
  registerUpdatesOut(program);
  registerStock(program);
  registerUpdates(program);
  registerWarehouse(program);
}
