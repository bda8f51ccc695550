/*
 * mm_filecache: private mappings of a file of the read-only root (here
 * the test's own executable, which moat maps from its page cache shared
 * copy-on-write): contents equal read(); a write to one mapping, through
 * mprotect, shows in no other mapping, in no later mapping, in no read()
 * and in no forked child's view made before it; a child's writes stay its
 * own; MADV_DONTNEED drops a written page back to the file's bytes; a
 * mapping whose pages were already read elsewhere sees the same bytes;
 * the sentry writing into a shared page (read() into the mapping) copies
 * it first.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char file[4 * PAGE];

int main(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	int st;

	if (!CHECK(fd >= 0))
		return check_done();
	if (!CHECK_EQ(pread(fd, file, sizeof(file), 0), (long)sizeof(file)))
		return check_done();

	char *a = mmap(NULL, sizeof(file), PROT_READ, MAP_PRIVATE, fd, 0);
	char *b = mmap(NULL, sizeof(file), PROT_READ, MAP_PRIVATE, fd, 0);
	if (!CHECK(a != MAP_FAILED && b != MAP_FAILED))
		return check_done();
	CHECK(memcmp(a, file, sizeof(file)) == 0);
	CHECK(memcmp(b, file, sizeof(file)) == 0);

	/* A write to a: a's own page; b, the file and new mappings keep the
	 * file's bytes. */
	CHECK_OK(mprotect(a, sizeof(file), PROT_READ | PROT_WRITE));
	a[PAGE + 5] = (char)(file[PAGE + 5] ^ 0x5a);
	CHECK_EQ(a[PAGE + 5], (char)(file[PAGE + 5] ^ 0x5a));
	CHECK_EQ(b[PAGE + 5], file[PAGE + 5]);
	char *c = mmap(NULL, sizeof(file), PROT_READ, MAP_PRIVATE, fd, 0);
	if (CHECK(c != MAP_FAILED)) {
		CHECK(memcmp(c, file, sizeof(file)) == 0);
		munmap(c, sizeof(file));
	}
	char byte;
	CHECK_EQ(pread(fd, &byte, 1, PAGE + 5), 1);
	CHECK_EQ(byte, file[PAGE + 5]);

	/* Fork: the child sees a's write, its own writes stay its own. */
	pid_t pid = fork();
	if (pid == 0) {
		int bad = a[PAGE + 5] != (char)(file[PAGE + 5] ^ 0x5a);
		a[2 * PAGE] = 1;
		a[PAGE + 5] = 2;
		bad |= memcmp(b, file, sizeof(file)) != 0;
		_exit(bad);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(st, 0);
	CHECK_EQ(a[2 * PAGE], file[2 * PAGE]);
	CHECK_EQ(a[PAGE + 5], (char)(file[PAGE + 5] ^ 0x5a));

	/* MADV_DONTNEED: the written page reads as the file again. */
	CHECK_OK(madvise(a, sizeof(file), MADV_DONTNEED));
	CHECK(memcmp(a, file, sizeof(file)) == 0);

	/* The sentry (the kernel) writing into the mapping: read() into a
	 * page shared with the file's other mappings. */
	char *d = mmap(NULL, sizeof(file), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (CHECK(d != MAP_FAILED)) {
		CHECK_EQ(d[3 * PAGE], file[3 * PAGE]);     /* touched: mapped first */
		int p[2];
		CHECK_OK(pipe(p));
		CHECK_EQ(write(p[1], "xyz", 3), 3);
		CHECK_EQ(read(p[0], d + 3 * PAGE, 3), 3);
		CHECK(memcmp(d + 3 * PAGE, "xyz", 3) == 0);
		CHECK(memcmp(b + 3 * PAGE, file + 3 * PAGE, PAGE) == 0);
		close(p[0]);
		close(p[1]);
	}
	CHECK(memcmp(b, file, sizeof(file)) == 0);
	close(fd);
	return check_done();
}
