/* SPDX-License-Identifier: MIT */
/*
 * USDT notes (tracer/usdt_notes.c, uprobe_lines.c): the real vgt binary's
 * vgt:event and vgt:blob probes are found, with site and semaphore file
 * offsets that agree with the program headers; argument strings become
 * tracefs fetch arguments (registers by their pt_regs names, memory
 * operands, constants, high-byte registers); what tracefs cannot fetch is
 * refused with the argument quoted; the uprobe_events lines carry the
 * semaphore and capture_int.h's fields; and a corrupted copy of the binary
 * (truncated, a note's sizes or strings damaged, addresses outside every
 * segment, random bytes) is an error naming the file, never a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/skip.h"
#include "tracer/usdt_notes.h"

static char vgt[PATH_MAX];
static unsigned char *image;
static size_t image_len;

static int setup(void **state)
{
	const char *v = getenv("VGT");
	if (!realpath(v && *v ? v : "build/vgt", vgt))
		return -1;
	FILE *f = fopen(vgt, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	image_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	image = malloc(image_len);
	if (!image || fread(image, 1, image_len, f) != image_len)
		return -1;
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	free(image);
	return 0;
}

/* ------------------------------------------------------------ arguments */

static const char *value_of(const char *spec)
{
	static char buf[128];
	struct tr_usdt_arg a[TR_USDT_MAX_ARGS];
	int n;
	char err[160];
	assert_int_equal(tr_usdt_args_parse(spec, a, TR_USDT_MAX_ARGS, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(tr_usdt_arg_value(&a[0], buf, sizeof(buf)), 0);
	return buf;
}

static void test_registers_become_pt_regs_names_with_the_width_in_the_type(void **state)
{
	assert_string_equal(value_of("8@%rdx"), "%dx:u64");
	assert_string_equal(value_of("4@%ecx"), "%cx:u32");
	assert_string_equal(value_of("-4@%esi"), "%si:s32");
	assert_string_equal(value_of("2@%ax"), "%ax:u16");
	assert_string_equal(value_of("1@%dil"), "%di:u8");
	assert_string_equal(value_of("4@%r9d"), "%r9:u32");
	assert_string_equal(value_of("8@%r15"), "%r15:u64");
	assert_string_equal(value_of("1@%r10b"), "%r10:u8");
	assert_string_equal(value_of("1@%ah"), "%ax:b8@8/64");
}

static void test_memory_operands_and_constants_become_fetch_arguments(void **state)
{
	assert_string_equal(value_of("-4@12(%rsp)"), "+12(%sp):s32");
	assert_string_equal(value_of("8@-8(%rbp)"), "-8(%bp):u64");
	assert_string_equal(value_of("4@(%rax)"), "+0(%ax):u32");
	assert_string_equal(value_of("4@$5"), "\\5:u32");
	assert_string_equal(value_of("-8@$-3"), "\\-3:s64");
}

static void test_a_pointer_argument_is_dereferenced_at_a_displacement(void **state)
{
	struct tr_usdt_arg a[2];
	int n;
	char buf[128], err[160];
	assert_int_equal(tr_usdt_args_parse("8@%rcx 8@16(%rsp)", a, 2, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(tr_usdt_arg_deref(&a[0], 512, "x64[64]", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "+512(%cx):x64[64]");
	assert_int_equal(tr_usdt_arg_deref(&a[1], 0, "ustring", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "+0(+16(%sp)):ustring");
	assert_int_equal(tr_usdt_args_parse("8@$4096 1@%ah", a, 2, &n, err, sizeof(err)), 0);
	assert_int_equal(tr_usdt_arg_deref(&a[0], 0, "u8", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(tr_usdt_arg_deref(&a[1], 0, "u8", buf, sizeof(buf)), -EINVAL);
}

static void refused(const char *spec, const char *why)
{
	struct tr_usdt_arg a[TR_USDT_MAX_ARGS];
	int n;
	char err[160] = "";
	assert_int_equal(tr_usdt_args_parse(spec, a, TR_USDT_MAX_ARGS, &n, err, sizeof(err)),
			 -EPROTO);
	if (!strstr(err, why))
		fail_msg("'%s': '%s' does not say '%s'", spec, err, why);
}

static void test_what_tracefs_cannot_fetch_is_refused_quoting_the_argument(void **state)
{
	refused("8f@%xmm0", "floating-point");
	refused("4@g(%rip)", "symbol");
	refused("4@8(%rip)", "RIP-relative");
	refused("4@(%rax,%rbx,4)", "indexed");
	refused("3@%eax", "size");
	refused("4@%eexx", "unknown register");
	refused("8@%r16", "unknown register");
	refused("4@$x", "not a number");
	refused("%rax", "no SIZE@");
	refused("8@%rdi 4@", "argument 2 '4@'");
	refused("8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax "
		"8@%rax 8@%rax",
		"more than 12");
}

/* ------------------------------------------------------------ the notes */

static const struct tr_probe *find(const struct tr_probe *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p[i].provider, "vgt") && !strcmp(p[i].name, name))
			return &p[i];
	return NULL;
}

/* The PT_LOAD of the image holding vaddr (the test's own walk of the
 * program headers). */
static uint64_t offset_of(uint64_t vaddr)
{
	const Elf64_Ehdr *eh = (const void *)image;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(image + eh->e_phoff + (size_t)i * eh->e_phentsize);
		if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr < ph->p_vaddr + ph->p_filesz)
			return vaddr - ph->p_vaddr + ph->p_offset;
	}
	return UINT64_MAX;
}

static void test_the_vgt_binary_has_both_probes_with_file_offsets(void **state)
{
	struct tr_probe *p;
	size_t n;
	char err[512] = "";
	assert_int_equal(tr_probes_read(vgt, &p, &n, err, sizeof(err)), 0);
	const struct tr_probe *ev = find(p, n, "event"), *bl = find(p, n, "blob");
	assert_non_null(ev);
	assert_non_null(bl);
	for (const struct tr_probe *q = ev; q; q = q == ev ? bl : NULL) {
		assert_int_equal(q->offset, offset_of(q->addr));
		assert_true(q->sem_addr != 0);
		assert_int_equal(q->sem_offset, offset_of(q->sem_addr));
		/* the site is a nop (sys/sdt.h) */
		assert_int_equal(image[q->offset], 0x90);
		struct tr_usdt_arg a[TR_USDT_MAX_ARGS];
		int na;
		assert_int_equal(tr_usdt_args_parse(q->args, a, TR_USDT_MAX_ARGS, &na, err,
						    sizeof(err)), 0);
		assert_int_equal(na, 6);
	}
	/* the two semaphores are 16-bit counters side by side in .probes */
	assert_int_equal(ev->sem_addr > bl->sem_addr ? ev->sem_addr - bl->sem_addr
						     : bl->sem_addr - ev->sem_addr, 2);
	free(p);
}

static void test_uprobe_lines_carry_the_semaphores_and_the_contract_fields(void **state)
{
	char *lines, err[512] = "";
	assert_int_equal(tr_probes_uprobe_events(vgt, "vgt_t", &lines, err, sizeof(err)), 0);
	struct tr_probe *p;
	size_t n;
	assert_int_equal(tr_probes_read(vgt, &p, &n, err, sizeof(err)), 0);
	char want[PATH_MAX + 128];
	const struct tr_probe *ev = find(p, n, "event"), *bl = find(p, n, "blob");
	snprintf(want, sizeof(want), "p:vgt_t/event %s:0x%llx(0x%llx) type=", vgt,
		 (unsigned long long)ev->offset, (unsigned long long)ev->sem_offset);
	assert_non_null(strstr(lines, want));
	snprintf(want, sizeof(want), "p:vgt_t/blob %s:0x%llx(0x%llx) seq=", vgt,
		 (unsigned long long)bl->offset, (unsigned long long)bl->sem_offset);
	assert_non_null(strstr(lines, want));
	static const char *const fields[] = { ":u32 vgpu=", ":u64 ev=+0(", "):x64[20] text=+0(",
					      "):ustring nblobs=", " index=", " desc=+0(",
					      "):x64[3] offset=", " len=", " data0=+0(",
					      " data1=+512(", " data2=+1024(", " data3=+1536(" };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strstr(lines, fields[i]))
			fail_msg("no '%s' in %s", fields[i], lines);
	/* two lines, each ending in a newline */
	size_t nl = 0;
	for (const char *c = lines; *c; c++)
		nl += *c == '\n';
	assert_int_equal(nl, 2);
	assert_int_equal(lines[strlen(lines) - 1], '\n');
	free(lines);
	free(p);
}

static void test_bad_group_names_and_binaries_without_probes_are_refused(void **state)
{
	char *lines, err[512] = "";
	assert_int_equal(tr_probes_uprobe_events(vgt, "1abc", &lines, err, sizeof(err)), -EINVAL);
	assert_int_equal(tr_probes_uprobe_events(vgt, "a/b", &lines, err, sizeof(err)), -EINVAL);
	assert_int_equal(tr_probes_uprobe_events(vgt, "", &lines, err, sizeof(err)), -EINVAL);
	assert_int_equal(tr_probes_uprobe_events("/bin/true", "g", &lines, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "true: has no vgt:event probe"));
	assert_int_equal(tr_probes_uprobe_events("/nonexistent/vgt", "g", &lines, err,
						 sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/vgt"));
}

/* ------------------------------------------------------- corrupted copies */

static char tmp[64];

static const char *write_copy(const unsigned char *data, size_t len)
{
	strcpy(tmp, "/tmp/vgt-notes-XXXXXX");
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return tmp;
}

/* Reads a copy: must not crash; an error names the copy. */
static int read_copy(const unsigned char *data, size_t len)
{
	const char *path = write_copy(data, len);
	struct tr_probe *p = NULL;
	size_t n = 0;
	char err[512] = "";
	int rc = tr_probes_read(path, &p, &n, err, sizeof(err));
	if (rc)
		assert_non_null(strstr(err, path));
	free(p);
	char *lines = NULL;
	int rc2 = tr_probes_uprobe_events(path, "g", &lines, err, sizeof(err));
	if (rc2)
		assert_non_null(strstr(err, path));
	free(lines);
	unlink(path);
	return rc;
}

/* The .note.stapsdt section's file range in the image. */
static void notes_range(size_t *off, size_t *len)
{
	const Elf64_Ehdr *eh = (const void *)image;
	const Elf64_Shdr *sh = (const void *)(image + eh->e_shoff);
	const char *names = (const char *)image + sh[eh->e_shstrndx].sh_offset;
	for (unsigned i = 0; i < eh->e_shnum; i++)
		if (!strcmp(names + sh[i].sh_name, ".note.stapsdt")) {
			*off = sh[i].sh_offset;
			*len = sh[i].sh_size;
			return;
		}
	fail_msg("no .note.stapsdt in %s", vgt);
}

static void test_truncated_copies_are_errors_naming_the_file(void **state)
{
	size_t cuts[] = { 0, 3, 16, 63, 64, 200, 4096, image_len / 2, image_len - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		assert_true(read_copy(image, cuts[i]) < 0);
	assert_int_equal(read_copy(image, 0), -ENOEXEC);
}

static void test_damaged_notes_are_errors_naming_the_file(void **state)
{
	size_t off, len;
	notes_range(&off, &len);
	unsigned char *c = malloc(image_len);
	assert_non_null(c);
	/* the first note's descsz: huge, then just below its addresses */
	memcpy(c, image, image_len);
	uint32_t big = 0xfffffff0u;
	memcpy(c + off + 4, &big, 4);
	assert_true(read_copy(c, image_len) < 0);
	memcpy(c, image, image_len);
	uint32_t small = 20;
	memcpy(c + off + 4, &small, 4);
	assert_int_equal(read_copy(c, image_len), -EPROTO);
	/* the strings lose their terminators: provider, name, args run on */
	memcpy(c, image, image_len);
	uint32_t descsz;
	memcpy(&descsz, c + off + 4, 4);
	size_t desc = off + 12 + 8; /* header, "stapsdt\0" */
	for (size_t i = desc + 24; i < desc + descsz; i++)
		if (!c[i])
			c[i] = 'A';
	assert_int_equal(read_copy(c, image_len), -EPROTO);
	/* a site address in no segment */
	memcpy(c, image, image_len);
	uint64_t nowhere = 0x7fff00000000ull;
	memcpy(c + desc, &nowhere, 8);
	assert_int_equal(read_copy(c, image_len), -EPROTO);
	/* a semaphore address in no segment */
	memcpy(c, image, image_len);
	memcpy(c + desc + 16, &nowhere, 8);
	assert_int_equal(read_copy(c, image_len), -EPROTO);
	/* an argument tracefs cannot take: the lines are refused, the list is not */
	memcpy(c, image, image_len);
	char *args = memmem(c + desc, descsz, "8@%r", 4);
	assert_non_null(args);
	memcpy(args, "8f@%", 4);
	assert_int_equal(read_copy(c, image_len), 0);
	free(c);
}

static void test_random_damage_never_crashes(void **state)
{
	size_t off, len;
	notes_range(&off, &len);
	unsigned char *c = malloc(image_len);
	assert_non_null(c);
	const Elf64_Ehdr *eh = (const void *)image;
	size_t ph = eh->e_phoff, phlen = (size_t)eh->e_phnum * eh->e_phentsize;
	srand(12345);
	for (int round = 0; round < 300; round++) {
		memcpy(c, image, image_len);
		int flips = 1 + rand() % 8;
		for (int k = 0; k < flips; k++) {
			/* aim at the notes, the program headers and the ELF header */
			size_t at;
			switch (rand() % 3) {
			case 0: at = off + (size_t)rand() % len; break;
			case 1: at = ph + (size_t)rand() % phlen; break;
			default: at = (size_t)rand() % sizeof(Elf64_Ehdr); break;
			}
			c[at] = (unsigned char)rand();
		}
		read_copy(c, image_len);
	}
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers_become_pt_regs_names_with_the_width_in_the_type),
		cmocka_unit_test(test_memory_operands_and_constants_become_fetch_arguments),
		cmocka_unit_test(test_a_pointer_argument_is_dereferenced_at_a_displacement),
		cmocka_unit_test(test_what_tracefs_cannot_fetch_is_refused_quoting_the_argument),
		cmocka_unit_test(test_the_vgt_binary_has_both_probes_with_file_offsets),
		cmocka_unit_test(test_uprobe_lines_carry_the_semaphores_and_the_contract_fields),
		cmocka_unit_test(test_bad_group_names_and_binaries_without_probes_are_refused),
		cmocka_unit_test(test_truncated_copies_are_errors_naming_the_file),
		cmocka_unit_test(test_damaged_notes_are_errors_naming_the_file),
		cmocka_unit_test(test_random_damage_never_crashes),
	};
	return vgt_run_group_tests(tests, setup, teardown);
}
