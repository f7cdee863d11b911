import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addHeadSymref } from '../../src/ledger/git-http.js';

/** The upload-pack advertisement rewrite behind fetches from remotes whose HEAD has no commits. */
const OID = 'a'.repeat(40);
const pkt = (text: string): string => `${(Buffer.byteLength(text) + 4).toString(16).padStart(4, '0')}${text}`;
const ad = (...refLines: string[]): Buffer => Buffer.from(pkt('# service=git-upload-pack\n') + '0000' + refLines.map(pkt).join('') + '0000', 'latin1');

test('no HEAD advertised: symref=HEAD:<ref> is added to the first ref line, lengths recomputed', () => {
  const out = addHeadSymref(ad(`${OID} refs/heads/drift-ledger\0multi_ack side-band-64k\n`), 'refs/heads/drift-ledger');
  assert.is(out.toString('latin1'), ad(`${OID} refs/heads/drift-ledger\0multi_ack side-band-64k symref=HEAD:refs/heads/drift-ledger\n`).toString('latin1'));
});

test('a HEAD ref or a HEAD symref already advertised, an empty repository and garbage are left alone', () => {
  for (const input of [
    ad(`${OID} HEAD\0multi_ack symref=HEAD:refs/heads/main\n`, `${OID} refs/heads/main\n`),
    ad(`${OID} HEAD\0multi_ack\n`, `${OID} refs/heads/main\n`),
    ad(`${'0'.repeat(40)} capabilities^{}\0multi_ack\n`),
    Buffer.from('not a pkt-line stream'),
  ]) {
    assert.is(addHeadSymref(input, 'refs/heads/drift-ledger').toString('latin1'), input.toString('latin1'));
  }
});

test.run();
