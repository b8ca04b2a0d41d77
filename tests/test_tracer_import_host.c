/* SPDX-License-Identifier: MIT */
/*
 * The mapping of a GVT-g host's tracepoints into events (tracer/
 * import_host.c; docs/PROBES.md "Importing a GVT-g host's trace").
 *
 * No gvt or i915 event exists on a machine without i915 and GVT-g, so the
 * formats below are written from the field lists of the kernel's gvt and
 * i915 tracepoints (../shared/reference/gvt-g.md section 7 for gvt:*; the
 * request events' fields dev, ctx, class, instance, seqno, tail, and the
 * older i915_gem_request_* with ring), laid out with natural alignment
 * as the kernel lays out a trace event, parsed by libtraceevent as a
 * trace-cmd file's formats are; the records are built byte by byte here.
 * The mapping finds fields by name, so the offsets chosen do not matter
 * to it; the sizes and types do.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event-parse.h>

#include "tracer/import_int.h"

#define COMMON                                                                          \
	"format:\n"                                                                     \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"          \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"          \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"  \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"                      \
	"\n"

enum { ID_CMD = 1001, ID_CMD_OLD, ID_WRITE_IR, ID_MSI, ID_PROPAGATE, ID_RENDER, ID_SPT_ALLOC,
       ID_REQ_ADD, ID_REQ_RETIRE, ID_GEM_REQ_ADD, ID_SCHED };

static const char fmt_cmd[] =
	"name: gvt_command\nID: 1001\n" COMMON
	"\tfield:u8 vgpu_id;\toffset:8;\tsize:1;\tsigned:0;\n"
	"\tfield:u8 ring_id;\toffset:9;\tsize:1;\tsigned:0;\n"
	"\tfield:u32 ip_gma;\toffset:12;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 buf_type;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 buf_addr_type;\toffset:20;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 cmd_len;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:void * workload;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:__data_loc u32[] raw_cmd;\toffset:40;\tsize:4;\tsigned:0;\n"
	"\tfield:char cmd_name[40];\toffset:44;\tsize:40;\tsigned:0;\n"
	"\nprint fmt: \"vgpu%d ring %d\", REC->vgpu_id, REC->ring_id\n";
/* the older layout: no buf_addr_type, workload or cmd_name */
static const char fmt_cmd_old[] =
	"name: gvt_command\nID: 1002\n" COMMON
	"\tfield:u8 vgpu_id;\toffset:8;\tsize:1;\tsigned:0;\n"
	"\tfield:u8 ring_id;\toffset:9;\tsize:1;\tsigned:0;\n"
	"\tfield:u32 ip_gma;\toffset:12;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 buf_type;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 cmd_len;\toffset:20;\tsize:4;\tsigned:0;\n"
	"\tfield:__data_loc u32[] raw_cmd;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"vgpu%d ring %d\", REC->vgpu_id, REC->ring_id\n";
static const char fmt_write_ir[] =
	"name: write_ir\nID: 1003\n" COMMON
	"\tfield:int id;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:char buf[10];\toffset:12;\tsize:10;\tsigned:0;\n"
	"\tfield:unsigned int reg;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned int new_val;\toffset:28;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned int old_val;\toffset:32;\tsize:4;\tsigned:0;\n"
	"\tfield:bool changed;\toffset:36;\tsize:1;\tsigned:0;\n"
	"\nprint fmt: \"VM%u write %s\", REC->id, REC->buf\n";
static const char fmt_msi[] =
	"name: inject_msi\nID: 1004\n" COMMON
	"\tfield:int id;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned int address;\toffset:12;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned int data;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"vgpu%d msi\", REC->id\n";
static const char fmt_propagate[] =
	"name: propagate_event\nID: 1005\n" COMMON
	"\tfield:int id;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:char buf[10];\toffset:12;\tsize:10;\tsigned:0;\n"
	"\tfield:int bit;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\nprint fmt: \"vgpu%d %s\", REC->id, REC->buf\n";
static const char fmt_render[] =
	"name: render_mmio\nID: 1006\n" COMMON
	"\tfield:int old_id;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:int new_id;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:char buf[10];\toffset:16;\tsize:10;\tsigned:0;\n"
	"\tfield:unsigned int reg;\toffset:28;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned int old_val;\toffset:32;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned int new_val;\toffset:36;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"%s\", REC->buf\n";
static const char fmt_spt_alloc[] =
	"name: spt_alloc\nID: 1007\n" COMMON
	"\tfield:int id;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:void * spt;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:int type;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned long mfn;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long gpt_gfn;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\nprint fmt: \"VM%d\", REC->id\n";
#define REQ_FIELDS                                                          \
	"\tfield:u32 dev;\toffset:8;\tsize:4;\tsigned:0;\n"                 \
	"\tfield:u64 ctx;\toffset:16;\tsize:8;\tsigned:0;\n"                \
	"\tfield:u16 class;\toffset:24;\tsize:2;\tsigned:0;\n"              \
	"\tfield:u16 instance;\toffset:26;\tsize:2;\tsigned:0;\n"           \
	"\tfield:u32 seqno;\toffset:28;\tsize:4;\tsigned:0;\n"              \
	"\tfield:u32 tail;\toffset:32;\tsize:4;\tsigned:0;\n"               \
	"\nprint fmt: \"dev=%u, ctx=%llu\", REC->dev, REC->ctx\n"
static const char fmt_req_add[] = "name: i915_request_add\nID: 1008\n" COMMON REQ_FIELDS;
static const char fmt_req_retire[] = "name: i915_request_retire\nID: 1009\n" COMMON REQ_FIELDS;
static const char fmt_gem_req_add[] =
	"name: i915_gem_request_add\nID: 1010\n" COMMON
	"\tfield:u32 dev;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 ring;\toffset:12;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 ctx;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 seqno;\toffset:20;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"dev=%u\", REC->dev\n";
static const char fmt_sched[] =
	"name: sched_switch\nID: 1011\n" COMMON
	"\tfield:int prev_pid;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\nprint fmt: \"%d\", REC->prev_pid\n";

/* ----------------------------------------------------------- fixture */

struct got {
	struct med_event ev;
	char text[1024];
	struct med_blob blob;
	uint8_t *data;
};

struct fx {
	struct tep_handle *tep;
	struct tri_host *h;
	struct got ev[64];
	unsigned n;
};

static int collect(void *ctx, const struct med_event *ev)
{
	struct fx *f = ctx;
	assert_true(f->n < 64);
	struct got *g = &f->ev[f->n++];
	g->ev = *ev;
	g->text[0] = 0;
	if (ev->text)
		snprintf(g->text, sizeof(g->text), "%s", ev->text);
	assert_true(ev->nblobs <= 1);
	if (ev->nblobs) {
		g->blob = ev->blobs[0];
		g->data = malloc(ev->blobs[0].len ? ev->blobs[0].len : 1);
		assert_non_null(g->data);
		memcpy(g->data, ev->blobs[0].data, ev->blobs[0].len);
	}
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->tep = tep_alloc();
	assert_non_null(f->tep);
	static const struct {
		const char *fmt, *sys;
	} fmts[] = {
		{ fmt_cmd, "gvt" },          { fmt_cmd_old, "gvt_old" }, { fmt_write_ir, "gvt" },
		{ fmt_msi, "gvt" },          { fmt_propagate, "gvt" },   { fmt_render, "gvt" },
		{ fmt_spt_alloc, "gvt" },    { fmt_req_add, "i915" },    { fmt_req_retire, "i915" },
		{ fmt_gem_req_add, "i915" }, { fmt_sched, "sched" },
	};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		assert_int_equal(tep_parse_event(f->tep, fmts[i].fmt, strlen(fmts[i].fmt), fmts[i].sys), 0);
	assert_int_equal(tri_host_new(NULL, collect, f, &f->h), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tri_host_free(f->h);
	for (unsigned i = 0; i < f->n; i++)
		free(f->ev[i].data);
	tep_free(f->tep);
	free(f);
	return 0;
}

static struct tep_event *ev_of(struct fx *f, int id)
{
	struct tep_event *e = tep_find_event(f->tep, id);
	assert_non_null(e);
	return e;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* A gvt_command record (the newer layout) into buf; returns its size. */
static int cmd_record(uint8_t *buf, uint8_t vgpu, uint8_t ring, uint32_t gma, uint32_t buf_type,
		      uint32_t as, uint64_t workload, const uint32_t *dw, uint32_t n, const char *name)
{
	memset(buf, 0, 84 + 4 * n);
	put16(buf, ID_CMD);
	buf[8] = vgpu;
	buf[9] = ring;
	put32(buf + 12, gma);
	put32(buf + 16, buf_type);
	put32(buf + 20, as);
	put32(buf + 24, n);
	put64(buf + 32, workload);
	put32(buf + 40, (4 * n) << 16 | 84);
	strncpy((char *)buf + 44, name, 39);
	memcpy(buf + 84, dw, 4 * n);
	return 84 + 4 * (int)n;
}

static int feed(struct fx *f, int id, uint8_t *data, int size, uint64_t ts)
{
	struct tep_record r = { .data = data, .size = size, .ts = ts };
	return tri_host_record(f->h, ev_of(f, id), &r);
}

static void expect_head(const struct med_event *ev, enum med_event_type t, uint64_t seq,
			uint64_t time, unsigned vgpu)
{
	assert_int_equal(ev->type, t);
	assert_int_equal(ev->seq, seq);
	assert_int_equal(ev->time, time);
	assert_int_equal(ev->vgpu, vgpu);
	assert_int_equal(ev->version, MED_EVENT_VERSION);
	assert_int_equal(ev->size, sizeof(struct med_event));
	assert_true(ev->flags & TR_EVF_IMPORTED);
}

/* ------------------------------------------------------------- tests */

static void test_commands_of_one_buffer_become_one_scan_with_their_dwords(void **state)
{
	struct fx *f = *state;
	uint8_t rec[256];
	const uint32_t lri[3] = { 0x11000001, 0x2358, 0x1 }, noop[1] = { 0 }, bbe[1] = { 0x05000000 };
	int n = cmd_record(rec, 2, 0, 0x1000, 1, 1, 0xffff888012345000ull, lri, 3, "MI_LOAD_REGISTER_IMM");
	assert_int_equal(feed(f, ID_CMD, rec, n, 100), 1);
	n = cmd_record(rec, 2, 0, 0x100c, 1, 1, 0xffff888012345000ull, noop, 1, "MI_NOOP");
	assert_int_equal(feed(f, ID_CMD, rec, n, 110), 1);
	n = cmd_record(rec, 2, 0, 0x1010, 1, 1, 0xffff888012345000ull, bbe, 1, "MI_BATCH_BUFFER_END");
	assert_int_equal(feed(f, ID_CMD, rec, n, 120), 1);
	assert_int_equal(f->n, 0); /* the run is still open */
	assert_int_equal(tri_host_flush(f->h), 0);
	assert_int_equal(f->n, 1);

	const struct got *g = &f->ev[0];
	expect_head(&g->ev, MED_EV_SCAN, 1, 100, 2);
	assert_int_equal(g->ev.engine, SCAN_RCS);
	assert_int_equal(g->ev.u.scan.id, 0xffff888012345000ull);
	assert_int_equal(g->ev.u.scan.commands, 3);
	assert_int_equal(g->ev.u.scan.bytes, 20);
	assert_int_equal(g->ev.u.scan.wa, 0);
	assert_int_equal(g->blob.kind, MED_BLOB_SHADOW);
	assert_int_equal(g->blob.as, SCAN_AS_PPGTT);
	assert_int_equal(g->blob.addr, 0x1000);
	assert_int_equal(g->blob.gpa, UINT64_MAX);
	assert_int_equal(g->blob.len, 20);
	const uint32_t want[5] = { 0x11000001, 0x2358, 0x1, 0, 0x05000000 };
	assert_memory_equal(g->data, want, sizeof(want));
	assert_non_null(strstr(g->text, "MI_LOAD_REGISTER_IMM MI_NOOP MI_BATCH_BUFFER_END"));
	assert_non_null(strstr(g->text, "batch"));

	struct tri_host_stats st;
	tri_host_stats(f->h, &st);
	assert_int_equal(st.mapped, 3);
	assert_int_equal(st.commands, 3);
	assert_int_equal(st.events, 1);
}

static void test_a_jump_another_workload_or_buffer_starts_a_new_scan(void **state)
{
	struct fx *f = *state;
	uint8_t rec[256];
	const uint32_t noop[1] = { 0 };
	int n = cmd_record(rec, 1, 1, 0x2000, 0, 0, 0xa000, noop, 1, "MI_NOOP");
	assert_int_equal(feed(f, ID_CMD, rec, n, 10), 1);
	/* not at 0x2004: a jump */
	n = cmd_record(rec, 1, 1, 0x3000, 0, 0, 0xa000, noop, 1, "MI_NOOP");
	assert_int_equal(feed(f, ID_CMD, rec, n, 20), 1);
	/* another workload */
	n = cmd_record(rec, 1, 1, 0x3004, 0, 0, 0xb000, noop, 1, "MI_NOOP");
	assert_int_equal(feed(f, ID_CMD, rec, n, 30), 1);
	/* the context (wa) buffer, on VECS (ring 4) */
	n = cmd_record(rec, 1, 4, 0x3008, 3, 0, 0xb000, noop, 1, "MI_NOOP");
	assert_int_equal(feed(f, ID_CMD, rec, n, 40), 1);
	assert_int_equal(tri_host_flush(f->h), 0);
	assert_int_equal(f->n, 4);
	for (unsigned i = 0; i < 4; i++) {
		expect_head(&f->ev[i].ev, MED_EV_SCAN, i + 1, 10 * (i + 1), 1);
		assert_int_equal(f->ev[i].ev.u.scan.commands, 1);
	}
	assert_int_equal(f->ev[0].ev.engine, SCAN_BCS);
	assert_int_equal(f->ev[1].blob.addr, 0x3000);
	assert_int_equal(f->ev[2].ev.u.scan.id, 0xb000);
	assert_int_equal(f->ev[3].ev.engine, SCAN_VECS);
	assert_int_equal(f->ev[3].ev.u.scan.wa, 1);
	assert_int_equal(f->ev[3].blob.as, SCAN_AS_GGTT);
}

static void test_another_record_ends_the_scan_so_seq_follows_time(void **state)
{
	struct fx *f = *state;
	uint8_t rec[256] = { 0 }, ir[40] = { 0 };
	const uint32_t noop[1] = { 0 };
	int n = cmd_record(rec, 3, 2, 0x4000, 0, 0, 0xc000, noop, 1, "MI_NOOP");
	assert_int_equal(feed(f, ID_CMD, rec, n, 500), 1);
	put16(ir, ID_WRITE_IR);
	put32(ir + 8, 3);
	memcpy(ir + 12, "IMR", 3);
	put32(ir + 24, 0x44304);
	put32(ir + 28, 0xfffffffe);
	put32(ir + 32, 0xffffffff);
	ir[36] = 1;
	assert_int_equal(feed(f, ID_WRITE_IR, ir, sizeof(ir), 600), 1);
	assert_int_equal(f->n, 2);
	expect_head(&f->ev[0].ev, MED_EV_SCAN, 1, 500, 3);
	assert_int_equal(f->ev[0].ev.engine, SCAN_VCS);
	expect_head(&f->ev[1].ev, MED_EV_MMIO_WRITE, 2, 600, 3);
	assert_int_equal(f->ev[1].ev.u.mmio.offset, 0x44304);
	assert_int_equal(f->ev[1].ev.u.mmio.value, 0xfffffffe);
	assert_int_equal(f->ev[1].ev.u.mmio.bytes, 4);
	assert_int_equal(f->ev[1].ev.engine, -1);
	assert_non_null(strstr(f->ev[1].text, "IMR"));
	assert_int_equal(tri_host_next_seq(f->h), 3);
}

static void test_msi_and_virtual_interrupts_map_their_fields(void **state)
{
	struct fx *f = *state;
	uint8_t msi[20] = { 0 }, pe[28] = { 0 };
	put16(msi, ID_MSI);
	put32(msi + 8, 5);
	put32(msi + 12, 0xfee00000);
	put32(msi + 16, 0x4021);
	assert_int_equal(feed(f, ID_MSI, msi, sizeof(msi), 7), 1);
	put16(pe, ID_PROPAGATE);
	put32(pe + 8, 5);
	memcpy(pe + 12, "RCS_MI_USER", 10); /* fills the char[10]: no NUL in the record */
	put32(pe + 24, 3);
	assert_int_equal(feed(f, ID_PROPAGATE, pe, sizeof(pe), 8), 1);
	assert_int_equal(f->n, 2);
	expect_head(&f->ev[0].ev, MED_EV_IRQ, 1, 7, 5);
	assert_int_equal(f->ev[0].ev.u.irq.msi_enabled, 1);
	assert_int_equal(f->ev[0].ev.u.irq.msi_addr, 0xfee00000);
	assert_int_equal(f->ev[0].ev.u.irq.msi_data, 0x4021);
	expect_head(&f->ev[1].ev, MED_EV_TRIGGER, 2, 8, 5);
	assert_int_equal(f->ev[1].ev.u.trigger.bits, 1u << 3);
	assert_int_equal(f->ev[1].ev.u.trigger.bank, UINT32_MAX);
	assert_non_null(strstr(f->ev[1].text, "RCS_MI_USE")); /* cut at the field's 10 bytes */
}

static void test_render_mmio_is_one_switch_per_run_of_registers(void **state)
{
	struct fx *f = *state;
	uint8_t r[40] = { 0 };
	put16(r, ID_RENDER);
	put32(r + 8, 1);
	put32(r + 12, 2);
	memcpy(r + 16, "switch", 6);
	for (unsigned i = 0; i < 5; i++) {
		put32(r + 28, 0x2000 + 4 * i);
		assert_int_equal(feed(f, ID_RENDER, r, sizeof(r), 100 + i), 1);
	}
	put32(r + 8, 2); /* back: a second switch */
	put32(r + 12, 1);
	assert_int_equal(feed(f, ID_RENDER, r, sizeof(r), 200), 1);
	assert_int_equal(f->n, 2);
	expect_head(&f->ev[0].ev, MED_EV_SCHED_SWITCH, 1, 100, 0);
	assert_int_equal(f->ev[0].ev.u.sched.from, 1);
	assert_int_equal(f->ev[0].ev.u.sched.to, 2);
	expect_head(&f->ev[1].ev, MED_EV_SCHED_SWITCH, 2, 200, 0);
	assert_int_equal(f->ev[1].ev.u.sched.from, 2);
}

static void test_requests_become_dispatch_and_complete_with_one_id(void **state)
{
	struct fx *f = *state;
	uint8_t r[36] = { 0 };
	put16(r, ID_REQ_ADD);
	put32(r + 8, 0);
	put64(r + 16, 42);
	put16(r + 24, 1); /* copy class: bcs */
	put16(r + 26, 0);
	put32(r + 28, 7);
	assert_int_equal(feed(f, ID_REQ_ADD, r, sizeof(r), 1000), 1);
	put16(r, ID_REQ_RETIRE);
	assert_int_equal(feed(f, ID_REQ_RETIRE, r, sizeof(r), 2000), 1);
	uint8_t o[24] = { 0 }; /* the older event: an engine id */
	put16(o, ID_GEM_REQ_ADD);
	put32(o + 12, 4); /* ring 4: vecs */
	put32(o + 16, 9);
	put32(o + 20, 11);
	assert_int_equal(feed(f, ID_GEM_REQ_ADD, o, sizeof(o), 3000), 1);
	assert_int_equal(f->n, 3);
	expect_head(&f->ev[0].ev, MED_EV_DISPATCH, 1, 1000, 0);
	expect_head(&f->ev[1].ev, MED_EV_COMPLETE, 2, 2000, 0);
	assert_int_equal(f->ev[0].ev.u.exec.id, (42ull << 32) | 7);
	assert_int_equal(f->ev[1].ev.u.exec.id, f->ev[0].ev.u.exec.id);
	assert_int_equal(f->ev[0].ev.engine, SCAN_BCS);
	assert_int_equal(f->ev[2].ev.engine, SCAN_VECS);
	assert_int_equal(f->ev[2].ev.u.exec.id, (9ull << 32) | 11);
	assert_non_null(strstr(f->ev[0].text, "seqno 7"));
}

static void test_the_older_command_layout_maps_without_workload_or_names(void **state)
{
	struct fx *f = *state;
	uint8_t r[40] = { 0 };
	put16(r, ID_CMD_OLD);
	r[8] = 1;
	r[9] = 0;
	put32(r + 12, 0x8000);
	put32(r + 16, 0);
	put32(r + 20, 2);
	put32(r + 24, 8u << 16 | 28);
	put32(r + 28, 0x11000001);
	put32(r + 32, 0x2358);
	/* its system is not "gvt" in this fixture (the same name twice): map
	 * it through a tep of its own */
	struct tep_handle *t = tep_alloc();
	assert_non_null(t);
	assert_int_equal(tep_parse_event(t, fmt_cmd_old, strlen(fmt_cmd_old), "gvt"), 0);
	struct tep_record rec = { .data = r, .size = 36, .ts = 5 };
	assert_int_equal(tri_host_record(f->h, tep_find_event(t, ID_CMD_OLD), &rec), 1);
	assert_int_equal(tri_host_flush(f->h), 0);
	tep_free(t);
	assert_int_equal(f->n, 1);
	expect_head(&f->ev[0].ev, MED_EV_SCAN, 1, 5, 1);
	assert_int_equal(f->ev[0].ev.u.scan.id, 0);
	assert_int_equal(f->ev[0].ev.u.scan.commands, 1);
	assert_int_equal(f->ev[0].blob.as, SCAN_AS_GGTT);
	assert_int_equal(f->ev[0].blob.len, 8);
	assert_non_null(strstr(f->ev[0].text, "ring 0: ?"));
}

static void test_malformed_records_are_counted_never_read_past_their_end(void **state)
{
	struct fx *f = *state;
	uint8_t rec[256];
	const uint32_t dw[3] = { 0x11000001, 0x2358, 0x1 };
	int n = cmd_record(rec, 1, 0, 0x1000, 0, 0, 1, dw, 3, "MI_LOAD_REGISTER_IMM");
	/* every cut of a valid record: malformed or (whole) taken, never more */
	for (int cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc(cut ? (size_t)cut : 1);
		assert_non_null(copy);
		memcpy(copy, rec, (size_t)cut);
		int rc = feed(f, ID_CMD, copy, cut, 1);
		assert_int_equal(rc, -EPROTO);
		free(copy);
	}
	/* cmd_len says more dwords than raw_cmd holds */
	put32(rec + 24, 4);
	assert_int_equal(feed(f, ID_CMD, rec, n, 1), -EPROTO);
	/* a hostile cmd_len */
	put32(rec + 24, 0xffffffffu);
	assert_int_equal(feed(f, ID_CMD, rec, n, 1), -EPROTO);
	put32(rec + 24, 3);
	/* raw_cmd's data_loc points past the record */
	put32(rec + 40, (12u << 16) | 250);
	assert_int_equal(feed(f, ID_CMD, rec, n, 1), -EPROTO);
	put32(rec + 40, (0xffffu << 16) | 84);
	assert_int_equal(feed(f, ID_CMD, rec, n, 1), -EPROTO);
	/* an address type that is neither GGTT nor PPGTT */
	put32(rec + 40, (12u << 16) | 84);
	put32(rec + 20, 7);
	assert_int_equal(feed(f, ID_CMD, rec, n, 1), -EPROTO);
	/* short records of the other events */
	uint8_t small[12] = { 0 };
	assert_int_equal(feed(f, ID_WRITE_IR, small, sizeof(small), 1), -EPROTO);
	assert_int_equal(feed(f, ID_MSI, small, sizeof(small), 1), -EPROTO);
	assert_int_equal(feed(f, ID_PROPAGATE, small, sizeof(small), 1), -EPROTO);
	assert_int_equal(feed(f, ID_RENDER, small, sizeof(small), 1), -EPROTO);
	assert_int_equal(feed(f, ID_REQ_ADD, small, sizeof(small), 1), -EPROTO);
	assert_int_equal(tri_host_flush(f->h), 0);
	assert_int_equal(f->n, 0);
	struct tri_host_stats st;
	tri_host_stats(f->h, &st);
	assert_int_equal(st.bad, (uint64_t)n + 5 + 5);
	assert_int_equal(st.mapped, 0);
	assert_int_equal(st.events, 0);
}

static void test_events_of_others_are_not_ours(void **state)
{
	struct fx *f = *state;
	uint8_t r[48] = { 0 };
	assert_int_equal(feed(f, ID_SPT_ALLOC, r, sizeof(r), 1), 0);
	assert_int_equal(feed(f, ID_SCHED, r, 12, 1), 0);
	assert_int_equal(f->n, 0);
	assert_int_equal(tri_host_kind_of(ev_of(f, ID_CMD)), TRI_H_GVT_COMMAND);
	assert_int_equal(tri_host_kind_of(ev_of(f, ID_GEM_REQ_ADD)), TRI_H_REQ_ADD);
	assert_int_equal(tri_host_kind_of(ev_of(f, ID_SCHED)), TRI_H_NONE);
}

static void test_the_types_mask_is_what_the_formats_can_give(void **state)
{
	struct fx *f = *state;
	uint64_t want = MED_EV_BIT(MED_EV_SCAN) | MED_EV_BIT(MED_EV_MMIO_WRITE) |
			MED_EV_BIT(MED_EV_IRQ) | MED_EV_BIT(MED_EV_TRIGGER) |
			MED_EV_BIT(MED_EV_SCHED_SWITCH) | MED_EV_BIT(MED_EV_DISPATCH) |
			MED_EV_BIT(MED_EV_COMPLETE);
	assert_int_equal(tri_host_types(f->tep), want);
	struct tep_handle *t = tep_alloc();
	assert_non_null(t);
	assert_int_equal(tep_parse_event(t, fmt_msi, strlen(fmt_msi), "gvt"), 0);
	assert_int_equal(tri_host_types(t), MED_EV_BIT(MED_EV_IRQ));
	tep_free(t);
}

static void test_a_ring_table_maps_rings_to_engines(void **state)
{
	struct fx *f = *state;
	int8_t rings[TRI_RINGS];
	memset(rings, -1, sizeof(rings));
	rings[6] = SCAN_VECS; /* a kernel whose VECS0 is engine id 6 */
	struct tri_host *h;
	assert_int_equal(tri_host_new(rings, collect, f, &h), 0);
	uint8_t rec[256];
	const uint32_t noop[1] = { 0 };
	int n = cmd_record(rec, 1, 6, 0, 0, 0, 1, noop, 1, "MI_NOOP");
	struct tep_record r = { .data = rec, .size = n, .ts = 1 };
	assert_int_equal(tri_host_record(h, ev_of(f, ID_CMD), &r), 1);
	n = cmd_record(rec, 1, 0, 0, 0, 0, 2, noop, 1, "MI_NOOP");
	assert_int_equal(tri_host_record(h, ev_of(f, ID_CMD), &r), 1);
	assert_int_equal(tri_host_flush(h), 0);
	tri_host_free(h);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->ev[0].ev.engine, SCAN_VECS);
	assert_int_equal(f->ev[1].ev.engine, -1);
}

/* What the mapping emits is what a log keeps: written through the writer
 * (as tr_import does), read back equal, the IMPORTED flag with it, and
 * printed with an unknown verdict. */
static int to_writer(void *ctx, const struct med_event *ev)
{
	return tr_writer_event(ctx, ev);
}

static void test_mapped_events_survive_the_log(void **state)
{
	struct fx *f = *state;
	char path[] = "/tmp/vgt-import-host-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct tr_writer_opts wo = { .sz = sizeof(wo), .source = TR_SOURCE_IMPORT,
				     .types = tri_host_types(f->tep), .clock = "trace-clock" };
	struct tr_writer *w;
	assert_int_equal(tr_writer_open(path, &wo, &w), 0);
	struct tri_host *h;
	assert_int_equal(tri_host_new(NULL, to_writer, w, &h), 0);
	uint8_t rec[256];
	const uint32_t dw[3] = { 0x11000001, 0x2358, 0x1 };
	int n = cmd_record(rec, 1, 0, 0x1000, 1, 1, 77, dw, 3, "MI_LOAD_REGISTER_IMM");
	struct tep_record r = { .data = rec, .size = n, .ts = 123 };
	assert_int_equal(tri_host_record(h, ev_of(f, ID_CMD), &r), 1);
	assert_int_equal(tri_host_flush(h), 0);
	tri_host_free(h);
	assert_int_equal(tr_writer_close(w, NULL), 0);

	struct tr_reader *rd;
	assert_int_equal(tr_reader_open(path, NULL, &rd), 0);
	assert_int_equal(tr_reader_info(rd)->source, TR_SOURCE_IMPORT);
	assert_int_equal(tr_reader_info(rd)->types, wo.types);
	const struct tr_record *got;
	assert_int_equal(tr_reader_next(rd, &got), 1);
	assert_int_equal(got->kind, TR_REC_EVENT);
	assert_int_equal(got->ev.type, MED_EV_SCAN);
	assert_int_equal(got->ev.time, 123);
	assert_true(got->ev.flags & TR_EVF_IMPORTED);
	assert_int_equal(got->ev.nblobs, 1);
	assert_int_equal(got->ev.blobs[0].len, 12);
	assert_memory_equal(got->ev.blobs[0].data, dw, 12);
	char line[512];
	tr_event_format(line, sizeof(line), &got->ev);
	assert_non_null(strstr(line, "verdict=unknown"));
	assert_non_null(strstr(line, "IMPORTED"));
	assert_int_equal(tr_reader_next(rd, &got), 0);
	tr_reader_close(rd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commands_of_one_buffer_become_one_scan_with_their_dwords, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_jump_another_workload_or_buffer_starts_a_new_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_another_record_ends_the_scan_so_seq_follows_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_and_virtual_interrupts_map_their_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_mmio_is_one_switch_per_run_of_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests_become_dispatch_and_complete_with_one_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_older_command_layout_maps_without_workload_or_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_records_are_counted_never_read_past_their_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_of_others_are_not_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_types_mask_is_what_the_formats_can_give, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_ring_table_maps_rings_to_engines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mapped_events_survive_the_log, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
