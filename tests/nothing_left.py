# Runs moat as a child subreaper's child and checks that nothing of it
# outlives it for long: its stubs, stub factory and exit helper die with
# it (PR_SET_PDEATHSIG) and are re-parented here.  Usage:
#   nothing_left.py MOAT [kill]   -- "kill": SIGKILL moat mid-run instead.
import ctypes, os, signal, subprocess, sys, time

PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl failed")
moat = sys.argv[1]
kill = len(sys.argv) > 2 and sys.argv[2] == "kill"
# A sandbox with several processes (stubs, the factory) that is busy when
# it ends.
script = "sleep 5 & sleep 5 & true | cat; " + ("sleep 5" if kill else "exit 3")
p = subprocess.Popen([moat, "run", "--", "/bin/sh", "-c", script])
if kill:
    time.sleep(0.5)
    p.kill()
status = p.wait()
want = -signal.SIGKILL if kill else 3
if status != want:
    sys.exit(f"moat's status {status}, want {want}")
deadline = time.monotonic() + 2
left = set()
while True:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break                       # nothing left at all
    if pid == 0:
        if time.monotonic() > deadline:
            sys.exit("processes of moat still alive 2 s after it ended")
        time.sleep(0.01)
print("ok")
