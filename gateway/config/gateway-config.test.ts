import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../../drivers/errors.js';
import { type ConfigMigration, migrateConfig, parseGatewayConfig } from './gateway-config.js';

const VALID = `
version: 1
gateway: { id: market-gw-01, region: 涪城区 }
devices:
  - { id: counter-1, driver: scale-mtsics, port: /dev/ttyUSB0, instrumentId: SC-0042 }
  - { id: bench-2, driver: scale-modbus, host: 10.0.0.5, unitId: 3, preset: dgt4x, unit: kg, decimals: 2, pollIntervalMs: 500, region: 江油市 }
  - { id: pump-1, driver: dispenser-dart, port: /dev/ttyUSB1, address: 0x51 }
sinks:
  influx: { url: "http://127.0.0.1:8086/metrogate" }
  mqtt: { url: "mqtt://127.0.0.1:1883", password: "\${MQTT_PASSWORD}" }
`;

function problemPaths(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseGatewayConfig(text, 'gateway.yaml', env);
  } catch (error) {
    if (!isMetrogateError(error, 'MG_ERR_CONFIG_INVALID')) throw error;
    const problems = (error.details.problems as { path: string }[] | undefined) ?? [
      { path: String(error.details.path) },
    ];
    return problems.map((p) => p.path);
  }
  throw new Error('expected MG_ERR_CONFIG_INVALID');
}

describe('gateway config', () => {
  it('parses devices with their driver settings, defaults and the gateway region', () => {
    const loaded = parseGatewayConfig(VALID, 'gateway.yaml', { MQTT_PASSWORD: 's3cret' });
    expect(loaded.config.gateway.id).toBe('market-gw-01');
    expect(loaded.config.sinks.mqtt?.password).toBe('s3cret');
    expect(loaded.devices.map((d) => [d.id, d.driverId, d.region, d.pollIntervalMs])).toEqual([
      ['counter-1', 'scale-mtsics', '涪城区', 1000],
      ['bench-2', 'scale-modbus', '江油市', 500],
      ['pump-1', 'dispenser-dart', '涪城区', 1000],
    ]);
    expect(loaded.devices[0]!.settings).toMatchObject({
      id: 'counter-1',
      port: '/dev/ttyUSB0',
      mode: 'poll',
    });
    expect(loaded.devices[2]!.settings).toMatchObject({ address: 0x51 });
  });

  it('names the field of a device setting its driver rejects', () => {
    const text = VALID.replace('port: /dev/ttyUSB0, instrumentId', 'port: "", instrumentId').replace(
      'unitId: 3',
      'unitId: 300',
    );
    expect(problemPaths(text, { MQTT_PASSWORD: 'x' })).toEqual(['devices[0].port', 'devices[1].unitId']);
  });

  it('names an unknown driver, a duplicate id and a missing required setting', () => {
    const text = `
version: 1
devices:
  - { id: a, driver: scale-mtsics, port: /dev/ttyS0 }
  - { id: a, driver: scale-nonesuch }
  - { id: c, driver: scale-ad }
`;
    expect(problemPaths(text)).toEqual(['devices[1].id', 'devices[1].driver', 'devices[2].port']);
  });

  it('names gateway-level fields: sinks, scheduler, unknown keys', () => {
    expect(problemPaths('version: 1\nsinks:\n  influx: { url: "not a url" }\n')).toEqual([
      'sinks.influx.url',
    ]);
    expect(problemPaths('version: 1\nscheduler: { failuresBeforeDemotion: 0 }\n')).toEqual([
      'scheduler.failuresBeforeDemotion',
    ]);
    expect(problemPaths('version: 1\nsinkz: {}\n')).toEqual(['(root)']);
    expect(problemPaths('version: 1\ndevices:\n  - { id: "a b", driver: scale-ad, port: /dev/x }\n')).toEqual(
      ['devices[0].id'],
    );
  });

  it('names the field of a missing environment variable', () => {
    expect(problemPaths(VALID)).toEqual(['sinks.mqtt.password']);
    const withDefault = VALID.replace('${MQTT_PASSWORD}', '${MQTT_PASSWORD:-fallback}');
    expect(parseGatewayConfig(withDefault, 'g.yaml', {}).config.sinks.mqtt?.password).toBe('fallback');
  });

  it('rejects malformed YAML and a newer version than it knows', () => {
    expect(() => parseGatewayConfig('devices: [', 'g.yaml', {})).toThrow(/g\.yaml: not valid YAML/);
    expect(() => parseGatewayConfig('version: 9\n', 'g.yaml', {})).toThrow(
      /newer than this metrogate understands/,
    );
  });

  it('migrates an unversioned config', () => {
    const old =
      'sinks:\n  influxdb: { url: "http://127.0.0.1:8086/m" }\ndevices:\n  - { id: a, driver: scale-mtsics, port: /dev/ttyS0, interval: 2.5 }\n';
    const loaded = parseGatewayConfig(old, 'old.yaml', {});
    expect(loaded.migratedFrom).toBe(0);
    expect(loaded.config.sinks.influx?.url).toBe('http://127.0.0.1:8086/m');
    expect(loaded.devices[0]!.pollIntervalMs).toBe(2500);
  });

  it('chains migrations in order and refuses a gap', () => {
    const chain: ConfigMigration[] = [
      { from: 1, to: 2, description: 'a', migrate: (d) => ({ ...d, version: 2, a: true }) },
      { from: 2, to: 3, description: 'b', migrate: (d) => ({ ...d, version: 3, b: true }) },
    ];
    const result = migrateConfig({ version: 1 }, chain, 3);
    expect(result.document).toEqual({ version: 3, a: true, b: true });
    expect(result.applied.map((m) => m.description)).toEqual(['a', 'b']);
    expect(() => migrateConfig({ version: 1 }, [chain[1]!], 3)).toThrow(/no migration from version 1/);
  });
});
