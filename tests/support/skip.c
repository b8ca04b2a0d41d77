/* SPDX-License-Identifier: MIT */
/* Skips that `make check` counts (tests/support/skip.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tests/support/skip.h"

static size_t skips;

const char *vgt_test_shared(void)
{
	const char *s = getenv("VGT_SHARED");

	return s && *s ? s : "../shared";
}

const char *vgt_test_shared_path(const char *rel)
{
	static char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", vgt_test_shared(), rel);
	if (stat(path, &st) == 0)
		return path;
	vgt_skip_note(VGT_SKIP_NO_SHARED, "%s not found (set VGT_SHARED to the reference data)", path);
	return NULL;
}

void vgt_skip_note(const char *why, const char *fmt, ...)
{
	char details[512];
	const char *log = getenv("VGT_SKIP_LOG");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(details, sizeof(details), fmt, ap);
	va_end(ap);
	printf("SKIP: %s: %s\n", why, details);
	fflush(stdout);
	if (log && *log) {
		FILE *f = fopen(log, "a");

		if (f) {
			fprintf(f, "SKIP: %s: %s\n", why, details);
			fclose(f);
		}
	}
	skips++;
}

int vgt_test_status(int failures, size_t ncases)
{
	if (failures)
		return 1; /* never 77 (skipped) or a multiple of 256 (passed) */
	return ncases && skips >= ncases ? VGT_EXIT_SKIP : 0;
}
