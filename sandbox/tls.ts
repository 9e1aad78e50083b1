import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { generate } from 'selfsigned';

/**
 * TLS for the Entra ID and Graph simulators: MSAL refuses http authorities and the Graph client sends
 * its token only over https. We generate a private CA and a leaf for localhost/127.0.0.1, and trust
 * that CA in-process only (sandbox and tests), never in production.
 */
export interface SimulatorTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export async function generateSimulatorTls(): Promise<SimulatorTls> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 30 * 86_400_000);
  const ca = await generate([{ name: 'commonName', value: 'draftbridge sandbox CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private };
}

/** Reuses one CA across restarts of the sandbox (so a browser or curl can be told to trust it once). */
export async function loadOrCreateSimulatorTls(dir: string): Promise<SimulatorTls> {
  const files = { caPem: join(dir, 'ca.pem'), certPem: join(dir, 'cert.pem'), keyPem: join(dir, 'key.pem') };
  if (existsSync(files.caPem) && existsSync(files.certPem) && existsSync(files.keyPem)) {
    const material = {
      caPem: readFileSync(files.caPem, 'utf8'),
      certPem: readFileSync(files.certPem, 'utf8'),
      keyPem: readFileSync(files.keyPem, 'utf8'),
    };
    if (new Date(new X509Certificate(material.certPem).validTo).getTime() > Date.now() + 86_400_000)
      return material;
  }
  const material = await generateSimulatorTls();
  mkdirSync(dir, { recursive: true });
  writeFileSync(files.caPem, material.caPem);
  writeFileSync(files.certPem, material.certPem);
  writeFileSync(files.keyPem, material.keyPem, { mode: 0o600 });
  return material;
}

/**
 * Adds the simulator CA to this process's default trust store: node:https (MSAL via @azure/identity)
 * and the built-in fetch (the Graph client) both use it. NODE_EXTRA_CA_CERTS cannot do this in-process
 * because Node reads it only at start.
 */
export function trustSimulatorCa(caPem: string): void {
  const current = tls.getCACertificates('default');
  if (current.includes(caPem)) return;
  tls.setDefaultCACertificates([...current, caPem]);
}
