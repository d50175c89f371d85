/**
 * mqtts:// against a Mosquitto TLS listener that requires a client certificate. The certificates are
 * made with openssl for each run: a test CA, a server certificate for IP 127.0.0.1 and a client
 * certificate, both signed by the CA.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MqttSink, type MqttTlsOptions } from '../gateway/sinks/mqtt.js';
import { openDatabase, type SqliteDatabase } from '../gateway/store/database.js';
import { useCleanup } from './helpers/cleanup.js';
import { type MosquittoBroker, readRetained, startMosquitto } from './helpers/mosquitto.js';
import { tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();

interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function makePki(dir: string): Pki {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = (name: string) =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name));
  key('ca.key');
  openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=metrogate test CA',
  );
  const sign = (name: string, subject: string, extensions: string) => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    writeFileSync(file(`${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file(`${name}.pem`),
      '-days',
      '2',
      '-extfile',
      file(`${name}.ext`),
    );
  };
  sign('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  sign('client', '/CN=metrogate-gateway', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}

let pki: Pki;
let broker: MosquittoBroker;
let db: SqliteDatabase;

beforeAll(async () => {
  const data = tempDataDir('metrogate-mqtt-tls-');
  pki = makePki(data.dir);
  broker = await startMosquitto({
    tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.ca },
  });
  db = openDatabase(join(data.dir, 'metrogate.db'));
  return async () => {
    db.close();
    await broker.stop();
    data.remove();
  };
});

async function tryTls(gatewayId: string, tls: MqttTlsOptions): Promise<MqttSink> {
  const sink = new MqttSink({
    url: broker.tlsUrl!,
    gatewayId,
    db,
    tls,
    reconnect: { initialMs: 200, maxMs: 400 },
  });
  cleanup(() => sink.stop({ deadlineMs: 1000 }));
  await sink.start();
  return sink;
}

describe('MqttSink over TLS (mqtts://)', () => {
  it('says so when mqtts:// meets a plain listener', async () => {
    const sink = new MqttSink({ url: broker.url.replace('mqtt://', 'mqtts://'), gatewayId: 'tls-plain', db });
    cleanup(() => sink.stop({ deadlineMs: 500 }));
    await sink.start();
    expect(sink.stats().lastError).toContain('is this port plain MQTT? then use mqtt://');
  });

  it('connects with the CA, client certificate and key from files', async () => {
    const sink = await tryTls('tls-ok', { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey });
    expect(await sink.waitForConnection(5000)).toBe(true);
    expect(await readRetained(broker.url, 'metrogate/tls-ok/status')).toBe('online');
  });

  it('refuses a broker certificate it cannot verify, unless rejectUnauthorized is false', async () => {
    const strict = await tryTls('tls-strict', { cert: pki.clientCert, key: pki.clientKey });
    expect(strict.stats().connected).toBe(false);
    expect(strict.stats().lastError).toMatch(
      /^MG_ERR_CONNECT_FAILED: MQTT broker mqtts:\/\/127\.0\.0\.1:\d+: .*certificate/,
    );
    expect(strict.stats().lastError).toContain('set sinks.mqtt.tls.ca');

    const lax = await tryTls('tls-lax', {
      cert: pki.clientCert,
      key: pki.clientKey,
      rejectUnauthorized: false,
    });
    expect(await lax.waitForConnection(5000)).toBe(true);
  });

  it('is refused by a broker that requires a client certificate when it has none', async () => {
    const sink = await tryTls('tls-nocert', { ca: pki.ca });
    expect(await sink.waitForConnection(1000)).toBe(false);
    expect(sink.stats().connected).toBe(false);
    expect(String(sink.stats().lastError)).toMatch(
      /^MG_ERR_CONNECT_FAILED: MQTT broker mqtts:\/\/127\.0\.0\.1:\d+: /,
    );
    expect(sink.stats().lastError).toContain('set sinks.mqtt.tls.cert and sinks.mqtt.tls.key');
    expect(await readRetained(broker.url, 'metrogate/tls-nocert/status', 300)).toBeUndefined();
  });
});
