#!/usr/bin/python3
# Run through its #! line (the loader's binfmt_script).  Copies, renames
# and deletes a tree, and appends to a file, printing what it sees; the
# output must be the same natively (in a scratch directory under /tmp)
# and inside moat (where /tmp is the sandbox's own).
import hashlib, os, shutil, sys, tempfile

top = tempfile.mkdtemp(prefix="moat-fsops-")
try:
    src = "/usr/include/linux"
    dst = os.path.join(top, "copy")
    shutil.copytree(src, dst, symlinks=True)
    def digest(root):
        h = hashlib.sha256()
        for d, dirs, files in sorted(os.walk(root)):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(d, f)
                h.update(os.path.relpath(p, root).encode())
                if not os.path.islink(p):
                    with open(p, "rb") as fh:
                        h.update(fh.read())
        return h.hexdigest()
    print("copy matches:", digest(src) == digest(dst))
    os.rename(dst, os.path.join(top, "moved"))
    print("after mv:", sorted(os.listdir(top)))
    with open(os.path.join(top, "moved", "a.txt"), "w") as fh:
        fh.write("one\n")
    with open(os.path.join(top, "moved", "a.txt"), "a") as fh:
        fh.write("two\n")
    print(open(os.path.join(top, "moved", "a.txt")).read().split())
    os.symlink("a.txt", os.path.join(top, "moved", "link"))
    print("link reads:", open(os.path.join(top, "moved", "link")).read().split())
    shutil.rmtree(os.path.join(top, "moved"))
    print("after rm -r:", os.listdir(top))
finally:
    shutil.rmtree(top, ignore_errors=True)
print("argv0 ends with fsops.py:", sys.argv[0].endswith("fsops.py"))
