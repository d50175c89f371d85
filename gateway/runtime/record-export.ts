/**
 * Every verification result reaches InfluxDB and MQTT: `metrogate verify` stores the record (and
 * may run while the service is down); the service picks up the records it has not exported yet and,
 * in one SQLite transaction, queues their `verification` points in the outbox, queues their MQTT
 * events (durable until the broker acknowledges), and moves its export position. A crash between
 * two of these cannot lose or half-export a record.
 */

import type { MqttSink } from '../sinks/mqtt.js';
import { verificationEvent } from '../sinks/mqtt.js';
import { verificationPoint } from '../sinks/points.js';
import type { SqliteDatabase } from '../store/database.js';
import type { MetrogateStore } from '../store/store.js';

const BATCH = 500;

export class RecordExporter {
  private readonly db: SqliteDatabase;

  constructor(
    private readonly store: MetrogateStore,
    private readonly targets: { influx: boolean; mqtt?: MqttSink },
    private readonly name = 'records',
  ) {
    this.db = store.db;
  }

  position(): number {
    const row = this.db.prepare('SELECT sequence FROM export_positions WHERE name = ?').get(this.name) as
      | { sequence: number }
      | undefined;
    return row?.sequence ?? 0;
  }

  /** Exports everything new; returns the number of records exported. */
  exportNew(): number {
    let total = 0;
    for (;;) {
      const exported = this.db.transaction(() => {
        const records = this.store.records.after(this.position(), BATCH);
        if (records.length === 0) return 0;
        if (this.targets.influx) this.store.outbox.append(records.map((record) => verificationPoint(record)));
        for (const record of records) this.targets.mqtt?.publishVerification(verificationEvent(record));
        this.db
          .prepare(
            'INSERT INTO export_positions (name, sequence) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET sequence = excluded.sequence',
          )
          .run(this.name, records[records.length - 1]!.sequence);
        return records.length;
      })();
      total += exported;
      if (exported < BATCH) return total;
    }
  }
}
