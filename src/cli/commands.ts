import type { Command } from '@commander-js/extra-typings';
import { registerAccounts } from './accounts.js';
import { registerDb } from './db.js';
import { registerOperations } from './operations.js';
import { registerOrders } from './orders.js';
import { registerProducts } from './products.js';
import { registerReport } from './report.js';
import { registerStock } from './stock.js';
import { registerSteps } from './steps.js';
import { registerUpdates } from './updates.js';
import { registerWarehouse } from './warehouse.js';

/** Every command group; each registers its commands with their options and help, implementations load lazily. */
export function registerCommands(program: Command): void {
  registerAccounts(program);
  registerDb(program);
  registerOperations(program);
  registerSteps(program);
  registerOrders(program);
  registerProducts(program);
  registerReport(program);
  registerStock(program);
  registerUpdates(program);
  registerWarehouse(program);
}
