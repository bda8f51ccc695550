/*
 * mm_image: the program's own loaded image (moat maps its read-only
 * segments in the first stub straight from the host file).  Text and
 * read-only data equal the file's bytes; a text page made writable takes
 * a write, and MADV_DONTNEED brings the file's bytes back; a read-only
 * page made PROT_NONE faults and comes back with mprotect; a page
 * unmapped faults, and a new anonymous mapping there reads zeros, not
 * the file; a forked child sees the file's bytes, and the parent's write.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Four pages of read-only data of the test's own, aligned to pages. */
static const char rodata[4 * PAGE] __attribute__((aligned(4096))) = {
	[0] = 1, [PAGE] = 2, [2 * PAGE] = 3, [3 * PAGE] = 4, [4 * PAGE - 1] = 5,
};

static int exe_fd;
static sigjmp_buf jump;
static volatile int faults;

static void on_segv(int sig)
{
	(void)sig;
	faults++;
	siglongjmp(jump, 1);
}

/* The file offset of address a in the program's PT_LOAD segments. */
struct find { uintptr_t addr; long off; uintptr_t seg_end; };

static int find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find *f = arg;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + p->p_vaddr;
		if (p->p_type == PT_LOAD && f->addr >= lo && f->addr < lo + p->p_filesz) {
			f->off = (long)(p->p_offset + (f->addr - lo));
			f->seg_end = lo + p->p_filesz;
			return 1;
		}
	}
	return 0;
}

/* Whether page `page` of the image holds the file's bytes. */
static int same_as_file(const char *page)
{
	struct find f = { (uintptr_t)page, -1, 0 };
	char buf[PAGE];

	dl_iterate_phdr(find_cb, &f);
	if (f.off < 0 || pread(exe_fd, buf, PAGE, f.off) != (long)PAGE)
		return 0;
	return memcmp(buf, page, PAGE) == 0;
}

static int readable(const volatile char *p)
{
	faults = 0;
	if (sigsetjmp(jump, 1) == 0)
		(void)*p;
	return faults == 0;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_segv };
	int st;

	sigaction(SIGSEGV, &sa, NULL);
	exe_fd = open("/proc/self/exe", O_RDONLY);
	if (!CHECK(exe_fd >= 0))
		return check_done();

	/* Text: a page of this program's code, and the last whole page of
	 * its text segment (libc's, not run by this test). */
	struct find f = { (uintptr_t)main, -1, 0 };
	dl_iterate_phdr(find_cb, &f);
	if (!CHECK(f.off >= 0))
		return check_done();
	char *code = (char *)((uintptr_t)main & ~(PAGE - 1));
	char *spare = (char *)((f.seg_end & ~(PAGE - 1)) - PAGE);
	CHECK(same_as_file(code));
	CHECK(same_as_file(spare));
	const char *ro = rodata;
	for (int i = 0; i < 4; i++)
		CHECK(same_as_file(ro + i * PAGE));

	/* A written text page, then MADV_DONTNEED: the file's bytes again. */
	char old = spare[100];
	if (CHECK_OK(mprotect(spare, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC))) {
		spare[100] = (char)(old ^ 0x33);
		CHECK_EQ(spare[100], (char)(old ^ 0x33));
		CHECK(!same_as_file(spare));
		pid_t pid = fork();
		if (pid == 0)
			_exit(spare[100] == (char)(old ^ 0x33) && same_as_file(code) &&
			      same_as_file(ro) ? 0 : 1);
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0);
		CHECK_OK(madvise(spare, PAGE, MADV_DONTNEED));
		CHECK_EQ(spare[100], old);
		CHECK(same_as_file(spare));
		CHECK_OK(mprotect(spare, PAGE, PROT_READ | PROT_EXEC));
	}

	/* PROT_NONE faults; PROT_READ again reads the file's bytes. */
	char *ro1 = (char *)ro + PAGE;
	CHECK(readable(ro1));
	CHECK_OK(mprotect(ro1, PAGE, PROT_NONE));
	CHECK(!readable(ro1));
	CHECK_OK(mprotect(ro1, PAGE, PROT_READ));
	CHECK(readable(ro1));
	CHECK(same_as_file(ro1));

	/* Unmapped: faults; mapped anew (anonymous): zeros. */
	char *ro2 = (char *)ro + 2 * PAGE;
	CHECK_OK(munmap(ro2, PAGE));
	CHECK(!readable(ro2));
	char *z = mmap(ro2, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (CHECK(z == ro2)) {
		static const char zero[PAGE];
		CHECK(memcmp(z, zero, PAGE) == 0);
	}
	CHECK(same_as_file(ro + 3 * PAGE));
	return check_done();
}
