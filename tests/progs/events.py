#!/usr/bin/python3
# Waiting on many things from python3 (tests/progs/cases.txt): selectors
# (epoll) over pipes and a child's output, signal.set_wakeup_fd, select.
import os
import select
import selectors
import signal
import subprocess
import time


def main():
    sel = selectors.DefaultSelector()
    print("selector", type(sel).__name__)
    pipes = [os.pipe() for _ in range(3)]
    for i, (r, _) in enumerate(pipes):
        sel.register(r, selectors.EVENT_READ, i)
    for i, (_, w) in enumerate(reversed(pipes)):
        os.write(w, b"x" * (i + 1))
    got = {}
    while len(got) < 3:
        for key, _ in sel.select(timeout=5):
            got[key.data] = os.read(key.fd, 100)
    print("pipes", sorted(got.items()))

    child = subprocess.Popen(["sh", "-c", "sleep 0.1; echo late"], stdout=subprocess.PIPE)
    sel.register(child.stdout, selectors.EVENT_READ, "child")
    events = sel.select(timeout=5)
    print("child", [k.data for k, _ in events], child.stdout.read().strip(), child.wait())

    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGUSR1, lambda s, f: None)
    os.kill(os.getpid(), signal.SIGUSR1)
    ready, _, _ = select.select([r], [], [], 5)
    print("wakeup", ready == [r], os.read(r, 1) == bytes([signal.SIGUSR1]))

    start = time.monotonic()
    select.select([], [], [], 0.2)
    print("timeout", time.monotonic() - start >= 0.2)


if __name__ == "__main__":
    main()
