/*
 * elf.c: loading ELF64 x86-64 images (binfmt_elf) and building the initial
 * stack.
 *
 * An image's PT_LOAD segments are placed as one block: ET_EXEC at its
 * linked addresses, ET_DYN at a random base (ELF_ET_DYN_BASE for programs
 * with an interpreter, the mmap area otherwise, as Linux does).  Segment
 * contents are copied from the file into private anonymous memory.  (When
 * the VFS arrives they become private file mappings, paged in on fault.)
 * PT_INTERP names the dynamic linker, which is loaded the same way and
 * started instead of the program.
 *
 * Linux reference: fs/binfmt_elf.c (load_elf_binary, create_elf_tables),
 * fs/exec.c (copy_strings, setup_arg_pages).
 */
#include "loader/loader.h"

#include <elf.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "kernel/kernel.h"
#include "mm/memobj.h"
#include "mm/mm.h"
#include "vfs/vfs.h"
#include "util/util.h"

#define MAX_PHDRS_SIZE 65536
#define MAX_ARG_STRLEN (32 * PAGE_SIZE)
#define STACK_EXPAND (128UL << 10)

struct elf_image {
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	uint64_t bias;            /* load address minus linked address */
	uint64_t phdr_addr;       /* where the program headers are mapped */
	uint64_t end;             /* end of the highest segment (brk start) */
	uint64_t start_code, end_code, start_data, end_data;
	char *interp;             /* PT_INTERP path, or NULL */
};

static int elf_read_headers(struct exec_file *ef, struct elf_image *img)
{
	Elf64_Ehdr *eh = &img->eh;
	size_t phsize;
	int err;

	if (ef->size < sizeof(*eh) || exec_file_read(ef, eh, sizeof(*eh), 0) != 0)
		return -ENOEXEC;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return -ENOEXEC;
	phsize = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (phsize > MAX_PHDRS_SIZE)
		return -ENOEXEC;
	img->ph = malloc(phsize);
	if (!img->ph)
		return -ENOMEM;
	err = exec_file_read(ef, img->ph, phsize, eh->e_phoff);
	if (err)
		return err;      /* -EIO: truncated, as Linux's elf_read reports */

	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_INTERP)
			continue;
		if (img->interp || p->p_filesz < 2 || p->p_filesz > 4096)
			return -ENOEXEC;
		img->interp = calloc(1, p->p_filesz + 1);
		if (!img->interp)
			return -ENOMEM;
		err = exec_file_read(ef, img->interp, p->p_filesz, p->p_offset);
		if (err)
			return err;
		if (img->interp[p->p_filesz - 1] != 0)
			return -ENOEXEC;
	}
	return 0;
}

static int prot_of(uint32_t pflags)
{
	return ((pflags & PF_R) ? PROT_READ : 0) | ((pflags & PF_W) ? PROT_WRITE : 0) |
	       ((pflags & PF_X) ? PROT_EXEC : 0);
}

static uint64_t rand_below(uint64_t max)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = 0;
	return max ? r % max : 0;
}

/* Pages of an image read in at load: 1 MiB covers a small program or
 * dynamic loader whole; a large one is left to fault in what it uses. */
#define LOADER_POPULATE_PAGES 256

/* Maps img's PT_LOAD segments and fills in bias, phdr_addr and end. */
static int elf_map(struct task *t, struct mm *mm, struct exec_file *ef, struct elf_image *img,
		   bool is_interp_or_pie_with_interp)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	int nload = 0;
	int err = 0;
	struct mm_file *file;

	for (int i = 0; i < img->eh.e_phnum; i++) {
		Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (p->p_filesz > p->p_memsz || p->p_vaddr + p->p_memsz < p->p_vaddr)
			return -ENOEXEC;
		if ((p->p_vaddr & (PAGE_SIZE - 1)) != (p->p_offset & (PAGE_SIZE - 1)))
			return -ENOEXEC;
		lo = MIN(lo, ALIGN_DOWN(p->p_vaddr, PAGE_SIZE));
		hi = MAX(hi, ALIGN_UP(p->p_vaddr + p->p_memsz, PAGE_SIZE));
		nload++;
	}
	if (!nload || hi <= lo || hi - lo > mm->task_size / 2)
		return -ENOEXEC;

	img->bias = 0;
	if (img->eh.e_type == ET_DYN) {
		uint64_t base;
		if (is_interp_or_pie_with_interp) {
			/* ELF_ET_DYN_BASE: 2/3 of the address space, plus
			 * 28 bits of page randomisation. */
			base = ALIGN_DOWN(mm->task_size / 3 * 2, PAGE_SIZE) +
			       (rand_below(1UL << 28) << PAGE_SHIFT);
			if (base + (hi - lo) > mm->mmap_base)
				base = 0;
		} else {
			base = 0;
		}
		if (!base) {
			long r = mm_mmap(mm, 0, hi - lo, PROT_NONE,
					 MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
			if (r < 0)
				return (int)r;
			base = (uint64_t)r;
		}
		img->bias = base - lo;
	}
	if (lo + img->bias < 0x10000 || hi + img->bias > mm->task_size)
		return -ENOMEM;
	struct memobj *obj = NULL;
	file = NULL;
	err = ef->f->ops->mmap ? ef->f->ops->mmap(ef->f, false, &obj, &file) : -EACCES;
	if (!err && !file)
		err = -EACCES;
	if (err)
		return err;
	file_name_mapping(t, ef->f, file);

	/* Read-only segments the new stub maps from the host file (whole
	 * pages: moat's view zeroes the last one's tail past p_filesz, the
	 * host file's page need not), left out of the read-in below. */
	uint64_t held[MM_HOST_MAPS][2];
	unsigned nheld = 0;
	int host_fd = mm->host_maps_wanted ? mm_file_host_fd(file) : -1;

	img->start_code = UINT64_MAX;
	for (int i = 0; i < img->eh.e_phnum; i++) {
		Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		uint64_t vaddr = p->p_vaddr + img->bias;
		uint64_t start = ALIGN_DOWN(vaddr, PAGE_SIZE);
		uint64_t file_end = p->p_filesz ? ALIGN_UP(vaddr + p->p_filesz, PAGE_SIZE) : start;
		uint64_t end = ALIGN_UP(vaddr + p->p_memsz, PAGE_SIZE);
		long r;
		/* The file part pages in from the file on first touch (its
		 * last page zero past p_filesz, as padzero leaves it); the
		 * rest of p_memsz is anonymous memory. */
		if (file_end > start) {
			r = mm_map_file_fixed(mm, start, file_end - start, prot_of(p->p_flags),
					      file, ALIGN_DOWN(p->p_offset, PAGE_SIZE),
					      p->p_offset + p->p_filesz);
			if (r < 0) {
				err = (int)r;
				break;
			}
		}
		uint64_t whole_end = ALIGN_DOWN(vaddr + p->p_filesz, PAGE_SIZE);
		if (host_fd >= 0 && !(p->p_flags & PF_W) && whole_end > start && nheld < MM_HOST_MAPS &&
		    mm_host_map(mm, start, whole_end - start, prot_of(p->p_flags), host_fd,
				ALIGN_DOWN(p->p_offset, PAGE_SIZE))) {
			held[nheld][0] = start;
			held[nheld++][1] = whole_end;
		}
		if (end > file_end) {
			r = mm_map_anon_fixed(mm, file_end, end - file_end, prot_of(p->p_flags), 0);
			if (r < 0) {
				err = (int)r;
				break;
			}
		}
		if (p->p_offset <= img->eh.e_phoff &&
		    img->eh.e_phoff + img->eh.e_phnum * sizeof(Elf64_Phdr) <= p->p_offset + p->p_filesz)
			img->phdr_addr = vaddr + (img->eh.e_phoff - p->p_offset);
		if (p->p_flags & PF_X) {
			img->start_code = MIN(img->start_code, vaddr);
			img->end_code = MAX(img->end_code, vaddr + p->p_filesz);
		} else {
			if (!img->start_data)
				img->start_data = vaddr;
			img->end_data = MAX(img->end_data, vaddr + p->p_filesz);
		}
		img->end = MAX(img->end, vaddr + p->p_memsz);
	}
	for (int i = 0; i < img->eh.e_phnum; i++)
		if (img->ph[i].p_type == PT_PHDR)
			img->phdr_addr = img->ph[i].p_vaddr + img->bias;
	mm_file_put(file);
	/* Read the image in now, while the stub starts up or the old image
	 * is torn down, rather than at a trap per segment once it runs. */
	if (!err) {
		uint64_t a = lo + img->bias, budget = LOADER_POPULATE_PAGES;
		for (unsigned k = 0; k <= nheld; k++) {
			uint64_t b = k < nheld ? held[k][0] : hi + img->bias;
			if (b > a) {
				mm_populate_soon(mm, a, b, budget);
				budget -= MIN(budget, (b - a) >> PAGE_SHIFT);
			}
			if (k < nheld)
				a = MAX(a, held[k][1]);
		}
	}
	return err;
}

static void elf_image_free(struct elf_image *img)
{
	free(img->ph);
	free(img->interp);
}

/* ---- the initial stack ---- */

struct stack_builder {
	struct mm *mm;
	uint64_t sp;
	int err;
};

static uint64_t push_bytes(struct stack_builder *sb, const void *p, size_t n)
{
	sb->sp -= n;
	if (!sb->err && mm_copy_out(sb->mm, sb->sp, p, n))
		sb->err = -EFAULT;
	return sb->sp;
}

static uint64_t vec_size(char *const v[], size_t *count, int *err)
{
	uint64_t total = 0;
	size_t n = 0;

	for (; v && v[n]; n++) {
		size_t len = strlen(v[n]) + 1;
		if (len > MAX_ARG_STRLEN)
			*err = -E2BIG;
		total += len;
	}
	*count = n;
	return total;
}

static int build_stack(struct task *t, struct elf_image *prog, uint64_t interp_base,
		       uint64_t entry, uint64_t vdso, char *const argv[], char *const envp[],
		       const char *execfn)
{
	struct mm *mm = t->mm;
	struct stack_builder sb = { .mm = mm, .sp = mm->stack_top };
	size_t argc, envc;
	int err = 0;
	uint64_t strsize = vec_size(argv, &argc, &err) + vec_size(envp, &envc, &err) +
			   strlen(execfn) + 1;

	if (err)
		return err;
	/* Linux: the strings may take a quarter of the stack limit. */
	if (strsize + (argc + envc + 2) * sizeof(uint64_t) > mm->stack_rlimit / 4)
		return -E2BIG;
	uint64_t stack_size = ALIGN_UP(strsize + (argc + envc) * 8 + 4096, PAGE_SIZE) + STACK_EXPAND;
	long r = mm_map_anon_fixed(mm, mm->stack_top - stack_size, stack_size,
				   PROT_READ | PROT_WRITE, VMA_GROWSDOWN | VMA_STACK);
	if (r < 0)
		return (int)r;

	uint64_t *argp = malloc((argc + envc + 2) * sizeof(uint64_t));
	if (!argp)
		return -ENOMEM;
	/* Strings, highest first: the file name, then envp, then argv. */
	uint64_t execfn_addr = push_bytes(&sb, execfn, strlen(execfn) + 1);
	mm->env_end = mm->stack_top;
	for (size_t i = envc; i-- > 0;)
		argp[argc + 1 + i] = push_bytes(&sb, envp[i], strlen(envp[i]) + 1);
	mm->env_start = sb.sp;
	mm->arg_end = sb.sp;
	for (size_t i = argc; i-- > 0;)
		argp[i] = push_bytes(&sb, argv[i], strlen(argv[i]) + 1);
	mm->arg_start = sb.sp;
	argp[argc] = 0;
	argp[argc + 1 + envc] = 0;

	sb.sp = ALIGN_DOWN(sb.sp, 16);
	uint64_t platform = push_bytes(&sb, "x86_64", 7);
	uint8_t rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	sb.sp = ALIGN_DOWN(sb.sp, 16);
	uint64_t random_addr = push_bytes(&sb, rnd, sizeof(rnd));

	/* Linux's order: ARCH_DLINFO first (fs/binfmt_elf.c). */
	uint64_t auxv[] = {
		AT_SYSINFO_EHDR, vdso,
		AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ),
		AT_HWCAP, getauxval(AT_HWCAP),
		AT_PAGESZ, PAGE_SIZE,
		AT_CLKTCK, 100,
		AT_PHDR, prog->phdr_addr,
		AT_PHENT, sizeof(Elf64_Phdr),
		AT_PHNUM, prog->eh.e_phnum,
		AT_BASE, interp_base,
		AT_FLAGS, 0,
		AT_ENTRY, prog->eh.e_entry + prog->bias,
		AT_UID, 0, AT_EUID, 0, AT_GID, 0, AT_EGID, 0,
		AT_SECURE, 0,
		AT_RANDOM, random_addr,
		AT_HWCAP2, getauxval(AT_HWCAP2),
		AT_EXECFN, execfn_addr,
		AT_PLATFORM, platform,
		AT_NULL, 0,
	};
	/* Keep the final sp 16-byte aligned: argc + argv + envp + auxv. */
	size_t words = 1 + (argc + 1) + (envc + 1) + ARRAY_SIZE(auxv);
	if (words & 1)
		sb.sp -= 8;
	push_bytes(&sb, auxv, sizeof(auxv));
	static_assert(sizeof(auxv) <= sizeof(t->tg->auxv), "auxv copy too small");
	memcpy(t->tg->auxv, auxv, sizeof(auxv));
	t->tg->auxv_len = (int)sizeof(auxv);
	push_bytes(&sb, &argp[argc + 1], (envc + 1) * sizeof(uint64_t));
	push_bytes(&sb, argp, (argc + 1) * sizeof(uint64_t));
	uint64_t argc64 = argc;
	push_bytes(&sb, &argc64, sizeof(argc64));
	free(argp);
	if (sb.err)
		return sb.err;

	mm->start_stack = sb.sp;
	memset(&t->regs, 0, sizeof(t->regs));
	t->regs.rsp = sb.sp;
	t->regs.rip = entry;
	t->regs.eflags = 0x202;
	t->regs.cs = 0x33;
	t->regs.ss = 0x2b;
	return 0;
}

static int loader_load_depth(struct task *t, const char *path, char *const argv[],
			     char *const envp[], int depth, const char *execfn);

static int load_elf(struct task *t, struct exec_file *ef, const char *path,
		    char *const argv[], char *const envp[])
{
	struct exec_file interp_ef = { 0 };
	struct elf_image prog = { 0 }, interp = { 0 };
	struct mm *mm = t->mm;
	uint64_t entry, interp_base = 0;
	int err;

	err = elf_read_headers(ef, &prog);
	if (err)
		goto out;
	if (prog.interp) {
		err = exec_file_open(t, prog.interp, &interp_ef);
		if (err)
			goto out;
		err = elf_read_headers(&interp_ef, &interp);
		if (err)
			goto out;
		if (interp.interp || interp.eh.e_type != ET_DYN) {
			err = -ELIBBAD;
			goto out;
		}
	}

	mm_init_layout(mm);
	err = elf_map(t, mm, ef, &prog, prog.interp != NULL);
	if (err)
		goto out;
	entry = prog.eh.e_entry + prog.bias;
	if (prog.interp) {
		err = elf_map(t, mm, &interp_ef, &interp, false);
		if (err)
			goto out;
		interp_base = interp.bias + ALIGN_DOWN(interp.ph[0].p_vaddr, PAGE_SIZE);
		for (int i = 0; i < interp.eh.e_phnum; i++)
			if (interp.ph[i].p_type == PT_LOAD) {
				interp_base = interp.bias + ALIGN_DOWN(interp.ph[i].p_vaddr, PAGE_SIZE);
				break;
			}
		entry = interp.eh.e_entry + interp.bias;
	}

	/* brk: after the program's highest segment, randomised by up to
	 * 32 MiB; a static PIE's goes to ELF_ET_DYN_BASE (binfmt_elf). */
	uint64_t brk = ALIGN_UP(prog.end, PAGE_SIZE);
	if (prog.eh.e_type == ET_DYN && !prog.interp)
		brk = ALIGN_DOWN(mm->task_size / 3 * 2, PAGE_SIZE);
	brk += rand_below(1UL << 13) << PAGE_SHIFT;
	mm->brk_start = mm->brk = brk;
	mm->start_code = prog.start_code;
	mm->end_code = prog.end_code;
	mm->start_data = prog.start_data;
	mm->end_data = prog.end_data;

	long vdso = vdso_map(mm);
	if (vdso < 0) {
		err = (int)vdso;
		goto out;
	}
	err = build_stack(t, &prog, interp_base, entry, (uint64_t)vdso, argv, envp, path);
	if (!err) {
		tg_set_exe(t->tg, &ef->f->path);
	}
out:
	elf_image_free(&prog);
	elf_image_free(&interp);
	exec_file_close(&interp_ef);
	return err;
}

#define BINPRM_BUF_SIZE 256
#define BINPRM_MAX_RECURSION 4

/*
 * Linux: fs/binfmt_script.c.  "#!interp [arg]" runs interp with argv
 * interp, [arg,] path, argv[1...].  The line ends at a newline or the
 * 256-byte buffer's end (a truncated interpreter name is ENOEXEC).
 */
static int load_script(struct task *t, const char *buf, size_t n, const char *path,
		       char *const argv[], char *const envp[], int depth, const char *execfn)
{
	char line[BINPRM_BUF_SIZE + 1], *interp, *arg = NULL, *p;
	size_t argc = 0, len;
	char **nargv;
	int err;

	memcpy(line, buf + 2, n - 2);
	line[n - 2] = '\0';
	p = strchr(line, '\n');
	if (p)
		*p = '\0';
	else if (n == BINPRM_BUF_SIZE) {
		/* No newline in the buffer: the name must end before it. */
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (!strpbrk(p, " \t"))
			return -ENOEXEC;
	}
	len = strlen(line);
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	for (interp = line; *interp == ' ' || *interp == '\t'; interp++)
		;
	if (!*interp)
		return -ENOEXEC;
	for (p = interp; *p && *p != ' ' && *p != '\t'; p++)
		;
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			arg = p;
	}
	while (argv[argc])
		argc++;
	nargv = calloc(argc + 3, sizeof(char *));
	if (!nargv)
		return -ENOMEM;
	size_t k = 0;
	nargv[k++] = interp;
	if (arg)
		nargv[k++] = arg;
	nargv[k++] = (char *)path;
	for (size_t i = 1; i < argc; i++)
		nargv[k++] = argv[i];
	err = loader_load_depth(t, interp, nargv, envp, depth + 1, execfn);
	free(nargv);
	return err;
}

static int loader_load_depth(struct task *t, const char *path, char *const argv[],
			     char *const envp[], int depth, const char *execfn)
{
	struct exec_file ef = { 0 };
	char buf[BINPRM_BUF_SIZE];
	size_t n;
	int err;

	if (depth > BINPRM_MAX_RECURSION)
		return -ELOOP;
	err = exec_file_open(t, path, &ef);
	if (err)
		return err;
	n = (size_t)MIN(ef.size, sizeof(buf));
	if (n >= 2 && exec_file_read(&ef, buf, 2, 0) == 0 && buf[0] == '#' && buf[1] == '!') {
		err = exec_file_read(&ef, buf, n, 0);
		exec_file_close(&ef);
		return err ? err : load_script(t, buf, n, path, argv, envp, depth, execfn);
	}
	err = load_elf(t, &ef, execfn, argv, envp);
	exec_file_close(&ef);
	return err;
}

int loader_load(struct task *t, const char *path, char *const argv[],
		char *const envp[])
{
	return loader_load_depth(t, path, argv, envp, 0, path);
}

int exec_file_open(struct task *t, const char *path, struct exec_file *ef)
{
	struct file *f;
	int err = vfs_open(t, AT_FDCWD, path, O_RDONLY, 0, 0, &f);

	if (err)
		return err;
	if (!S_ISREG(f->inode->mode))
		err = -EACCES;
	else if (inode_permission(f->inode, MAY_EXEC, &t->cred))
		err = -EACCES;
	else if (f->path.mnt && (f->path.mnt->flags & MNT_NOEXEC))
		err = -EACCES;
	if (err) {
		file_put(f);
		return err;
	}
	ef->f = f;
	ef->size = (uint64_t)file_size(f);
	return 0;
}

void exec_file_close(struct exec_file *ef)
{
	if (ef->f)
		file_put(ef->f);
	ef->f = NULL;
}

int exec_file_read(struct exec_file *ef, void *buf, size_t len, uint64_t off)
{
	return kernel_read_exact(ef->f, buf, len, off);
}
