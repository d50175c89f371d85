#!/usr/bin/python3
"""Independent Modbus peer for metrogate's tests: Debian's pymodbus 3.0.0rc1 as a Modbus TCP server
or a Modbus RTU server on a serial device (a socat pty).

Run with the Debian interpreter (/usr/bin/python3), which is the one that has python3-pymodbus.
Configuration is one JSON object, given as the first argument or on stdin ("-" or no argument):

  {"mode": "tcp", "host": "127.0.0.1", "port": 0,
   "holding": [0, 12345, ...], "input": [...], "coils": [true, ...], "discrete": [...],
   "typed": [{"address": 10, "type": "float32", "order": "CDAB", "value": 1234.5}, ...]}
  {"mode": "rtu", "device": "/tmp/pty-dev", "baudrate": 19200, "bytesize": 8, "parity": "E",
   "stopbits": 1, "holding": [...]}

"typed" values are encoded into the holding registers by pymodbus's own BinaryPayloadBuilder
(types int16 uint16 int32 uint32 float32 float64 string; orders ABCD CDAB BADC DCBA, AB BA), so the
bytes on the wire come from an implementation independent of metrogate's.

Every table starts at PDU address 0 (zero_mode=True: pymodbus 3.0 otherwise adds 1 to every
address). Any unit id is answered (single=True). Prints one line when it serves:
  READY tcp <host> <port>      or      READY rtu <device>
"""
import asyncio
import json
import logging
import sys

from pymodbus.constants import Endian
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer


def block(values, default):
    # pymodbus rejects an empty block; one default value keeps the table present.
    return ModbusSequentialDataBlock(0, list(values) if values else [default])


ORDERS = {
    "ABCD": (Endian.Big, Endian.Big),
    "AB": (Endian.Big, Endian.Big),
    "CDAB": (Endian.Big, Endian.Little),
    "BADC": (Endian.Little, Endian.Big),
    "BA": (Endian.Little, Endian.Big),
    "DCBA": (Endian.Little, Endian.Little),
}


def encode(item):
    byteorder, wordorder = ORDERS[item.get("order", "ABCD")]
    builder = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
    kind, value = item["type"], item["value"]
    adders = {
        "int16": builder.add_16bit_int,
        "uint16": builder.add_16bit_uint,
        "int32": builder.add_32bit_int,
        "uint32": builder.add_32bit_uint,
        "float32": builder.add_32bit_float,
        "float64": builder.add_64bit_float,
        "string": builder.add_string,
    }
    adders[kind](value if kind == "string" else (float(value) if kind.startswith("float") else int(value)))
    return builder.to_registers()


def holding_registers(config):
    registers = list(config.get("holding") or [])
    for item in config.get("typed", []):
        words = encode(item)
        end = item["address"] + len(words)
        registers.extend([0] * max(0, end - len(registers)))
        registers[item["address"]:end] = words
    return registers


def context(config):
    store = ModbusSlaveContext(
        hr=block(holding_registers(config), 0),
        ir=block(config.get("input"), 0),
        co=block([bool(v) for v in config.get("coils", [])], False),
        di=block([bool(v) for v in config.get("discrete", [])], False),
        zero_mode=True,
    )
    return ModbusServerContext(slaves=store, single=True)


async def serve(config):
    ctx = context(config)
    if config.get("mode", "tcp") == "tcp":
        server = ModbusTcpServer(ctx, address=(config.get("host", "127.0.0.1"), int(config.get("port", 0))))
        task = asyncio.ensure_future(server.serve_forever())
        await server.serving
        host, port = server.server.sockets[0].getsockname()[:2]
        print(f"READY tcp {host} {port}", flush=True)
        await task
    else:
        server = ModbusSerialServer(
            ctx,
            framer=ModbusRtuFramer,
            port=config["device"],
            baudrate=int(config.get("baudrate", 19200)),
            bytesize=int(config.get("bytesize", 8)),
            parity=config.get("parity", "E"),
            stopbits=int(config.get("stopbits", 1)),
        )
        await server.start()
        if server.transport is None:
            raise SystemExit(f"cannot open {config['device']}")
        print(f"READY rtu {config['device']}", flush=True)
        await server.serve_forever()


def main():
    text = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "-" else sys.stdin.read()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        asyncio.run(serve(json.loads(text)))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
