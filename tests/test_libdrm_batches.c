/* SPDX-License-Identifier: MIT */
/*
 * libdrm's Gen4-Gen7 test batches ($VGT_SHARED/reference/libdrm-batches/
 * *.batch) walked with the Gen8 and Gen9 tables on the render engine.  These
 * are older generations, so many headers are unknown or mean something else;
 * the walk must still terminate, never read past the end of the batch (it
 * sits against a PROT_NONE guard page) and never crash while reading fields
 * and operands.  Skips when ../shared is absent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scanner/scanner.h"
#include "tests/support/skip.h"

#define MAX_BATCHES 64

static char batch_dir[4096];

static int setup(void **state)
{
	(void)state;
	snprintf(batch_dir, sizeof(batch_dir), "%s/reference/libdrm-batches", vgt_test_shared());
	return 0;
}

/* Reads a file into a buffer whose last byte is followed by a guard page.
 * Returns the mapping (to munmap with *maplen) and the dwords in *dw and *ndw. */
static uint8_t *load_guarded(const char *path, uint32_t **dw, size_t *ndw, size_t *maplen)
{
	FILE *f = fopen(path, "rb");
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size, pages;
	uint8_t *map;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	size = (size_t)len / 4 * 4;
	pages = (size + page - 1) / page + 1;
	map = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + (pages - 1) * page, page, PROT_NONE), 0);
	*dw = (uint32_t *)(void *)(map + (pages - 1) * page - size);
	assert_int_equal(fread(*dw, 1, size, f), size);
	fclose(f);
	*ndw = size / 4;
	*maplen = pages * page;
	return map;
}

struct walk_stats {
	size_t commands, ok, unknown, truncated, operands;
};

static void walk(enum scan_gen gen, const uint32_t *dw, size_t ndw, struct walk_stats *s)
{
	struct scan_operand ops[16];
	size_t off = 0, steps = 0;

	while (off < ndw) {
		struct scan_cmd c;
		enum scan_cmd_status st = scan_decode(gen, SCAN_RCS, dw + off, ndw - off, &c);
		const struct scan_field *f;
		unsigned nf;

		assert_true(++steps <= ndw); /* every step advances by >= 1 dword */
		assert_int_equal(c.avail, ndw - off);
		assert_true(c.dwords >= 1);
		s->commands++;
		f = scan_desc_fields(c.desc, &nf);
		for (unsigned i = 0; i < nf; i++)
			(void)scan_cmd_field_value(&c, &f[i]);
		s->operands += scan_cmd_operands(&c, ops, 16);
		if (st == SCAN_CMD_TRUNCATED) {
			assert_true(c.dwords > ndw - off);
			s->truncated++;
			break;
		}
		if (st == SCAN_CMD_UNKNOWN)
			s->unknown++;
		else
			s->ok++;
		if (c.dwords > ndw - off)
			break; /* an unknown command's guess runs past the end */
		off += c.dwords;
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_libdrm_batches_walk_without_crash(void **state)
{
	static const enum scan_gen gens[] = { SCAN_GEN8, SCAN_GEN9 };
	char *names[MAX_BATCHES];
	unsigned n = 0;
	struct dirent *de;
	DIR *d = opendir(batch_dir);

	(void)state;
	if (!d) {
		vgt_skip(VGT_SKIP_NO_SHARED, "%s not found (set VGT_SHARED to the shared folder)",
			 batch_dir);
	}
	while ((de = readdir(d)) && n < MAX_BATCHES)
		if (ends_with(de->d_name, ".batch"))
			names[n++] = strdup(de->d_name);
	closedir(d);
	if (!n) {
		vgt_skip(VGT_SKIP_NO_SHARED, "no *.batch in %s", batch_dir);
	}
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (unsigned i = 0; i < n; i++) {
		char path[4200];
		uint32_t *dw;
		size_t ndw, maplen;
		uint8_t *map;

		snprintf(path, sizeof(path), "%s/%s", batch_dir, names[i]);
		map = load_guarded(path, &dw, &ndw, &maplen);
		assert_true(ndw > 0);
		for (unsigned g = 0; g < 2; g++) {
			struct walk_stats s = { 0 };

			walk(gens[g], dw, ndw, &s);
			assert_int_equal(s.commands, s.ok + s.unknown + s.truncated);
			printf("%-22s gen%d rcs: %5zu dwords, %4zu commands (%zu ok, %zu unknown, "
			       "%zu truncated), %zu operands\n", names[i], (int)gens[g], ndw,
			       s.commands, s.ok, s.unknown, s.truncated, s.operands);
		}
		munmap(map, maplen);
		free(names[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libdrm_batches_walk_without_crash),
	};

	return vgt_run_group_tests(tests, setup, NULL);
}
