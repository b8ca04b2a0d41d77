/* SPDX-License-Identifier: MIT */
/*
 * USDT notes: the .note.stapsdt of an ELF binary, read with libelf
 * (tr_probes_read, tracer.h), and the argument strings as tracefs fetch
 * arguments (usdt_notes.h).
 *
 * A note (owner "stapsdt", type 3) holds three addresses (site, the
 * .stapsdt.base as linked, semaphore), then provider, name and argument
 * string, each NUL-terminated.  If the binary was moved after linking
 * (prelink), .stapsdt.base's address differs from the note's base by the
 * distance everything moved.  A uprobe names file offsets: an address is
 * mapped through the PT_LOAD header that holds it.  Nothing in the file is
 * trusted: sizes, strings and addresses are checked before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "tracer/usdt_notes.h"

#define NT_STAPSDT 3
#define NOTES_MAX 65536 /* more sites than any binary has: a corrupt file */

/* ---------------------------------------------------------------- arguments */

struct reg_name {
	const char *note;  /* as in the note, without '%' */
	const char *tfs;   /* pt_regs name */
	unsigned size;     /* the width the name stands for */
	unsigned shift;
};

/* x86-64 registers by every width's name (the table is data). */
static const struct reg_name regs[] = {
	{ "rax", "ax", 8, 0 }, { "eax", "ax", 4, 0 }, { "ax", "ax", 2, 0 }, { "al", "ax", 1, 0 },
	{ "ah", "ax", 1, 8 },
	{ "rbx", "bx", 8, 0 }, { "ebx", "bx", 4, 0 }, { "bx", "bx", 2, 0 }, { "bl", "bx", 1, 0 },
	{ "bh", "bx", 1, 8 },
	{ "rcx", "cx", 8, 0 }, { "ecx", "cx", 4, 0 }, { "cx", "cx", 2, 0 }, { "cl", "cx", 1, 0 },
	{ "ch", "cx", 1, 8 },
	{ "rdx", "dx", 8, 0 }, { "edx", "dx", 4, 0 }, { "dx", "dx", 2, 0 }, { "dl", "dx", 1, 0 },
	{ "dh", "dx", 1, 8 },
	{ "rsi", "si", 8, 0 }, { "esi", "si", 4, 0 }, { "si", "si", 2, 0 }, { "sil", "si", 1, 0 },
	{ "rdi", "di", 8, 0 }, { "edi", "di", 4, 0 }, { "di", "di", 2, 0 }, { "dil", "di", 1, 0 },
	{ "rbp", "bp", 8, 0 }, { "ebp", "bp", 4, 0 }, { "bp", "bp", 2, 0 }, { "bpl", "bp", 1, 0 },
	{ "rsp", "sp", 8, 0 }, { "esp", "sp", 4, 0 }, { "sp", "sp", 2, 0 }, { "spl", "sp", 1, 0 },
	{ "rip", "ip", 8, 0 },
};

/* "%r8".."%r15" with an optional d/w/b (or l) suffix. */
static int reg_lookup(const char *s, size_t n, char tfs[4], unsigned *shift)
{
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (strlen(regs[i].note) == n && !memcmp(regs[i].note, s, n)) {
			strcpy(tfs, regs[i].tfs);
			*shift = regs[i].shift;
			return 0;
		}
	if (n >= 2 && s[0] == 'r' && s[1] >= '0' && s[1] <= '9') {
		size_t d = 1;
		unsigned num = 0;
		while (d < n && d < 3 && s[d] >= '0' && s[d] <= '9')
			num = num * 10 + (unsigned)(s[d++] - '0');
		if (num < 8 || num > 15 || (d == 3 && s[1] == '0'))
			return -EPROTO;
		if (d < n && !(d + 1 == n && strchr("dwbl", s[d])))
			return -EPROTO;
		snprintf(tfs, 4, "r%u", num);
		*shift = 0;
		return 0;
	}
	return -EPROTO;
}

/* A decimal or 0x number, optionally negative, within [s, end). */
static int parse_int(const char *s, const char *end, int64_t *out)
{
	int neg = 0;
	if (s < end && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	if (s >= end)
		return -EPROTO;
	int base = 10;
	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	uint64_t v = 0;
	for (; s < end; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -EPROTO;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return -EPROTO;
		v = v * (unsigned)base + d;
	}
	if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -EPROTO;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* One argument, [s, end): "SIZE@OPERAND". */
static int arg_parse(const char *s, const char *end, struct tr_usdt_arg *a, const char **why)
{
	memset(a, 0, sizeof(*a));
	const char *at = memchr(s, '@', (size_t)(end - s));
	if (!at) {
		*why = "no SIZE@ before the operand";
		return -EPROTO;
	}
	const char *p = s;
	if (*p == '-')
		a->is_signed = 1, p++;
	if (at - p != 1 || !strchr("1248", *p) || !*p) {
		*why = at - p == 2 && p[1] == 'f' ? "a floating-point argument"
						  : "a size other than 1, 2, 4 or 8 bytes";
		return -EPROTO;
	}
	a->size = (unsigned)(*p - '0');
	const char *op = at + 1;
	if (op >= end) {
		*why = "no operand";
		return -EPROTO;
	}
	if (*op == '$') {
		a->kind = TR_USDT_CONST;
		if (parse_int(op + 1, end, &a->val)) {
			*why = "a constant that is not a number";
			return -EPROTO;
		}
		return 0;
	}
	if (*op == '%') {
		a->kind = TR_USDT_REG;
		if (reg_lookup(op + 1, (size_t)(end - op - 1), a->reg, &a->shift)) {
			*why = "an unknown register";
			return -EPROTO;
		}
		if (!strcmp(a->reg, "ip")) {
			*why = "the instruction pointer as a value";
			return -EPROTO;
		}
		return 0;
	}
	/* DISP(%REG) */
	const char *open = memchr(op, '(', (size_t)(end - op));
	if (!open || end[-1] != ')' || open + 2 >= end || open[1] != '%') {
		*why = "an operand that is neither %REG, $IMM nor DISP(%REG)";
		return -EPROTO;
	}
	if (memchr(open, ',', (size_t)(end - open))) {
		*why = "an indexed memory operand";
		return -EPROTO;
	}
	a->kind = TR_USDT_MEM;
	if (open == op)
		a->val = 0;
	else if (parse_int(op, open, &a->val)) {
		*why = "a symbol as displacement (RIP-relative data; build with "
		       "STAP_SDT_ARG_CONSTRAINT nr)";
		return -EPROTO;
	}
	if (reg_lookup(open + 2, (size_t)(end - 1 - open - 2), a->reg, &a->shift) || a->shift) {
		*why = "an unknown base register";
		return -EPROTO;
	}
	if (!strcmp(a->reg, "ip")) {
		*why = "a RIP-relative operand (build with STAP_SDT_ARG_CONSTRAINT nr)";
		return -EPROTO;
	}
	return 0;
}

int tr_usdt_args_parse(const char *spec, struct tr_usdt_arg *args, int max, int *n, char *errbuf,
		       size_t errbuf_len)
{
	*n = 0;
	const char *s = spec;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return 0;
		const char *e = s;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		if (*n >= max) {
			vgt_errbuf_set(errbuf, errbuf_len, "more than %d arguments", max);
			return -EPROTO;
		}
		const char *why = "";
		if (arg_parse(s, e, &args[*n], &why)) {
			vgt_errbuf_set(errbuf, errbuf_len, "argument %d '%.*s': %s", *n + 1,
				       (int)(e - s > 64 ? 64 : e - s), s, why);
			return -EPROTO;
		}
		(*n)++;
		s = e;
	}
}

static int put(char *buf, size_t len, int w)
{
	return w < 0 || (size_t)w >= len ? -ENOSPC : 0;
}

/* The tracefs location of the argument (no type): "%dx", "+12(%sp)". */
static int arg_loc(const struct tr_usdt_arg *a, char *buf, size_t len)
{
	switch (a->kind) {
	case TR_USDT_REG:
		return put(buf, len, snprintf(buf, len, "%%%s", a->reg));
	case TR_USDT_MEM:
		return put(buf, len,
			   snprintf(buf, len, "%c%" PRIu64 "(%%%s)", a->val < 0 ? '-' : '+',
				    a->val < 0 ? 0 - (uint64_t)a->val : (uint64_t)a->val, a->reg));
	case TR_USDT_CONST:
		return put(buf, len, snprintf(buf, len, "\\%" PRId64, a->val));
	}
	return -EINVAL;
}

int tr_usdt_arg_value(const struct tr_usdt_arg *a, char *buf, size_t len)
{
	char loc[64];
	int err = arg_loc(a, loc, sizeof(loc));
	if (err)
		return err;
	if (a->shift)
		return put(buf, len, snprintf(buf, len, "%s:b%u@%u/64", loc, a->size * 8, a->shift));
	return put(buf, len,
		   snprintf(buf, len, "%s:%c%u", loc, a->is_signed ? 's' : 'u', a->size * 8));
}

int tr_usdt_arg_deref(const struct tr_usdt_arg *a, int64_t disp, const char *type, char *buf,
		      size_t len)
{
	if (a->kind == TR_USDT_CONST || a->shift || a->size != 8)
		return -EINVAL;
	char loc[64];
	int err = arg_loc(a, loc, sizeof(loc));
	if (err)
		return err;
	return put(buf, len,
		   snprintf(buf, len, "%c%" PRIu64 "(%s):%s", disp < 0 ? '-' : '+',
			    disp < 0 ? 0 - (uint64_t)disp : (uint64_t)disp, loc, type));
}

/* -------------------------------------------------------------- the notes */

struct elf_file {
	const char *path;
	int fd;
	Elf *elf;
	size_t nphdr;
};

/* The file offset of [addr, addr + len) through the PT_LOAD header that
 * holds it in its file image (exec: only an executable one). */
static int addr_to_offset(struct elf_file *f, uint64_t addr, uint64_t len, int exec, uint64_t *off)
{
	for (size_t i = 0; i < f->nphdr; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (exec && !(ph.p_flags & PF_X))
			continue;
		if (addr < ph.p_vaddr || ph.p_filesz > UINT64_MAX - ph.p_vaddr)
			continue;
		uint64_t rel = addr - ph.p_vaddr;
		if (rel > ph.p_filesz || len > ph.p_filesz - rel)
			continue;
		if (ph.p_offset > UINT64_MAX - rel)
			continue;
		*off = ph.p_offset + rel;
		return 0;
	}
	return -EPROTO;
}

/* A NUL-terminated string at *pos inside desc[0..len), at most cap bytes
 * with its NUL. */
static int take_str(const char *desc, size_t len, size_t *pos, char *out, size_t cap)
{
	if (*pos >= len)
		return -EPROTO;
	const char *s = desc + *pos;
	const char *nul = memchr(s, '\0', len - *pos);
	if (!nul || (size_t)(nul - s) + 1 > cap)
		return -EPROTO;
	memcpy(out, s, (size_t)(nul - s) + 1);
	*pos += (size_t)(nul - s) + 1;
	return 0;
}

static int probe_error(struct elf_file *f, char *errbuf, size_t errbuf_len, size_t i,
		       const char *what)
{
	vgt_errbuf_set(errbuf, errbuf_len, "%s: USDT note %zu (.note.stapsdt) is malformed: %s",
		       f->path, i + 1, what);
	return -EPROTO;
}

static int read_notes(struct elf_file *f, struct tr_probe **out, size_t *n, char *errbuf,
		      size_t errbuf_len)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(f->elf, &shstrndx)) {
		vgt_errbuf_set(errbuf, errbuf_len, "%s: no readable section names (%s)", f->path,
			       elf_errmsg(-1));
		return -ENOEXEC;
	}
	Elf_Scn *notes = NULL;
	int have_base = 0;
	uint64_t base_addr = 0;
	for (Elf_Scn *scn = elf_nextscn(f->elf, NULL); scn; scn = elf_nextscn(f->elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(f->elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, ".note.stapsdt") && sh.sh_type == SHT_NOTE && !notes)
			notes = scn;
		else if (!strcmp(name, ".stapsdt.base") && !have_base)
			have_base = 1, base_addr = sh.sh_addr;
	}
	if (!notes)
		return 0;
	Elf_Data *data = elf_getdata(notes, NULL);
	if (!data) {
		vgt_errbuf_set(errbuf, errbuf_len, "%s: .note.stapsdt cannot be read (%s)", f->path,
			       elf_errmsg(-1));
		return -EPROTO;
	}
	if (!data->d_buf || !data->d_size)
		return 0;
	size_t cap = 0, count = 0, off = 0, i = 0;
	struct tr_probe *p = NULL;
	int err = 0;
	for (;; i++) {
		GElf_Nhdr nh;
		size_t name_off, desc_off;
		size_t next = gelf_getnote(data, off, &nh, &name_off, &desc_off);
		if (!next) {
			/* the end, or a note header past the section */
			if (off < data->d_size && data->d_size - off >= sizeof(Elf64_Nhdr))
				err = probe_error(f, errbuf, errbuf_len, i,
						  "its header or sizes run past the section");
			break;
		}
		if (next <= off) {
			err = probe_error(f, errbuf, errbuf_len, i, "it does not advance");
			break;
		}
		off = next;
		const char *nm = (const char *)data->d_buf + name_off;
		if (nh.n_type != NT_STAPSDT || nh.n_namesz != sizeof("stapsdt") ||
		    memcmp(nm, "stapsdt", sizeof("stapsdt")))
			continue; /* another owner's note */
		if (i >= NOTES_MAX) {
			err = probe_error(f, errbuf, errbuf_len, i, "too many notes");
			break;
		}
		const char *desc = (const char *)data->d_buf + desc_off;
		size_t dlen = nh.n_descsz;
		if (desc_off > data->d_size || dlen > data->d_size - desc_off) {
			err = probe_error(f, errbuf, errbuf_len, i, "its description runs past the section");
			break;
		}
		if (dlen < 3 * 8) {
			err = probe_error(f, errbuf, errbuf_len, i, "shorter than its three addresses");
			break;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct tr_probe *np = realloc(p, ncap * sizeof(*p));
			if (!np) {
				err = -ENOMEM;
				vgt_errbuf_set(errbuf, errbuf_len, "%s: out of memory reading its notes",
					       f->path);
				break;
			}
			p = np, cap = ncap;
		}
		struct tr_probe *q = &p[count];
		memset(q, 0, sizeof(*q));
		uint64_t a[3];
		memcpy(a, desc, sizeof(a)); /* little-endian, as the host (checked at open) */
		size_t pos = 24;
		if (take_str(desc, dlen, &pos, q->provider, sizeof(q->provider)) ||
		    take_str(desc, dlen, &pos, q->name, sizeof(q->name))) {
			err = probe_error(f, errbuf, errbuf_len, i,
					  "its provider or name is not a terminated string of at "
					  "most 63 bytes");
			break;
		}
		if (pos < dlen) {
			if (take_str(desc, dlen, &pos, q->args, sizeof(q->args))) {
				err = probe_error(f, errbuf, errbuf_len, i,
						  "its argument string is not terminated or longer "
						  "than 511 bytes");
				break;
			}
		}
		if (!q->provider[0] || !q->name[0]) {
			err = probe_error(f, errbuf, errbuf_len, i, "an empty provider or name");
			break;
		}
		q->base = a[1];
		q->addr = a[0];
		q->sem_addr = a[2];
		if (have_base && q->base) {
			/* prelink moved the binary: everything moved by the same distance */
			uint64_t d = base_addr - q->base;
			q->addr += d;
			if (q->sem_addr)
				q->sem_addr += d;
		}
		if (addr_to_offset(f, q->addr, 1, 1, &q->offset)) {
			char why[256];
			snprintf(why, sizeof(why),
				 "probe %s:%s's site 0x%" PRIx64 " is in no executable PT_LOAD segment",
				 q->provider, q->name, q->addr);
			err = probe_error(f, errbuf, errbuf_len, i, why);
			break;
		}
		if (q->sem_addr && addr_to_offset(f, q->sem_addr, 2, 0, &q->sem_offset)) {
			char why[256];
			snprintf(why, sizeof(why),
				 "probe %s:%s's semaphore 0x%" PRIx64 " is in no PT_LOAD segment's "
				 "file image",
				 q->provider, q->name, q->sem_addr);
			err = probe_error(f, errbuf, errbuf_len, i, why);
			break;
		}
		count++;
	}
	if (err) {
		free(p);
		return err;
	}
	*out = p;
	*n = count;
	return 0;
}

/* The header tables must lie inside the file (libelf reads what is there
 * of a truncated file and reports no sections rather than an error). */
static int headers_past_end(struct elf_file *f, const GElf_Ehdr *eh)
{
	struct stat st;
	if (fstat(f->fd, &st) || st.st_size < 0)
		return 1;
	uint64_t size = (uint64_t)st.st_size;
	uint64_t ph = (uint64_t)eh->e_phnum * eh->e_phentsize;
	uint64_t sh = (uint64_t)eh->e_shnum * eh->e_shentsize;
	if (eh->e_phnum && (eh->e_phoff > size || ph > size - eh->e_phoff))
		return 1;
	if (eh->e_shoff && (eh->e_shoff > size || sh > size - eh->e_shoff))
		return 1;
	return 0;
}

int tr_probes_read(const char *path, struct tr_probe **out, size_t *n, char *errbuf,
		   size_t errbuf_len)
{
	if (!out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	if (!path) {
		vgt_errbuf_set(errbuf, errbuf_len, "no binary given");
		return -EINVAL;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		vgt_errbuf_set(errbuf, errbuf_len, "%s: libelf is too old (%s)", path, elf_errmsg(-1));
		return -ENOTSUP;
	}
	/* O_NONBLOCK: a FIFO must not block the open */
	struct elf_file f = { .path = path, .fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) };
	if (f.fd < 0) {
		int err = -errno;
		vgt_errbuf_set(errbuf, errbuf_len, "%s: cannot open: %s", path, strerror(-err));
		return err;
	}
	struct stat fst;
	if (fstat(f.fd, &fst) || !S_ISREG(fst.st_mode)) {
		vgt_errbuf_set(errbuf, errbuf_len, "%s: not a regular file (an executable is)", path);
		close(f.fd);
		return -ENOEXEC;
	}
	int err = 0;
	/* ELF_C_READ: a copy in memory, so a file shrinking under us is an
	 * error from libelf, not a SIGBUS */
	f.elf = elf_begin(f.fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	if (!f.elf || elf_kind(f.elf) != ELF_K_ELF || !gelf_getehdr(f.elf, &eh)) {
		vgt_errbuf_set(errbuf, errbuf_len, "%s: not an ELF file", path);
		err = -ENOEXEC;
	} else if (gelf_getclass(f.elf) != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
		   eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		vgt_errbuf_set(errbuf, errbuf_len, "%s: not a 64-bit x86-64 ELF file", path);
		err = -ENOEXEC;
	} else if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		vgt_errbuf_set(errbuf, errbuf_len,
			       "%s: neither an executable nor a shared object (ELF type %u)", path,
			       (unsigned)eh.e_type);
		err = -ENOEXEC;
	} else if (headers_past_end(&f, &eh)) {
		vgt_errbuf_set(errbuf, errbuf_len,
			       "%s: truncated or damaged: its program or section headers lie past "
			       "the end of the file",
			       path);
		err = -ENOEXEC;
	} else if (elf_getphdrnum(f.elf, &f.nphdr)) {
		vgt_errbuf_set(errbuf, errbuf_len, "%s: its program headers cannot be read (%s)",
			       path, elf_errmsg(-1));
		err = -ENOEXEC;
	} else {
		err = read_notes(&f, out, n, errbuf, errbuf_len);
	}
	if (f.elf)
		elf_end(f.elf);
	close(f.fd);
	return err;
}
