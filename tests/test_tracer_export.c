/* SPDX-License-Identifier: MIT */
/*
 * tracer/: what vgt dump and vgt export print, on records built here (no
 * log file, no reader): the text line and the JSON object of an event, a
 * loss record, the Perfetto trace of a workload's life (one engine slice
 * from DISPATCH to COMPLETE, a submission slice, the flow between them in
 * binding order), rejections as instants without slice or flow, a
 * workload left running closed at the end, counters per window of
 * virtual time, thousands of workloads streamed, a failing output said;
 * then a small log written with the writer: its statistics (types, vGPUs,
 * a refused GGTT write, a loss record, chunks) and its export.
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
#include <unistd.h>

#include "tracer/tracer.h"

/* ------------------------------------------------------------ helpers */

static struct tr_record rec_of(uint16_t type, uint64_t seq, uint64_t time, unsigned vgpu, int engine)
{
	struct tr_record r;

	memset(&r, 0, sizeof(r));
	r.kind = TR_REC_EVENT;
	r.ev.type = type;
	r.ev.seq = seq;
	r.ev.time = time;
	r.ev.vgpu = (uint16_t)vgpu;
	r.ev.engine = (int8_t)engine;
	r.ev.version = MED_EVENT_VERSION;
	r.ev.size = sizeof(struct med_event);
	return r;
}

/* A perfetto writer on a memory stream. */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
	struct tr_perfetto *p;
};

static void mem_open(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
	assert_int_equal(tr_perfetto_new(m->f, NULL, NULL, &m->p), 0);
}

static void feed(struct mem *m, struct tr_record r)
{
	assert_int_equal(tr_perfetto_record(m->p, &r), 0);
}

static void mem_finish(struct mem *m, struct tr_export_stats *st)
{
	st->sz = sizeof(*st);
	assert_int_equal(tr_perfetto_finish(m->p, st), 0);
	fclose(m->f);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The line of the trace holding every needle (NULL: none). */
static const char *line_with(const char *hay, const char *a, const char *b)
{
	for (const char *l = hay; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		char *copy = strndup(l, n);
		bool hit = strstr(copy, a) && (!b || strstr(copy, b));

		free(copy);
		if (hit)
			return l;
	}
	return NULL;
}

/* A workload's life on vGPU v, engine e: WORKLOAD, SCAN, DISPATCH, COMPLETE. */
static void workload_life(struct mem *m, uint64_t *seq, uint64_t id, unsigned v, int e,
			  uint64_t t_wl, uint64_t t_disp, uint64_t t_done, uint64_t commands)
{
	struct tr_record r = rec_of(MED_EV_WORKLOAD, ++*seq, t_wl, v, e);

	r.ev.u.workload.id = id;
	feed(m, r);
	r = rec_of(MED_EV_SCAN, ++*seq, t_wl + 100, v, e);
	r.ev.u.scan.id = id;
	r.ev.u.scan.pass = 1;
	r.ev.u.scan.commands = commands;
	feed(m, r);
	r = rec_of(MED_EV_DISPATCH, ++*seq, t_disp, v, e);
	r.ev.u.exec.id = id;
	feed(m, r);
	r = rec_of(MED_EV_COMPLETE, ++*seq, t_done, v, e);
	r.ev.u.exec.id = id;
	r.ev.u.exec.commands = commands;
	feed(m, r);
}

/* ------------------------------------------------------------ formatting */

static void test_event_text_line_has_head_fields_err_and_text(void **state)
{
	struct tr_record r = rec_of(MED_EV_GGTT_WRITE, 42, 1500000123, 2, -1);
	char buf[512];

	r.ev.u.mmio.offset = 0x840008;
	r.ev.u.mmio.value = 0x102001;
	r.ev.u.mmio.bytes = 8;
	r.ev.u.mmio.host_pte = 0x100008001;
	r.ev.err = -EINVAL;
	r.ev.text = "refused\nby the shadow engine";
	size_t n = tr_event_format(buf, sizeof(buf), &r.ev);

	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "42 1.500000123 v2 - ggtt-write offset=0x840008 bytes=8 value=0x102001 "
				 "host_pte=0x100008001 err=-EINVAL -- refused by the shadow engine");
}

/* err = INT32_MIN: -err does not exist (UBSan aborted under SAN=1); it
 * is printed as a number. */
static void test_event_text_err_int32_min_is_a_number(void **state)
{
	struct tr_record r = rec_of(MED_EV_MMIO_READ, 1, 0, 1, -1);
	char buf[512];

	r.ev.err = INT32_MIN;
	tr_event_format(buf, sizeof(buf), &r.ev);
	assert_non_null(strstr(buf, " err=-2147483648"));
	r.ev.err = -100000; /* no name either */
	tr_event_format(buf, sizeof(buf), &r.ev);
	assert_non_null(strstr(buf, " err=-100000"));
}

/* A log's text never puts control characters on the terminal: ESC, DEL,
 * the other bytes < 0x20 as \xNN, a backslash doubled. */
static void test_event_text_escapes_control_characters(void **state)
{
	struct tr_record r = rec_of(MED_EV_MMIO_READ, 1, 0, 1, -1);
	char buf[512];

	r.ev.text = "a\x1b[2Jb\x7f\tc\\d\ne\x01";
	tr_event_format(buf, sizeof(buf), &r.ev);
	const char *t = strstr(buf, " -- ");

	assert_non_null(t);
	assert_string_equal(t, " -- a\\x1b[2Jb\\x7f\\x09c\\\\d e\\x01");
	for (const char *p = buf; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void test_event_text_truncates_and_returns_the_length_needed(void **state)
{
	struct tr_record r = rec_of(MED_EV_CLOCK, 7, 0, 0, -1);
	char full[128], small[10];

	r.ev.u.clock.ns = 1000;
	size_t n = tr_event_format(full, sizeof(full), &r.ev);
	size_t m = tr_event_format(small, sizeof(small), &r.ev);

	assert_int_equal(n, m);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, full, sizeof(small) - 1);
	assert_string_equal(full, "7 0.000000000 - - clock ns=1000");
}

static void test_event_json_has_stable_keys_and_hex_values(void **state)
{
	struct tr_record r = rec_of(MED_EV_SCAN, 9, 1234, 1, 0);
	struct med_blob b = { .kind = MED_BLOB_SHADOW, .as = 0, .len = 8, .addr = 0xfffe00040000ull,
			      .gpa = UINT64_MAX };
	struct tr_key k = { .lo = 1, .hi = 2 };
	char buf[2048];

	r.ev.u.scan.id = 5;
	r.ev.u.scan.pass = 1;
	r.ev.u.scan.commands = 3;
	r.ev.blobs = &b;
	r.ev.nblobs = 1;
	r.keys = &k;
	r.ev.text = "say \"hi\"";
	tr_record_json(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, "{\"seq\":9,\"time\":1234,\"vgpu\":1,\"engine\":\"rcs\","
				    "\"type\":\"scan\",\"err\":0,\"flags\":0,\"id\":5,"
				    "\"verdict\":\"pass\",\"commands\":3,"));
	assert_non_null(strstr(buf, "\"blobs\":[{\"kind\":\"shadow\",\"as\":\"ggtt\","
				    "\"addr\":\"0xfffe00040000\",\"gpa\":null,\"len\":8,"
				    "\"key\":\"00000000000000020000000000000001\"}]"));
	assert_non_null(strstr(buf, "\"text\":\"say \\\"hi\\\"\"}"));
}

static void test_loss_record_is_a_line_and_an_object(void **state)
{
	struct tr_record r;
	char buf[256];

	memset(&r, 0, sizeof(r));
	r.kind = TR_REC_LOSS;
	r.loss = (struct tr_loss){ .thread = 3, .reason = TR_LOSS_RING_FULL, .count = 12,
				   .first_seq = 100, .last_seq = 111 };
	tr_loss_format(buf, sizeof(buf), &r.loss);
	assert_non_null(strstr(buf, "LOST 12 events thread=3 reason="));
	assert_non_null(strstr(buf, "first_seq=100 last_seq=111"));
	tr_record_json(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, "{\"type\":\"loss\",\"thread\":3,\"reason\":"));
	assert_non_null(strstr(buf, "\"count\":12,\"first_seq\":100,\"last_seq\":111,\"bytes\":0}"));
}

static void test_decode_blob_prints_commands(void **state)
{
	/* MI_BATCH_BUFFER_START (PPGTT), MI_NOOP x2, MI_BATCH_BUFFER_END */
	static const uint32_t dw[] = { 0x18800101, 0x1000, 0, 0, 0, 0x05000000 };
	struct med_blob b = { .kind = MED_BLOB_SHADOW, .len = sizeof(dw), .addr = 0x8004000,
			      .data = dw };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_int_equal(tr_decode_blob(f, 9, 0, &b, "  "), 3);
	fclose(f);
	assert_non_null(strstr(out, "  0x08004000:  18800101  MI_BATCH_BUFFER_START"));
	assert_non_null(strstr(out, "MI_NOOP"));
	assert_non_null(strstr(out, "x 2"));
	assert_non_null(strstr(out, "0x08004014:  05000000  MI_BATCH_BUFFER_END"));
	free(out);
}

/* ------------------------------------------------------------- perfetto */

static void test_workload_is_one_engine_slice_from_dispatch_to_complete(void **state)
{
	struct mem m;
	struct tr_export_stats st;
	uint64_t seq = 0;

	mem_open(&m);
	workload_life(&m, &seq, 17, 2, 1, 1000, 5000, 9000, 7);
	mem_finish(&m, &st);
	assert_int_equal(st.slices, 1);
	assert_int_equal(st.submissions, 1);
	assert_int_equal(st.flows, 1);
	const char *s = line_with(m.buf, "\"ph\":\"X\",\"pid\":1,\"tid\":2,\"ts\":5.000,\"dur\":4.000",
				  "\"name\":\"vGPU 2 wl 17\"");
	assert_non_null(s);
	assert_non_null(line_with(s, "\"commands\":7", NULL));
	assert_non_null(strstr(m.buf, "\"traceEvents\":["));
	assert_non_null(strstr(m.buf, "\n]}\n"));
	free(m.buf);
}

static void test_flow_starts_after_its_submission_and_ends_after_its_engine_slice(void **state)
{
	struct mem m;
	struct tr_export_stats st;
	uint64_t seq = 0;

	mem_open(&m);
	workload_life(&m, &seq, 3, 1, 0, 2000, 4000, 6000, 1);
	mem_finish(&m, &st);
	const char *sub = line_with(m.buf, "\"ph\":\"X\",\"pid\":101,\"tid\":1,\"ts\":2.000", NULL);
	const char *s = line_with(m.buf, "\"ph\":\"s\",\"pid\":101,\"tid\":1,\"ts\":2.000", "\"id\":3}");
	const char *x = line_with(m.buf, "\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":4.000", NULL);
	const char *f = line_with(m.buf, "\"ph\":\"f\",\"pid\":1,\"tid\":1,\"ts\":4.000", "\"bp\":\"e\"");

	assert_non_null(sub);
	assert_non_null(s);
	assert_non_null(x);
	assert_non_null(f);
	assert_true(sub < s);
	assert_true(x < f);
	assert_non_null(line_with(f, "\"id\":3}", NULL));
	free(m.buf);
}

static void test_rejected_workload_is_an_instant_without_slice_or_flow(void **state)
{
	struct mem m;
	struct tr_export_stats st;
	struct tr_record r = rec_of(MED_EV_WORKLOAD, 1, 1000, 3, 0);

	mem_open(&m);
	r.ev.u.workload.id = 8;
	feed(&m, r);
	r = rec_of(MED_EV_SCAN, 2, 1000, 3, 0);
	r.ev.u.scan.id = 8;
	r.ev.u.scan.first_reason = SCAN_R_FORBIDDEN_CMD;
	feed(&m, r);
	r = rec_of(MED_EV_REJECT, 3, 1000, 3, 0);
	r.ev.u.reject.id = 8;
	r.ev.u.reject.reason = SCAN_R_FORBIDDEN_CMD;
	r.ev.text = "MI_UPDATE_GTT is never allowed";
	feed(&m, r);
	mem_finish(&m, &st);
	assert_int_equal(st.slices, 0);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.instants, 1);
	assert_int_equal(count(m.buf, "\"ph\":\"s\""), 0);
	assert_non_null(line_with(m.buf, "\"ph\":\"i\",\"pid\":103,\"tid\":2", "\"reason\":\"forbidden-cmd\""));
	assert_non_null(line_with(m.buf, "\"ph\":\"X\",\"pid\":103,\"tid\":1", "\"verdict\":\"rejected\""));
	assert_non_null(line_with(m.buf, "\"ph\":\"C\",\"pid\":103", "\"rejections\":1"));
	free(m.buf);
}

static void test_workload_left_running_is_closed_at_the_end(void **state)
{
	struct mem m;
	struct tr_export_stats st;
	struct tr_record r = rec_of(MED_EV_DISPATCH, 1, 3000, 1, 2);

	mem_open(&m);
	r.ev.u.exec.id = 4;
	feed(&m, r);
	feed(&m, rec_of(MED_EV_CLOCK, 2, 8000, 0, -1));
	mem_finish(&m, &st);
	assert_int_equal(st.slices, 1);
	assert_int_equal(st.unfinished, 1);
	assert_non_null(line_with(m.buf, "\"ph\":\"X\",\"pid\":1,\"tid\":3,\"ts\":3.000,\"dur\":5.000",
				  "unfinished"));
	free(m.buf);
}

static void test_completion_without_dispatch_is_counted_not_drawn(void **state)
{
	struct mem m;
	struct tr_export_stats st;
	struct tr_record r = rec_of(MED_EV_COMPLETE, 1, 3000, 1, 0);

	mem_open(&m);
	r.ev.u.exec.id = 99;
	feed(&m, r);
	mem_finish(&m, &st);
	assert_int_equal(st.slices, 0);
	assert_int_equal(st.unmatched, 1);
	free(m.buf);
}

static void test_counters_give_rates_per_window_then_zero(void **state)
{
	struct mem m;
	struct tr_export_stats st;
	uint64_t seq = 0;

	mem_open(&m);
	/* 10 GGTT writes in [0, 1 ms), then an event 5 ms later */
	for (int i = 0; i < 10; i++)
		feed(&m, rec_of(MED_EV_GGTT_WRITE, ++seq, (uint64_t)i * 1000, 1, -1));
	feed(&m, rec_of(MED_EV_CLOCK, ++seq, 5000000, 0, -1));
	mem_finish(&m, &st);
	assert_non_null(line_with(m.buf, "\"ph\":\"C\",\"pid\":101,\"tid\":0,\"ts\":0.000",
				  "\"traps/s\":10000,\"GGTT writes/s\":10000,\"PT writes/s\":0"));
	assert_non_null(line_with(m.buf, "\"ph\":\"C\",\"pid\":101,\"tid\":0,\"ts\":1000.000",
				  "\"traps/s\":0,"));
	assert_int_equal(st.counters, 2);
	free(m.buf);
}

/* Times near 2^64: win_start + window wraps; the windows must still end
 * (they once looped forever). */
static void test_counter_windows_end_near_2_64(void **state)
{
	struct mem m;
	struct tr_export_stats st;

	mem_open(&m);
	feed(&m, rec_of(MED_EV_GGTT_WRITE, 1, 1000, 1, -1));
	feed(&m, rec_of(MED_EV_GGTT_WRITE, 2, UINT64_MAX - 5, 1, -1));
	feed(&m, rec_of(MED_EV_GGTT_WRITE, 3, UINT64_MAX, 1, -1));
	mem_finish(&m, &st);
	/* the first window, its zero, then the last window (no zero after it:
	 * it would start past 2^64) */
	assert_int_equal(st.counters, 3);
	free(m.buf);

	/* a window as long as the clock */
	struct tr_perfetto_opts o = { .sz = sizeof(o), .window_ns = UINT64_MAX - 10 };

	memset(&m, 0, sizeof(m));
	m.f = open_memstream(&m.buf, &m.len);
	assert_non_null(m.f);
	assert_int_equal(tr_perfetto_new(m.f, NULL, &o, &m.p), 0);
	feed(&m, rec_of(MED_EV_GGTT_WRITE, 1, 5, 1, -1));
	feed(&m, rec_of(MED_EV_GGTT_WRITE, 2, UINT64_MAX - 5, 1, -1));
	mem_finish(&m, &st);
	assert_true(st.counters >= 1);
	free(m.buf);
}

/* 200k workloads never dispatched: constant time each (a linear scan took
 * 110 s), memory bounded (the oldest forgotten past the cap, counted
 * unmatched), and no flow starts without its end. */
static void test_never_dispatched_workloads_are_bounded_and_start_no_flow(void **state)
{
	struct mem m;
	struct tr_export_stats st;
	uint64_t seq = 0;
	struct tr_record r;

	mem_open(&m);
	for (uint64_t i = 1; i <= 200000; i++) {
		r = rec_of(MED_EV_WORKLOAD, ++seq, i * 1000, 1 + i % 2, 0);
		r.ev.u.workload.id = i;
		feed(&m, r);
		r = rec_of(MED_EV_SCAN, ++seq, i * 1000 + 10, 1 + i % 2, 0);
		r.ev.u.scan.id = i;
		r.ev.u.scan.pass = 1;
		feed(&m, r);
	}
	/* the newest is still known: its dispatch binds the flow */
	r = rec_of(MED_EV_DISPATCH, ++seq, 300000000, 1 + 200000 % 2, 0);
	r.ev.u.exec.id = 200000;
	feed(&m, r);
	/* the first was forgotten: its dispatch is a slice without flow */
	r = rec_of(MED_EV_DISPATCH, ++seq, 300001000, 1 + 1 % 2, 1);
	r.ev.u.exec.id = 1;
	feed(&m, r);
	mem_finish(&m, &st);
	assert_int_equal(st.submissions, 200000);
	assert_int_equal(st.slices, 2);
	assert_int_equal(count(m.buf, "\"ph\":\"s\""), 1);
	assert_int_equal(count(m.buf, "\"ph\":\"f\""), 1);
	assert_int_equal(st.flows, 1);
	assert_non_null(line_with(m.buf, "\"ph\":\"s\",\"pid\":101,\"tid\":1,\"ts\":200000.000",
				  "\"id\":200000}"));
	assert_true(st.unmatched >= 200000 - 65536);
	free(m.buf);
}

/* A workload submitted on two vGPUs with one id: each dispatch finds its own. */
static void test_pending_workloads_are_keyed_by_vgpu_and_id(void **state)
{
	struct mem m;
	struct tr_export_stats st;
	uint64_t seq = 0;

	mem_open(&m);
	workload_life(&m, &seq, 7, 1, 0, 1000, 3000, 4000, 5);
	workload_life(&m, &seq, 7, 2, 1, 2000, 5000, 6000, 9);
	mem_finish(&m, &st);
	assert_int_equal(st.flows, 2);
	assert_non_null(line_with(m.buf, "\"ph\":\"s\",\"pid\":101,\"tid\":1,\"ts\":1.000", "\"id\":7}"));
	assert_non_null(line_with(m.buf, "\"ph\":\"s\",\"pid\":102,\"tid\":1,\"ts\":2.000", "\"id\":7}"));
	assert_non_null(line_with(m.buf, "\"name\":\"vGPU 2 wl 7\"", "\"scanned\":9"));
	free(m.buf);
}

static void test_thousands_of_workloads_stream_one_slice_each(void **state)
{
	struct mem m;
	struct tr_export_stats st;
	uint64_t seq = 0;

	mem_open(&m);
	for (uint64_t i = 1; i <= 20000; i++)
		workload_life(&m, &seq, i, 1 + i % 4, (int)(i % 4), i * 10000, i * 10000 + 2000,
			      i * 10000 + 5000, i);
	mem_finish(&m, &st);
	assert_int_equal(st.slices, 20000);
	assert_int_equal(st.flows, 20000);
	assert_int_equal(count(m.buf, "\"ph\":\"f\""), 20000);
	free(m.buf);
}

static void test_failing_output_is_eio_with_a_reason(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	struct tr_perfetto *p;
	char err[128] = "";
	struct tr_perfetto_opts o = { .sz = sizeof(o), .errbuf = err, .errbuf_len = sizeof(err) };
	uint64_t seq = 0;

	if (!f)
		skip();
	assert_int_equal(tr_perfetto_new(f, NULL, &o, &p), 0);
	for (int i = 0; i < 1000; i++) {
		struct tr_record r = rec_of(MED_EV_DISPATCH, ++seq, (uint64_t)i * 10, 1, 0);

		r.ev.u.exec.id = (uint64_t)i;
		tr_perfetto_record(p, &r);
	}
	assert_int_equal(tr_perfetto_finish(p, NULL), -EIO);
	assert_non_null(strstr(err, "writing the trace failed"));
	fclose(f);
}

/* ------------------------------------------------- through a real log */

/* A small log written with the writer: two vGPUs, a workload that runs,
 * one rejected, GGTT writes (one refused), a loss record between them,
 * small chunks so that several are written. */
static void write_small_log(const char *path)
{
	struct tr_writer_opts wo = { .sz = sizeof(wo), .source = TR_SOURCE_INPROC, .chunk_events = 4,
				     .cmdline = "test" };
	struct tr_writer *w;
	struct tr_record r;
	uint64_t seq = 0;
	static uint32_t ring[1024] = { 0x18800101, 0x1000, 0, 0x05000000 }; /* a page */
	struct med_blob b = { .kind = MED_BLOB_SHADOW, .len = sizeof(ring), .addr = 0x8004000,
			      .gpa = UINT64_MAX, .data = ring };

	assert_int_equal(tr_writer_open(path, &wo, &w), 0);
	for (int i = 0; i < 3; i++) {
		r = rec_of(MED_EV_GGTT_WRITE, ++seq, 100 + (uint64_t)i, 1, -1);
		r.ev.err = i == 2 ? -EINVAL : 0;
		assert_int_equal(tr_writer_event(w, &r.ev), 0);
	}
	struct tr_loss loss = { .thread = 1, .reason = TR_LOSS_RING_FULL, .count = 5,
				.first_seq = seq + 1, .last_seq = seq + 5 };
	assert_int_equal(tr_writer_loss(w, &loss), 0);
	seq += 5;
	r = rec_of(MED_EV_SUBMIT, ++seq, 1000, 1, 0);
	assert_int_equal(tr_writer_event(w, &r.ev), 0);
	r = rec_of(MED_EV_WORKLOAD, ++seq, 1000, 1, 0);
	r.ev.u.workload.id = 1;
	assert_int_equal(tr_writer_event(w, &r.ev), 0);
	r = rec_of(MED_EV_SCAN, ++seq, 1100, 1, 0);
	r.ev.u.scan.id = 1;
	r.ev.u.scan.pass = 1;
	r.ev.u.scan.commands = 3;
	r.ev.blobs = &b;
	r.ev.nblobs = 1;
	assert_int_equal(tr_writer_event(w, &r.ev), 0);
	r = rec_of(MED_EV_DISPATCH, ++seq, 2000, 1, 0);
	r.ev.u.exec.id = 1;
	assert_int_equal(tr_writer_event(w, &r.ev), 0);
	r = rec_of(MED_EV_COMPLETE, ++seq, 3000, 1, 0);
	r.ev.u.exec.id = 1;
	r.ev.u.exec.commands = 3;
	assert_int_equal(tr_writer_event(w, &r.ev), 0);
	r = rec_of(MED_EV_WORKLOAD, ++seq, 4000, 2, 1);
	r.ev.u.workload.id = 2;
	assert_int_equal(tr_writer_event(w, &r.ev), 0);
	r = rec_of(MED_EV_REJECT, ++seq, 4100, 2, 1);
	r.ev.u.reject.id = 2;
	r.ev.u.reject.reason = MED_RJ_BAD_RING;
	r.ev.text = "ring outside the windows";
	assert_int_equal(tr_writer_event(w, &r.ev), 0);
	assert_int_equal(tr_writer_close(w, NULL), 0);
}

static void test_log_stats_count_types_vgpus_losses_and_chunks(void **state)
{
	char path[64];
	struct tr_reader *rd;
	struct tr_log_stats s;

	snprintf(path, sizeof(path), "/tmp/vgt-test-export-%d.vgtl", (int)getpid());
	write_small_log(path);
	assert_int_equal(tr_reader_open(path, NULL, &rd), 0);
	assert_int_equal(tr_log_stats(rd, &s), 0);
	assert_int_equal(s.events, 10);
	assert_int_equal(s.losses, 1);
	assert_int_equal(s.lost_events, 5);
	assert_int_equal(s.by_type[MED_EV_GGTT_WRITE], 3);
	assert_int_equal(s.by_vgpu_events[1], 8);
	assert_int_equal(s.by_vgpu_events[2], 2);
	assert_int_equal(s.vgpu[1].ggtt_writes, 2); /* the refused one is not a GGTT write */
	assert_int_equal(s.vgpu[1].mmio_refused, 1);
	assert_int_equal(s.vgpu[1].submissions, 1);
	assert_int_equal(s.vgpu[1].completions, 1);
	assert_int_equal(s.vgpu[2].rejections, 1);
	assert_int_equal(s.first_time, 100);
	assert_int_equal(s.last_time, 4100);
	assert_int_equal(s.blob_refs, 1);
	assert_int_equal(s.blob_ref_bytes, 4096);
	assert_true(s.chunks[TR_CHUNK_EVENTS] >= 3);
	assert_true(s.blobs_stored >= 1);
	assert_true(s.health.closed);
	assert_false(s.health.truncated);
	/* the same reader exports: one slice, one rejection */
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct tr_export_stats st = { .sz = sizeof(st) };

	assert_int_equal(tr_export_perfetto(rd, f, NULL, &st), 0);
	fclose(f);
	assert_int_equal(st.slices, 1);
	assert_int_equal(st.flows, 1);
	assert_int_equal(st.instants, 1);
	assert_non_null(strstr(out, "\"cmdline\":\"test\""));
	free(out);
	tr_reader_close(rd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_text_line_has_head_fields_err_and_text),
		cmocka_unit_test(test_event_text_err_int32_min_is_a_number),
		cmocka_unit_test(test_event_text_escapes_control_characters),
		cmocka_unit_test(test_event_text_truncates_and_returns_the_length_needed),
		cmocka_unit_test(test_event_json_has_stable_keys_and_hex_values),
		cmocka_unit_test(test_loss_record_is_a_line_and_an_object),
		cmocka_unit_test(test_decode_blob_prints_commands),
		cmocka_unit_test(test_workload_is_one_engine_slice_from_dispatch_to_complete),
		cmocka_unit_test(test_flow_starts_after_its_submission_and_ends_after_its_engine_slice),
		cmocka_unit_test(test_rejected_workload_is_an_instant_without_slice_or_flow),
		cmocka_unit_test(test_workload_left_running_is_closed_at_the_end),
		cmocka_unit_test(test_completion_without_dispatch_is_counted_not_drawn),
		cmocka_unit_test(test_counters_give_rates_per_window_then_zero),
		cmocka_unit_test(test_counter_windows_end_near_2_64),
		cmocka_unit_test(test_never_dispatched_workloads_are_bounded_and_start_no_flow),
		cmocka_unit_test(test_pending_workloads_are_keyed_by_vgpu_and_id),
		cmocka_unit_test(test_thousands_of_workloads_stream_one_slice_each),
		cmocka_unit_test(test_failing_output_is_eio_with_a_reason),
		cmocka_unit_test(test_log_stats_count_types_vgpus_losses_and_chunks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
