// STUB: to be replaced by the mt-sics speaker.
import type { SerialScaleProtocol } from '../index.js';

export const mtsicsProtocol: SerialScaleProtocol = {
  id: 'mt-sics',
  title: 'mt-sics',
  defaultLine: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  createSpeaker() {
    throw new Error('not implemented');
  },
};
