import type { Command } from '@commander-js/extra-typings';
import { PRODUCT_FIELDS, PRODUCT_HEADER_NAMES } from '../formats/product-csv.js';
import type { ProductDetail, ProductList } from '../commands/products.js';
import { handler, parseWholeNumberOption } from './action.js';
import { okOutput, stepOutput } from './output.js';
import { INBOX_HELP, fileOrInbox, withInboxOptions } from './warehouse.js';

const DEFAULT_LIST_LIMIT = 100;

/** A title may hold line breaks (a quoted CSV field): quote it so each product stays on one line. */
function oneLine(text: string | null): string {
  if (text === null) return '';
  return /[\r\n]/.test(text) ? JSON.stringify(text) : text;
}

function listLines(list: ProductList): string[] {
  if (list.total === 0) return ['no products (import some with jl-edge import-products <file.csv>)'];
  const lines = list.products.map((p) =>
    [
      p.account.padEnd(12),
      p.sku.padEnd(20),
      (p.channel_item_id ?? '-').padEnd(8),
      String(p.stock).padStart(7),
      `lead ${p.lead_time_days ?? 'default'}`.padEnd(12),
      oneLine(p.title),
    ].join(' '),
  );
  if (list.products.length < list.total)
    lines.push(`(${list.products.length} of ${list.total} products: --limit 0 lists all)`);
  return lines;
}

function detailLines(p: ProductDetail): string[] {
  const lastPush = p.pushed_at
    ? `stock ${p.pushed_stock}, lead time ${p.pushed_lead_time_days} days, at ${p.pushed_at}`
    : 'never';
  return [
    `${p.sku} (account ${p.account})`,
    `  channel item id  ${p.channel_item_id ?? '(none: not listed on John Lewis, never sent)'}`,
    `  ean              ${p.ean ?? '(none)'}`,
    `  title            ${p.title === null ? '(none)' : oneLine(p.title)}`,
    `  stock            ${p.stock}`,
    `  stock sent       ${p.stock_to_send}: ${p.stock_rule}`,
    `  stock rules      buffer ${p.stock_buffer ?? "the account's"}, maximum ${p.stock_max ?? "the account's"}, ${p.active ? 'active' : 'inactive (sent as 0)'}`,
    `  lead time        ${p.lead_time_days === null ? "the account's standard lead time" : `${p.lead_time_days} days`}`,
    `  last push        ${lastPush}${p.resend ? ' (marked for re-send)' : ''}`,
    `  created          ${p.created_at}, updated ${p.updated_at}`,
    ...(p.stock_errors.length === 0
      ? ['  stock errors     none open']
      : [
          '  stock errors (open):',
          ...p.stock_errors.map(
            (e) => `    ${e.received_at} ${e.part_number}: ${e.message}${e.file ? ` [${e.file}]` : ''}`,
          ),
        ]),
  ];
}

/** One line per field with the names it goes by, from the table the importer reads. */
function describeProductHeaders(): string {
  return PRODUCT_FIELDS.filter((field) => field !== 'sku')
    .map((field) => `  ${PRODUCT_HEADER_NAMES[field].join(', ')}`)
    .join('\n');
}

export function registerProducts(program: Command): void {
  withInboxOptions(program.command('import-products [file]'))
    .description('upsert products by SKU from a CSV file ("-" reads standard input), or from an inbox (--from)')
    .option('--strict', 'import nothing when any row is rejected')
    .addHelpText(
      'after',
      `
Header names are matched leniently (case, spaces, "-" and "_" do not matter): sku (required),
then per field the names it goes by (channel item id, ean, lead time in days, stock, title):
${describeProductHeaders()}
A column with another name is ignored with a warning on stderr; a file with no column besides sku
that jl-edge reads is refused (exit 1, nothing stored). Only the columns the file carries are
written: a "sku,stock" file updates stock and nothing else; a new SKU in it gets defaults.
A bad row is reported with its line (the header is line 1), column and reason, and the rest of the
file is imported; exit 1 when any row was rejected. Counts: inserted, updated (values changed),
unchanged, rejected. Products belong to one account: --account when there are several.
${INBOX_HELP}

Examples:
  $ jl-edge import-products products.csv
  $ jl-edge import-products stock.csv --account acme --quiet
  $ warehouse-export | jl-edge import-products - --strict
  $ jl-edge import-products products.csv --dry-run --json
  $ jl-edge import-products --from /srv/warehouse/stock --quiet   (cron: a stock-file inbox)`,
    )
    .action(
      handler((ctx, [file], options) =>
        fileOrInbox(ctx, 'import-products', file, options, async (path, strict) => {
          const { importProducts } = await import('../commands/import-products.js');
          const output = stepOutput(await importProducts(ctx, { file: path, strict }));
          if (ctx.options.dryRun) output.lines = output.lines.map((line) => `${line} (dry run: nothing written)`);
          return output;
        }),
      ),
    );

  const products = program
    .command('products')
    .description('look at the products jl-edge knows')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge products list --account acme --limit 20
  $ jl-edge products show PEN-BLUE                      (values, what the last push sent, open stock errors)`,
    );

  products
    .command('list')
    .description('list products in SKU order')
    .option('--limit <n>', `at most this many (default ${DEFAULT_LIST_LIMIT}; 0 lists all)`, parseWholeNumberOption)
    .addHelpText(
      'after',
      '\nExamples:\n  $ jl-edge products list --account acme\n  $ jl-edge products list --limit 0 --json',
    )
    .action(
      handler(async (ctx, _args, options) => {
        const { listProducts } = await import('../commands/products.js');
        const limit = options.limit ?? DEFAULT_LIST_LIMIT;
        const list = await listProducts(ctx, limit);
        return okOutput(list.products, listLines(list));
      }),
    );

  products
    .command('show <sku>')
    .description('show one product: its values, what the last push sent, and its open stock errors')
    .addHelpText(
      'after',
      '\nExamples:\n  $ jl-edge products show ABC-123\n  $ jl-edge products show ABC-123 --account acme --json',
    )
    .action(
      handler(async (ctx, [sku]) => {
        const { showProduct } = await import('../commands/products.js');
        const detail = await showProduct(ctx, sku);
        return okOutput(detail, detailLines(detail));
      }),
    );
}
