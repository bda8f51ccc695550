#!/usr/bin/python3
# Processes, threads and signals from python3 (tests/progs/cases.txt).
import multiprocessing
import os
import signal
import subprocess
import threading
import time


def square(x):
    return x * x


def work(n, out, i):
    out[i] = sum(range(n * (i + 1)))


def main():
    out = [0] * 8
    threads = [threading.Thread(target=work, args=(10000, out, i)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("threads", out)

    r = subprocess.run(["sh", "-c", "echo from $0; exit 3", "sub"], capture_output=True, text=True)
    print("subprocess", r.stdout.strip(), r.returncode)

    pid = os.fork()
    if pid == 0:
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    print("fork", os.WEXITSTATUS(status))

    with multiprocessing.Pool(4) as pool:
        print("pool", sum(pool.map(square, range(100))))

    got = []
    signal.signal(signal.SIGALRM, lambda s, f: got.append(s))
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    start = time.monotonic()
    time.sleep(0.3)       # interrupted, then resumed (PEP 475)
    print("alarm", got, time.monotonic() - start >= 0.3)


if __name__ == "__main__":
    main()
