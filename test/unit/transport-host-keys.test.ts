import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ssh2Algorithms, parseLegacyAlgorithms } from '../../src/transport/algorithms.js';
import {
  describeOfferedKey,
  formatHostKeyPins,
  hostKeyAlgorithmsFor,
  matchesPin,
  parseHostKeyPins,
} from '../../src/transport/host-keys.js';

/** An SSH public key blob of the given type (the type string, then a made-up key body). */
function blob(type: string, body: string): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.from(body)]);
}

describe('host-key pins', () => {
  const rsa = describeOfferedKey(blob('ssh-rsa', 'rsa key body'));
  const ecdsa = describeOfferedKey(blob('ecdsa-sha2-nistp256', 'ecdsa key body'));

  it('normalises every accepted form to what is stored', () => {
    const sha = rsa.fingerprint.slice('SHA256:'.length);
    const md5 = rsa.md5.slice('MD5:'.length);
    assert.equal(
      formatHostKeyPins(parseHostKeyPins(` ${rsa.fingerprint}=, ${sha} ,ssh-rsa  MD5:${md5.toUpperCase()},${md5}`)),
      `${rsa.fingerprint},${rsa.fingerprint},ssh-rsa ${rsa.md5},${rsa.md5}`,
    );
  });

  it('matches a key by SHA256 or MD5, and by type when the pin names one', () => {
    assert.equal(matchesPin(rsa, parseHostKeyPins(rsa.fingerprint)), true);
    assert.equal(matchesPin(rsa, parseHostKeyPins(rsa.md5)), true);
    assert.equal(matchesPin(rsa, parseHostKeyPins(`ssh-rsa ${rsa.fingerprint}`)), true);
    assert.equal(matchesPin(rsa, parseHostKeyPins(`ssh-ed25519 ${rsa.fingerprint}`)), false);
    assert.equal(matchesPin(ecdsa, parseHostKeyPins(`${rsa.fingerprint},${ecdsa.md5}`)), true);
    assert.equal(matchesPin(ecdsa, parseHostKeyPins(rsa.fingerprint)), false);
  });

  it('refuses what it cannot check, saying the expected form', () => {
    for (const pin of ['SHA1:abc', 'MD5:12:34', 'c2hvcnQ=', 'SHA256:tooShort', 'ssh-foo SHA256:x', 'a b c', ' , ']) {
      assert.throws(
        () => parseHostKeyPins(pin),
        /SHA256:<43 base64 characters>|unknown key type|no host key given/,
        pin,
      );
    }
  });

  it('asks for the pinned key types first, and never for a type already seen', () => {
    const pins = parseHostKeyPins(`ssh-rsa ${rsa.fingerprint}`);
    assert.deepEqual(hostKeyAlgorithmsFor(pins).slice(0, 4), [
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
    assert.deepEqual(
      hostKeyAlgorithmsFor([], ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']),
      ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-dss'],
    );
  });
});

describe('legacy algorithms', () => {
  it('are sorted into what ssh2 appends to its own lists', () => {
    assert.deepEqual(
      ssh2Algorithms(parseLegacyAlgorithms('aes128-cbc, diffie-hellman-group14-sha1,aes128-cbc,hmac-md5')),
      {
        kex: { append: ['diffie-hellman-group14-sha1'] },
        cipher: { append: ['aes128-cbc'] },
        hmac: { append: ['hmac-md5'] },
      },
    );
    assert.deepEqual(ssh2Algorithms([]), {});
  });

  it('an unknown name is refused with the list of known ones', () => {
    assert.throws(
      () => parseLegacyAlgorithms('aes128-ctr'),
      /unknown legacy algorithm "aes128-ctr" \(one of: diffie-hellman-group14-sha1/,
    );
  });
});
