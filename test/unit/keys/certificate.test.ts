import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey } from 'node:crypto';
import { AppError } from '../../../cli/errors.js';
import { certificateMatchesKey, readCertificate } from '../../../cli/keys/certificate.js';
import { makeKeyFixtures, removeKeyFixtures, type KeyFixtures } from '../../fixtures/keys/key-fixtures.js';
import { testDeps } from '../../support/harness.js';

let fx: KeyFixtures;
beforeAll(async () => {
  fx = await makeKeyFixtures();
  await writeFile(join(fx.dir, 'cert-crlf.pem'), `\uFEFF${fx.certificate.replace(/\n/g, '\r\n')}`);
  await writeFile(join(fx.dir, 'garbage.crt'), 'not a certificate');
  await writeFile(join(fx.dir, 'huge.crt'), Buffer.alloc(70_000, 'A'));
}, 60000);
afterAll(async () => removeKeyFixtures(fx));

const read = (path: string) => readCertificate(path, testDeps({ cwd: fx.dir }));

describe('readCertificate', () => {
  it.each(['cert.pem', 'cert.der', 'cert-crlf.pem'])('reads %s', async (path) => {
    const facts = await read(path);
    expect(facts.subject).toBe('CN=fixture');
    expect(facts.encoding).toBe(path.endsWith('.der') ? 'der' : 'pem');
    expect(facts.notAfter.getTime() - facts.notBefore.getTime()).toBe(30 * 86_400_000);
    expect(facts.pemBytes).toBe(Buffer.byteLength(fx.certificate));
    expect(certificateMatchesKey(facts.certificate, createPrivateKey(fx.pkcs8))).toBe(true);
    expect(certificateMatchesKey(facts.certificate, createPrivateKey(fx.otherPkcs8))).toBe(false);
  });

  const failures: Array<[string, string, string, string]> = [
    ['missing.crt', 'ERR_CERT_FILE_NOT_FOUND', 'Certificate file missing.crt does not exist.', 'Check the --cert-file path (relative to the working directory).'],
    ['garbage.crt', 'ERR_CERT_FORMAT', 'Certificate file garbage.crt does not hold an X.509 certificate.', 'Pass a PEM ("-----BEGIN CERTIFICATE-----") or DER certificate, e.g. the server.crt from `applink-jwt keys generate`.'],
    [
      'pkcs8.pem',
      'ERR_CERT_FORMAT',
      'Certificate file pkcs8.pem does not hold an X.509 certificate; it holds a private key.',
      'Pass the certificate (server.crt) with --cert-file and the private key with --jwt-key-file; keep the private key out of places meant for certificates.',
    ],
    ['public.pem', 'ERR_CERT_FORMAT', 'Certificate file public.pem does not hold an X.509 certificate; it holds a public key.', 'Pass a PEM ("-----BEGIN CERTIFICATE-----") or DER certificate, e.g. the server.crt from `applink-jwt keys generate`.'],
    ['huge.crt', 'ERR_CERT_TOO_LARGE', 'Certificate file huge.crt is larger than 64 KiB (70000 bytes).', 'Point --cert-file at the certificate itself (server.crt).'],
    ['/dev/zero', 'ERR_CERT_TOO_LARGE', 'Certificate file /dev/zero is larger than 64 KiB (65537 bytes).', 'Point --cert-file at the certificate itself (server.crt).'],
  ];
  it.each(failures)('rejects %s with %s', async (path, code, message, hint) => {
    const error = (await read(path).catch((e: unknown) => e)) as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect([error.code, error.message, error.hint, error.exitCode]).toEqual([code, message, hint, 3]);
  });
});
