// STUB: to be replaced by the xk3190 speaker.
import type { SerialScaleProtocol } from '../index.js';

export const xk3190Protocol: SerialScaleProtocol = {
  id: 'xk3190',
  title: 'xk3190',
  defaultLine: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  createSpeaker() {
    throw new Error('not implemented');
  },
};
