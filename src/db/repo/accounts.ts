import type { Knex } from 'knex';
import { effectivePaths, type Account, type PathLabel } from '../../core/account.js';
import type { AccountSettings, TradedCodeSource } from '../../core/account-settings.js';
import type { SyncStep } from '../../core/steps.js';
import { toBool, toNullableNumber, toNullableString, toNumber } from './normalise.js';

const COLUMN: Record<keyof AccountSettings, string> = {
  transport: 'transport',
  host: 'host',
  port: 'port',
  username: 'username',
  passwordEnv: 'password_env',
  privateKeyPath: 'private_key_path',
  passphraseEnv: 'passphrase_env',
  hostKey: 'host_key',
  legacyAlgorithms: 'legacy_algorithms',
  localRoot: 'local_root',
  root: 'root',
  leadTimeDays: 'lead_time_days',
  handlingDays: 'handling_days',
  tradedCodeSource: 'traded_code_source',
  encoding: 'encoding',
  stockUpload: 'stock_upload',
  carrierMap: 'carrier_map',
  autoAcceptCancellations: 'auto_accept_cancellations',
  cancelRequestAlertMinutes: 'cancel_request_alert_minutes',
  stockBuffer: 'stock_buffer',
  stockShare: 'stock_share',
  stockMax: 'stock_max',
  ackAlertMinutes: 'ack_alert_minutes',
  pingUrl: 'ping_url',
  enabled: 'enabled',
};

function toRow(settings: Partial<AccountSettings>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings) as [keyof AccountSettings, unknown][]) {
    if (value === undefined) continue;
    row[COLUMN[key]] =
      key === 'carrierMap' ? JSON.stringify(value) : key === 'legacyAlgorithms' ? (value as string[]).join(',') : value;
  }
  return row;
}

export class AccountsRepo {
  constructor(private readonly db: Knex) {}

  async list(): Promise<Account[]> {
    const rows = await this.db('accounts').orderBy('name');
    const overrides = await this.db('account_paths');
    const staleAfter = await this.db('account_stale_after');
    return rows.map((row) =>
      this.fromRow(
        row,
        overrides.filter((o) => o.account_id === row.id),
        staleAfter.filter((o) => o.account_id === row.id),
      ),
    );
  }

  async findByName(name: string): Promise<Account | null> {
    const row = await this.db('accounts').where({ name }).first();
    if (!row) return null;
    const overrides = await this.db('account_paths').where({ account_id: row.id });
    const staleAfter = await this.db('account_stale_after').where({ account_id: row.id });
    return this.fromRow(row, overrides, staleAfter);
  }

  /** `minutes` null restores the step's default threshold; 0 means the step is never called stale. */
  async setStaleAfter(accountId: number, step: SyncStep, minutes: number | null): Promise<void> {
    await this.db('account_stale_after').where({ account_id: accountId, step }).delete();
    if (minutes !== null) await this.db('account_stale_after').insert({ account_id: accountId, step, minutes });
  }

  async insert(name: string, settings: AccountSettings, now: string): Promise<Account> {
    await this.db('accounts').insert({ name, ...toRow(settings), created_at: now, updated_at: now });
    return (await this.findByName(name))!;
  }

  /**
   * The account from the environment: created with `created`, or given the settings the environment owns
   * when it exists. One statement, so runs started together on a new database (cron's first minute) do
   * not race to insert it.
   */
  async upsert(name: string, created: AccountSettings, owned: Partial<AccountSettings>, now: string): Promise<void> {
    await this.db('accounts')
      .insert({ name, ...toRow(created), created_at: now, updated_at: now })
      .onConflict('name')
      .merge({ ...toRow(owned), updated_at: now });
  }

  async update(name: string, settings: Partial<AccountSettings>, now: string): Promise<void> {
    const row = toRow(settings);
    if (Object.keys(row).length === 0) return;
    await this.db('accounts')
      .where({ name })
      .update({ ...row, updated_at: now });
  }

  /** `path` null restores the label's default under the account root. */
  async setPath(accountId: number, label: PathLabel, path: string | null): Promise<void> {
    await this.db('account_paths').where({ account_id: accountId, label }).delete();
    if (path !== null) await this.db('account_paths').insert({ account_id: accountId, label, path });
  }

  private fromRow(
    row: Record<string, unknown>,
    overrides: { label: string; path: string }[],
    staleAfter: { step: string; minutes: unknown }[],
  ): Account {
    const root = String(row.root);
    return {
      id: Number(row.id),
      name: String(row.name),
      transport: row.transport as Account['transport'],
      host: toNullableString(row.host),
      port: Number(row.port),
      username: toNullableString(row.username),
      passwordEnv: toNullableString(row.password_env),
      privateKeyPath: toNullableString(row.private_key_path),
      passphraseEnv: toNullableString(row.passphrase_env),
      hostKey: toNullableString(row.host_key),
      legacyAlgorithms: String(row.legacy_algorithms ?? '')
        .split(',')
        .filter(Boolean),
      localRoot: toNullableString(row.local_root),
      root,
      leadTimeDays: Number(row.lead_time_days),
      handlingDays: Number(row.handling_days),
      tradedCodeSource: row.traded_code_source as TradedCodeSource,
      encoding: String(row.encoding),
      stockUpload: row.stock_upload as Account['stockUpload'],
      carrierMap: JSON.parse(String(row.carrier_map ?? '{}')) as Record<string, string>,
      autoAcceptCancellations: toBool(row.auto_accept_cancellations),
      cancelRequestAlertMinutes: Number(row.cancel_request_alert_minutes),
      stockBuffer: toNumber(row.stock_buffer),
      stockShare: toNumber(row.stock_share),
      stockMax: toNullableNumber(row.stock_max),
      ackAlertMinutes: toNumber(row.ack_alert_minutes),
      pingUrl: toNullableString(row.ping_url),
      enabled: toBool(row.enabled),
      staleAfterMinutes: Object.fromEntries(staleAfter.map((o) => [o.step, toNumber(o.minutes)])),
      paths: effectivePaths(root, Object.fromEntries(overrides.map((o) => [o.label, o.path]))),
      fromEnvironment: false,
    };
  }
}
