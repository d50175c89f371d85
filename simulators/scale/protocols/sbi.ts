// STUB: to be replaced by the sbi speaker.
import type { SerialScaleProtocol } from '../index.js';

export const sbiProtocol: SerialScaleProtocol = {
  id: 'sbi',
  title: 'sbi',
  defaultLine: { baudRate: 1200, dataBits: 7, parity: 'odd', stopBits: 1 },
  createSpeaker() {
    throw new Error('not implemented');
  },
};
