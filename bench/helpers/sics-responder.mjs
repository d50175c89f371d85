// The far end of the serial overhead benchmark: answers `SI` with a fixed MT-SICS weight line at once
// and everything else with ES. Deliberately minimal, and in its own process, so that both the raw
// serialport loop and the driver are measured against the same instant responder.
import { SerialPort } from 'serialport';

const port = new SerialPort({ path: process.argv[2], baudRate: 9600 });
let buffer = '';
port.on('data', (chunk) => {
  buffer += chunk.toString('latin1');
  let index = buffer.indexOf('\r\n');
  while (index >= 0) {
    const line = buffer.slice(0, index);
    buffer = buffer.slice(index + 2);
    port.write(line === 'SI' ? 'S S     100.00 g\r\n' : 'ES\r\n');
    index = buffer.indexOf('\r\n');
  }
});
port.on('open', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => port.close(() => process.exit(0)));
