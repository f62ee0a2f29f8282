/**
 * The single-account bootstrap (SPEC §5.1) against a real server: host keys pinned in every form a seller
 * is given, a passphrase-protected key, a root deeper than /live.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/cli.js';
import { generateKey, sshdSkip, useSshd } from '../helpers/sshd.js';

describe('the environment account against a real SFTP server', { skip: sshdSkip }, () => {
  const temp = tempDir();

  const server = useSshd('/home/acme/live', { temp: temp });

  let databases = 0;
  /** download-orders with a fresh database, as cron runs it with only the environment to go on. */
  const download = (env: Record<string, string>) =>
    runCli(['download-orders', '--db', temp.path(`db-${++databases}.sqlite`)], {
      env: {
        JL_EDGE_SFTP_HOST: server().host,
        JL_EDGE_SFTP_PORT: String(server().port),
        JL_EDGE_SFTP_USERNAME: server().username,
        JL_EDGE_SFTP_PRIVATE_KEY: server().privateKeyPath,
        JL_EDGE_ROOT: '/home/acme/live',
        ...env,
      },
    });

  it('accepts the fingerprint as MD5:…, bare MD5 hex pairs and bare base64 SHA256', async () => {
    const md5 = server().hostKeys[0].md5.slice('MD5:'.length);
    const bareSha256 = server().hostKeyFingerprint.slice('SHA256:'.length);
    for (const pin of [
      `MD5:${md5}`,
      md5.toUpperCase(),
      bareSha256,
      `${bareSha256}=`,
      `ssh-ed25519 ${server().hostKeyFingerprint}`,
    ]) {
      const run = await download({ JL_EDGE_SFTP_HOST_KEY: pin });
      assert.equal(run.code, 0, `${pin}: ${run.stderr}`);
    }
  });

  it('refuses a fingerprint it cannot check as a format error with the expected form: exit 2', async () => {
    for (const pin of ['SHA1:abcdef', 'MD5:12:34', 'c2hvcnQ=']) {
      const run = await download({ JL_EDGE_SFTP_HOST_KEY: pin });
      assert.equal(run.code, 2, `${pin}: ${run.stderr}`);
      assert.ok(
        run.stderr.includes(
          `JL_EDGE_SFTP_HOST_KEY: host key "${pin}" is not a fingerprint jl-edge can check: a host key is an OpenSSH fingerprint: SHA256:<43 base64 characters>`,
        ),
        run.stderr,
      );
    }
  });

  it('opens a passphrase-protected key with JL_EDGE_SFTP_PASSPHRASE', async () => {
    const keyPath = temp.path('protected_key');
    await generateKey(keyPath, 'ed25519', 'correct horse');
    await server().authorizeKey(`${keyPath}.pub`);
    const run = await download({
      JL_EDGE_SFTP_HOST_KEY: server().hostKeyFingerprint,
      JL_EDGE_SFTP_PRIVATE_KEY: keyPath,
      JL_EDGE_SFTP_PASSPHRASE: 'correct horse',
    });
    assert.equal(run.code, 0, run.stderr);
  });
});
