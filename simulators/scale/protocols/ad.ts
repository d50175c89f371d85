// STUB: to be replaced by the ad speaker.
import type { SerialScaleProtocol } from '../index.js';

export const adProtocol: SerialScaleProtocol = {
  id: 'ad',
  title: 'ad',
  defaultLine: { baudRate: 2400, dataBits: 7, parity: 'even', stopBits: 1 },
  createSpeaker() {
    throw new Error('not implemented');
  },
};
