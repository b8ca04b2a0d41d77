/* SPDX-License-Identifier: MIT */
/*
 * vgt dump and vgt stat on edge-case logs written here through the
 * tr_writer_* API (what a simulation never records): vGPU ids above
 * MED_MAX_VGPUS (stat counts them "out of range", not "none"), scan
 * blobs that --decode cannot decode (an unknown address space, an engine
 * outside 0..3, a log whose gen is neither 8 nor 9: the reason under the
 * "buffer N:" line).  The CLI is $VGT (make check sets it), else
 * build/vgt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/tracer.h"

static char dir[] = "/tmp/vgt-logtools-XXXXXX";

static struct med_event ev_of(uint16_t type, uint64_t seq, unsigned vgpu, int engine)
{
	struct med_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.seq = seq;
	e.time = seq * 1000;
	e.vgpu = (uint16_t)vgpu;
	e.engine = (int8_t)engine;
	e.version = MED_EVENT_VERSION;
	e.size = sizeof(e);
	return e;
}

/* Runs "$VGT ARGS" with stdout and stderr in one malloc'd string; its
 * exit status in *status. */
static char *run(int *status, const char *fmt, ...)
{
	const char *vgt = getenv("VGT") ? getenv("VGT") : "build/vgt";
	char args[1024], cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", vgt, args);
	FILE *p = popen(cmd, "r");
	char *out = NULL;
	size_t len = 0, n;
	char buf[4096];
	FILE *m = open_memstream(&out, &len);

	assert_non_null(p);
	assert_non_null(m);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, m);
	int st = pclose(p);

	fclose(m);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

static void open_log(const char *path, struct tr_writer **w)
{
	struct tr_writer_opts wo = { .sz = sizeof(wo), .source = TR_SOURCE_INPROC, .cmdline = "test" };

	assert_int_equal(tr_writer_open(path, &wo, w), 0);
}

/* ------------------------------------------------------------ vgt stat */

static void test_stat_counts_vgpu_ids_out_of_range_apart(void **state)
{
	char path[256];
	struct tr_writer *w;
	struct med_event e;
	uint64_t seq = 0;

	snprintf(path, sizeof(path), "%s/range.vgtl", dir);
	open_log(path, &w);
	for (int i = 0; i < 3; i++) {
		e = ev_of(MED_EV_MMIO_READ, ++seq, 1, -1);
		assert_int_equal(tr_writer_event(w, &e), 0);
	}
	for (int i = 0; i < 2; i++) {
		e = ev_of(MED_EV_CLOCK, ++seq, 0, -1);
		assert_int_equal(tr_writer_event(w, &e), 0);
	}
	for (unsigned v = MED_MAX_VGPUS + 1; v < MED_MAX_VGPUS + 6; v++) {
		e = ev_of(MED_EV_MMIO_WRITE, ++seq, v, -1);
		assert_int_equal(tr_writer_event(w, &e), 0);
	}
	e = ev_of(MED_EV_MMIO_WRITE, ++seq, UINT16_MAX, -1);
	assert_int_equal(tr_writer_event(w, &e), 0);
	assert_int_equal(tr_writer_close(w, NULL), 0);

	/* the library */
	struct tr_reader *r;
	struct tr_log_stats s;

	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	assert_int_equal(tr_log_stats(r, &s), 0);
	tr_reader_close(r);
	assert_int_equal(s.events, 11);
	assert_int_equal(s.by_vgpu_events[0], 2);
	assert_int_equal(s.by_vgpu_events[1], 3);
	assert_int_equal(s.vgpu_out_of_range, 6);
	assert_int_equal(s.vgpu[0].events, 2); /* "none" only */

	/* text and JSON */
	int st;
	char *out = run(&st, "stat '%s'", path);

	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "    none                        2\n"));
	assert_non_null(strstr(out, "    out of range                6\n"));
	free(out);
	out = run(&st, "stat --json '%s'", path);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "\"by_vgpu\":{\"0\":2,\"1\":3,\"out_of_range\":6}"));
	free(out);
	unlink(path);
}

/* ------------------------------------------------------ vgt dump --decode */

static const uint32_t ring[4] = { 0, 0, 0, 0x05000000 }; /* MI_NOOP x3, MI_BATCH_BUFFER_END */

static void write_scan(struct tr_writer *w, uint64_t seq, int engine, unsigned as)
{
	struct med_blob b = { .kind = MED_BLOB_SHADOW, .as = (uint8_t)as, .len = sizeof(ring),
			      .addr = 0x1000, .gpa = UINT64_MAX, .data = ring };
	struct med_event e = ev_of(MED_EV_SCAN, seq, 1, engine);

	e.u.scan.id = seq;
	e.u.scan.pass = 1;
	e.blobs = &b;
	e.nblobs = 1;
	assert_int_equal(tr_writer_event(w, &e), 0);
}

static void test_decode_says_why_it_cannot_decode(void **state)
{
	char path[256];
	struct tr_writer *w;

	snprintf(path, sizeof(path), "%s/decode.vgtl", dir);
	open_log(path, &w);
	write_scan(w, 1, 0, 77);  /* an address space scan_as_name does not know */
	write_scan(w, 2, 9, 0);   /* engine outside 0..3 */
	write_scan(w, 3, -1, 0);
	write_scan(w, 4, 0, 0);   /* decodes */
	assert_int_equal(tr_writer_close(w, NULL), 0);

	int st;
	char *out = run(&st, "dump --decode '%s'", path);

	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "    buffer 0: 16 bytes at as=77:0x1000\n"));
	assert_null(strstr(out, "(null)"));
	assert_non_null(strstr(out, "      (cannot decode: engine 9 is not one the decoder knows, 0..3)\n"));
	assert_non_null(strstr(out, "      (cannot decode: engine -1 is not one the decoder knows, 0..3)\n"));
	assert_non_null(strstr(out, "MI_BATCH_BUFFER_END"));
	free(out);
	unlink(path);

	/* a log of gen 7 (its CONFIG says so) */
	snprintf(path, sizeof(path), "%s/gen7.vgtl", dir);
	open_log(path, &w);
	struct med_event c = ev_of(MED_EV_CONFIG, 1, 0, -1);

	c.u.config.gen = 7;
	assert_int_equal(tr_writer_event(w, &c), 0);
	write_scan(w, 2, 0, 0);
	assert_int_equal(tr_writer_close(w, NULL), 0);
	out = run(&st, "dump --decode '%s'", path);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "    buffer 0: 16 bytes at ggtt:0x1000\n"
				    "      (cannot decode: the log's gen is 7, the decoder knows 8 and 9)\n"));
	free(out);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_counts_vgpu_ids_out_of_range_apart),
		cmocka_unit_test(test_decode_says_why_it_cannot_decode),
	};

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	rmdir(dir);
	return rc;
}
