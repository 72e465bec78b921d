#!/usr/bin/env python3
"""Passes TCP connections on to a server after a fixed one-way delay, bytes unchanged.

usage: latency.py DELAY_MS LISTEN_HOST UPSTREAM_HOST PORT...

Listens on LISTEN_HOST:PORT for each PORT and connects each client to
UPSTREAM_HOST:PORT; every chunk, either way, is written DELAY_MS after it was
read, in order. A server started with --public-host LISTEN_HOST names these
addresses in its referrals (XFR, RNG), so a client reaches it as it reached
the original service: across a network, not within microseconds. Prints
"ready" once every port listens.
"""
import asyncio
import sys
import time


async def pump(reader, writer, delay):
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, chunk = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if chunk is None:
                break
            writer.write(chunk)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(deliver())
    try:
        while True:
            chunk = await reader.read(65536)
            queue.put_nowait((time.monotonic() + delay, chunk or None))
            if not chunk:
                break
    except (ConnectionError, OSError):
        queue.put_nowait((time.monotonic() + delay, None))
    try:
        await sender
    except (ConnectionError, OSError):
        pass


async def main(delay_ms, listen_host, upstream_host, ports):
    delay = delay_ms / 1000

    def handler(port):
        async def serve(client_r, client_w):
            try:
                server_r, server_w = await asyncio.open_connection(upstream_host, port)
            except OSError:
                client_w.close()
                return
            await asyncio.gather(pump(client_r, server_w, delay), pump(server_r, client_w, delay))

        return serve

    servers = [await asyncio.start_server(handler(port), listen_host, port, reuse_address=True) for port in ports]
    print(f"ready: {listen_host} -> {upstream_host}, ports {' '.join(map(str, ports))}, {delay_ms} ms each way",
          flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    try:
        asyncio.run(main(float(sys.argv[1]), sys.argv[2], sys.argv[3], [int(p) for p in sys.argv[4:]]))
    except KeyboardInterrupt:
        pass
