/*
 * main.c: the moat command line.
 *
 *   moat run [--strace] [--debug-log FILE] [--env K=V]... [--clear-env]
 *            [--root DIR] [--rw] [--mount HOST:SANDBOX[:ro]]...
 *            [--no-syscall-patching]
 *            -- PROGRAM [ARGS...]
 *
 * A thin front end: it parses flags into a kernel_config and hands over to
 * kernel_run(), which builds the sandbox's file system and finds PROGRAM
 * in it the way a shell does.  Exit status: the
 * program's, or 128+N when signal N killed it; 125 when moat itself cannot
 * run (bad usage, a host without seccomp or memfd); 126 when PROGRAM cannot
 * be executed; 127 when it cannot be found.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "platform/platform.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

extern char **environ;

#define EXIT_MOAT 125
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127

static void usage(FILE *out)
{
	fprintf(out,
		"usage: moat run [flags] -- PROGRAM [ARGS...]\n"
		"\n"
		"Runs PROGRAM in a sandbox that implements the Linux system-call ABI.\n"
		"\n"
		"flags:\n"
		"  --strace          print every system call of the program to stderr\n"
		"                    (or to the debug log)\n"
		"  --debug-log FILE  write moat's diagnostics to FILE\n"
		"  --env K=V         set an environment variable (repeatable)\n"
		"  --clear-env       start from an empty environment\n"
		"  --root DIR        use the host directory DIR as the root (default /)\n"
		"  --rw              write through to the root's host directory; without\n"
		"                    it, writes go to an in-memory layer over it\n"
		"  --mount HOST:SANDBOX[:ro]\n"
		"                    bind the host directory HOST at SANDBOX, writable\n"
		"                    unless :ro (repeatable)\n"
		"  --no-syscall-patching\n"
		"                    trap every system call with a signal; by default\n"
		"                    libc's syscall sites are patched to enter moat\n"
		"                    without one\n");
}

/* Adds or replaces K=V in a NULL-terminated, malloc'ed vector. */
static char **env_set(char **env, size_t *n, char *kv)
{
	size_t klen = (size_t)(strchr(kv, '=') - kv);

	for (size_t i = 0; i < *n; i++)
		if (strncmp(env[i], kv, klen + 1) == 0) {
			env[i] = kv;
			return env;
		}
	env = realloc(env, (*n + 2) * sizeof(*env));
	if (!env) {
		moat_warn("out of memory");
		exit(EXIT_MOAT);
	}
	env[(*n)++] = kv;
	env[*n] = NULL;
	return env;
}

static const char *env_get(char **env, const char *key)
{
	size_t klen = strlen(key);

	for (; env && *env; env++)
		if (strncmp(*env, key, klen) == 0 && (*env)[klen] == '=')
			return *env + klen + 1;
	return NULL;
}

/* HOST:SANDBOX[:ro] */
static int parse_mount(char *spec, struct bind_mount *b)
{
	char *colon = strchr(spec, ':');
	size_t len;

	if (!colon || colon == spec || colon[1] != '/') {
		moat_warn("--mount takes HOST:SANDBOX[:ro] with an absolute SANDBOX path, not '%s'", spec);
		return -1;
	}
	*colon = '\0';
	b->host = spec;
	b->sandbox = colon + 1;
	len = strlen(b->sandbox);
	if (len > 3 && strcmp(b->sandbox + len - 3, ":ro") == 0) {
		colon[1 + len - 3] = '\0';
		b->readonly = true;
	}
	struct stat st;
	if (stat(b->host, &st) < 0 || !S_ISDIR(st.st_mode)) {
		moat_warn("--mount: %s is not a host directory", b->host);
		return -1;
	}
	return 0;
}

/*
 * Faults in (prefault) the sentry's pages that every sandbox's start-up
 * writes: its .bss from the first whole page and, with glibc, the first
 * 128 KiB of its heap (glibc's first sbrk, ~132 KiB, comes before main).
 * A start-up took ~25 faults there.
 */
static void warm_sentry_pages(void)
{
	extern char __bss_start[], _end[];
	uintptr_t lo;
#ifdef __GLIBC__
	struct mallinfo2 mi = mallinfo2();
	uintptr_t top = (uintptr_t)sbrk(0);
	uintptr_t hi;
	lo = ALIGN_UP(top - mi.arena, PAGE_SIZE);
	hi = MIN(ALIGN_DOWN(top, PAGE_SIZE), lo + (128 << 10));
	if (mi.arena && top != (uintptr_t)-1 && hi > lo)
		prefault((void *)lo, hi - lo);
#endif
	lo = ALIGN_UP((uintptr_t)__bss_start, PAGE_SIZE);
	if ((uintptr_t)_end > lo)
		prefault((void *)lo, (uintptr_t)_end - lo);
}

static int cmd_run(int argc, char **argv)
{
	struct kernel_config cfg = { 0 };
	char **env = NULL;
	struct bind_mount *binds = calloc((size_t)argc + 1, sizeof(*binds));
	int nbinds = 0;
	size_t nenv = 0;
	bool clear_env = false;
	char **sets = calloc((size_t)argc + 1, sizeof(char *));
	int nsets = 0, i, status = EXIT_MOAT, load_err;
	const char *why = NULL, *what;

	warm_sentry_pages();
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--strace") == 0) {
			strace_enabled = 1;
		} else if (strcmp(a, "--no-syscall-patching") == 0) {
			usertrap_enabled = false;
		} else if (strcmp(a, "--clear-env") == 0) {
			clear_env = true;
		} else if (strcmp(a, "--rw") == 0) {
			cfg.fs.rw = true;
		} else if (strcmp(a, "--root") == 0 || strcmp(a, "--mount") == 0) {
			if (i + 1 >= argc) {
				moat_warn("%s needs an argument", a);
				goto out;
			}
			if (a[2] == 'r') {
				cfg.fs.root = argv[++i];
				struct stat st;
				if (stat(cfg.fs.root, &st) < 0 || !S_ISDIR(st.st_mode)) {
					moat_warn("--root %s: not a directory", cfg.fs.root);
					goto out;
				}
			} else if (parse_mount(argv[++i], &binds[nbinds]) == 0) {
				nbinds++;
			} else {
				goto out;
			}
		} else if (strcmp(a, "--env") == 0 || strcmp(a, "--debug-log") == 0) {
			if (i + 1 >= argc) {
				moat_warn("%s needs an argument", a);
				goto out;
			}
			if (a[2] == 'e') {
				if (!strchr(argv[i + 1], '=')) {
					moat_warn("--env takes K=V, not '%s'", argv[i + 1]);
					goto out;
				}
				sets[nsets++] = argv[++i];
			} else {
				moat_log_fd = open(argv[++i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0644);
				if (moat_log_fd < 0) {
					moat_warn("cannot open debug log %s: %s", argv[i], strerror(errno));
					goto out;
				}
			}
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			status = 0;
			goto out;
		} else if (a[0] == '-') {
			moat_warn("unknown flag '%s' (see moat run --help)", a);
			goto out;
		} else {
			break;          /* PROGRAM without "--" */
		}
	}
	if (i >= argc) {
		moat_warn("no program to run");
		usage(stderr);
		goto out;
	}

	if (!clear_env)
		for (char **e = environ; *e; e++)
			env = env_set(env, &nenv, *e);
	for (int k = 0; k < nsets; k++)
		env = env_set(env, &nenv, sets[k]);
	if (!env)
		env = calloc(1, sizeof(*env));

	cfg.argv = &argv[i];
	cfg.envp = env;
	cfg.program = argv[i];
	cfg.path_env = env_get(env, "PATH");
	cfg.fs.binds = binds;
	cfg.fs.nbinds = nbinds;
	if (platform_init(&why) != 0) {
		moat_warn("this host cannot run moat: %s", why);
		status = EXIT_MOAT;
		goto out;
	}
	status = kernel_run(&cfg, &load_err, &what);
	if (load_err) {
		const char *msg = strerror(-load_err);
		if (status == EXIT_NOTFOUND && !strchr(argv[i], '/'))
			msg = "command not found";
		else if (load_err == -EIO)
			msg = "cannot read the executable (truncated?)";
		else if (load_err == -ENOEXEC)
			msg = "not an x86-64 ELF executable (Exec format error)";
		moat_warn("%s: %s", what, msg);
	}
out:
	free(binds);
	free(env);
	free(sets);
	return status;
}

int main(int argc, char **argv)
{
	/*
	 * One malloc arena for all of moat's threads.  glibc gives each new
	 * thread an arena of its own at its first malloc: a 64 MiB reservation
	 * mapped, trimmed (two munmaps, each a TLB shootdown) and faulted in,
	 * ~200 us on a virtual machine, paid on the way to the program's
	 * first instruction by the first task's thread.  The sentry's hot
	 * objects come from its block caches, and glibc's per-thread caches
	 * serve small blocks without the arena's lock.
	 */
#ifdef M_ARENA_MAX
	mallopt(M_ARENA_MAX, 1);
#endif
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return EXIT_MOAT;
}
