#!/usr/bin/python3
# asyncio (epoll, a socketpair for its self-pipe), a stream over
# socket.socketpair, multiprocessing with a Queue and a Manager (a server on
# a named unix socket), and an asyncio unix server (tests/progs/cases.txt).
import asyncio
import multiprocessing
import os
import socket


def produce(q):
    q.put(["from", "child", 42])


async def echo_over_pair():
    a, b = socket.socketpair()
    reader, writer = await asyncio.open_connection(sock=a)
    loop = asyncio.get_running_loop()

    async def peer():
        data = await loop.sock_recv(b, 100)
        await loop.sock_sendall(b, data.upper())

    task = asyncio.create_task(peer())
    writer.write(b"hello over a socketpair")
    await writer.drain()
    reply = await reader.read(100)
    await task
    writer.close()
    b.close()
    return reply


async def unix_server(path):
    async def handle(reader, writer):
        line = await reader.readline()
        writer.write(b"echo: " + line)
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(handle, path=path)
    replies = []
    for i in range(3):
        reader, writer = await asyncio.open_unix_connection(path)
        writer.write(b"client %d\n" % i)
        await writer.drain()
        replies.append((await reader.readline()).strip())
        writer.close()
    server.close()
    await server.wait_closed()
    return replies


async def main():
    async def nap(n):
        await asyncio.sleep(0.01 * n)
        return n
    print("gather", await asyncio.gather(*(nap(i) for i in range(5))))
    print("pair", await echo_over_pair())
    proc = await asyncio.create_subprocess_exec("echo", "subprocess", stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    print("exec", out, proc.returncode)
    path = "/tmp/moat-asyncio-%d.sock" % os.getpid()
    try:
        print("unix server", await unix_server(path))
    finally:
        if os.path.exists(path):
            os.unlink(path)


if __name__ == "__main__":
    asyncio.run(main())
    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=produce, args=(q,))
    p.start()
    print("queue", q.get())
    p.join()
    print("exitcode", p.exitcode)
    with multiprocessing.Manager() as manager:
        shared = manager.dict()
        shared["key"] = [1, 2, 3]
        print("manager", dict(shared))
