import { defineDriver } from '../definition.js';
import { isMetrogateError } from '../errors.js';
import { type ScaleXk3190Config, scaleXk3190ConfigSchema } from './config.js';
import { ScaleXk3190Driver } from './driver.js';
import {
  createXk3190ScanFramer,
  decodeXk3190Frame,
  EQUALS,
  encodeInstructionCommand,
  formatOption,
  isXk3190Frame,
  XK3190_COMMANDS,
} from './protocol.js';

export const scaleXk3190 = defineDriver<ScaleXk3190Config>({
  id: 'scale-xk3190',
  title: 'Yaohua XK3190 weighing indicators and compatibles (continuous output, instruction mode)',
  kind: 'scale',
  transport: 'serial',
  configSchema: scaleXk3190ConfigSchema,
  channels: [
    {
      name: 'weight',
      valueType: 'decimal',
      description: 'Displayed weight; unit from the configuration (the frames carry none)',
    },
  ],
  // Factory setting per the manuals' examples; UNCONFIRMED per model, so the port settings override it.
  defaultLineSettings: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  simulatorProtocol: 'xk3190',
  decodeFrame: (frame, options) => decodeXk3190Frame(frame, formatOption(options)),
  scan: {
    createFramer: createXk3190ScanFramer,
    isOwnFrame: isXk3190Frame,
    async probe(channel, { timeoutMs, signal }) {
      try {
        // An indicator in continuous mode ignores the handshake and is heard anyway; one in
        // instruction mode at address A answers it.
        const frame = await channel.request(encodeInstructionCommand('A', XK3190_COMMANDS.handshake), {
          timeoutMs,
          ...(signal ? { signal } : {}),
          accept: isXk3190Frame,
        });
        const bytes = frame.bytes;
        if (bytes[0] === EQUALS) return { format: 'eq-reversed or eq (continuous format 1 or 2)' };
        const decodedFrame = decodeXk3190Frame(bytes);
        if (decodedFrame.ok && decodedFrame.value.kind === 'reply') {
          return { mode: 'instruction', address: decodedFrame.value.address };
        }
        return { format: 'tf0 (continuous format 0)' };
      } catch (error) {
        if (isMetrogateError(error, 'MG_ERR_ABORTED')) throw error;
        return undefined;
      }
    },
  },
  create: (config, deps) => new ScaleXk3190Driver(config, deps),
});
