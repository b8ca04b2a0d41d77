/* SPDX-License-Identifier: MIT */
/*
 * The assembler (tracer/capture_int.h): what the probes deliver — blob
 * pieces, then their event, possibly out of seq order — becomes one log
 * equal to what an in-process subscriber would have written.  Pieces are
 * reassembled byte for byte (a zero-length blob, a blob over several
 * pieces); events arriving out of order are written in seq order; a seq
 * that never arrives is a loss at its place, and overruns beyond the holes
 * are one TR_LOSS_SOURCE record at the end, so the losses add up to what
 * the source counted; an event missing a piece says so and carries no half
 * blob; malformed records (another event layout, a piece past its blob) are
 * refused and counted; pieces whose event never comes are orphans.  Then
 * tep_map: records built on the kernel's own format of vgt's uprobe events
 * (as this kernel printed them) map by field name, and a record too short
 * for its fields is refused.
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

#include <event-parse.h>

#include "tracer/capture_int.h"
#include "tracer/tracer.h"

struct fixture {
	char path[64];
	struct tr_recorder *rec;
	struct tr_asm *a;
};

static void open_fixture(struct fixture *f)
{
	strcpy(f->path, "/tmp/vgt-asm-XXXXXX");
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	struct tr_recorder_opts ro = { .sz = sizeof(ro), .ordered = true };
	ro.writer.sz = sizeof(ro.writer);
	ro.writer.source = TR_SOURCE_BPF;
	assert_int_equal(tr_recorder_open(f->path, &ro, &f->rec), 0);
	assert_int_equal(tra_open(f->rec, &f->a), 0);
}

static struct tr_record_stats close_fixture(struct fixture *f, struct tra_stats *as)
{
	tra_flush(f->a);
	if (as)
		tra_stats(f->a, as);
	tra_close(f->a);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(f->rec, &st), 0);
	return st;
}

static struct med_event mk_event(uint64_t seq, uint16_t type, uint16_t vgpu, uint32_t nblobs)
{
	struct med_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.vgpu = vgpu;
	ev.engine = -1;
	ev.version = MED_EVENT_VERSION;
	ev.size = sizeof(ev);
	ev.seq = seq;
	ev.time = seq * 100;
	ev.u.mmio.offset = 0x2000 + seq;
	ev.u.mmio.value = seq * 7;
	ev.nblobs = nblobs;
	/* the emitter's pointers travel with the bytes: meaningless here */
	ev.blobs = (const struct med_blob *)(uintptr_t)0xdeadbeef;
	ev.text = (const char *)(uintptr_t)0xfeedface;
	return ev;
}

/* Feeds blob `index` of event seq in probe-sized pieces, like vgt:blob. */
static void feed_blob(struct tr_asm *a, uint64_t seq, uint32_t index, const uint8_t *data,
		      uint32_t len, uint64_t addr, int skip_piece)
{
	struct med_blob d = { .kind = 1, .as = 2, .len = len, .addr = addr, .gpa = addr + 0x1000 };
	uint32_t off = 0;
	int piece = 0;
	do {
		uint32_t n = len - off < TRA_PIECE ? len - off : TRA_PIECE;
		if (piece++ != skip_piece)
			assert_int_equal(tra_piece(a, seq, index, &d, off, data + off, n), 0);
		off += n;
	} while (off < len);
}

struct readback {
	struct med_event ev[16];
	uint8_t *blob[16][4];
	uint32_t blen[16][4];
	char text[16][64];
	unsigned n;
	struct tr_loss loss[8];
	unsigned nloss;
};

static void read_back(const char *path, struct readback *rb)
{
	memset(rb, 0, sizeof(*rb));
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	const struct tr_record *recp;
	int rc;
	while ((rc = tr_reader_next(r, &recp)) > 0) {
		struct tr_record rec = *recp;
		if (rec.kind == TR_REC_LOSS) {
			assert_true(rb->nloss < 8);
			rb->loss[rb->nloss++] = rec.loss;
			continue;
		}
		assert_true(rb->n < 16);
		unsigned i = rb->n++;
		rb->ev[i] = rec.ev;
		if (rec.ev.text)
			snprintf(rb->text[i], sizeof(rb->text[i]), "%s", rec.ev.text);
		for (uint32_t b = 0; b < rec.ev.nblobs && b < 4; b++) {
			rb->blen[i][b] = rec.ev.blobs[b].len;
			rb->blob[i][b] = malloc(rec.ev.blobs[b].len + 1);
			memcpy(rb->blob[i][b], rec.ev.blobs[b].data, rec.ev.blobs[b].len);
		}
	}
	assert_int_equal(rc, 0);
	tr_reader_close(r);
}

static void free_back(struct readback *rb)
{
	for (unsigned i = 0; i < 16; i++)
		for (unsigned b = 0; b < 4; b++)
			free(rb->blob[i][b]);
}

static void pattern(uint8_t *p, size_t n, unsigned k)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + k);
}

static void test_pieces_become_the_blobs_byte_for_byte(void **state)
{
	struct fixture f;
	open_fixture(&f);
	static uint8_t big[5000], page[4096];
	pattern(big, sizeof(big), 1);
	pattern(page, sizeof(page), 2);
	struct med_event ev = mk_event(1, MED_EV_SCAN, 2, 3);
	feed_blob(f.a, 1, 0, big, sizeof(big), 0x10000, -1);
	feed_blob(f.a, 1, 1, page, 0, 0x20000, -1); /* zero length: one piece of 0 */
	feed_blob(f.a, 1, 2, page, sizeof(page), 0x30000, -1);
	assert_int_equal(tra_event(f.a, &ev, sizeof(ev), "why not", 7), 0);
	struct tra_stats as;
	close_fixture(&f, &as);
	assert_int_equal(as.events, 1);
	assert_int_equal(as.pieces, 3 + 1 + 2);
	assert_int_equal(as.incomplete, 0);

	struct readback rb;
	read_back(f.path, &rb);
	assert_int_equal(rb.n, 1);
	assert_int_equal(rb.ev[0].seq, 1);
	assert_int_equal(rb.ev[0].type, MED_EV_SCAN);
	assert_int_equal(rb.ev[0].vgpu, 2);
	assert_int_equal(rb.ev[0].u.mmio.value, 7);
	assert_string_equal(rb.text[0], "why not");
	assert_int_equal(rb.ev[0].nblobs, 3);
	assert_int_equal(rb.blen[0][0], sizeof(big));
	assert_memory_equal(rb.blob[0][0], big, sizeof(big));
	assert_int_equal(rb.blen[0][1], 0);
	assert_int_equal(rb.blen[0][2], sizeof(page));
	assert_memory_equal(rb.blob[0][2], page, sizeof(page));
	assert_int_equal(rb.nloss, 0);
	free_back(&rb);
	unlink(f.path);
}

static void test_out_of_order_events_are_written_in_seq_order(void **state)
{
	struct fixture f;
	open_fixture(&f);
	uint64_t order[] = { 2, 1, 4, 3, 5 };
	for (unsigned i = 0; i < 5; i++) {
		struct med_event ev = mk_event(order[i], MED_EV_MMIO_READ, 1, 0);
		assert_int_equal(tra_event(f.a, &ev, sizeof(ev), NULL, 0), 0);
	}
	struct tr_record_stats st = close_fixture(&f, NULL);
	assert_int_equal(st.gaps, 0);
	struct readback rb;
	read_back(f.path, &rb);
	assert_int_equal(rb.n, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(rb.ev[i].seq, i + 1);
	assert_int_equal(rb.nloss, 0);
	free_back(&rb);
	unlink(f.path);
}

static void test_losses_add_up_to_what_the_source_counted(void **state)
{
	struct fixture f;
	open_fixture(&f);
	/* seq 3 never arrives (a hole), and two more were lost after seq 4
	 * (at the end, where no later seq shows them) */
	uint64_t seqs[] = { 1, 2, 4 };
	for (unsigned i = 0; i < 3; i++) {
		struct med_event ev = mk_event(seqs[i], MED_EV_MMIO_WRITE, 1, 0);
		assert_int_equal(tra_event(f.a, &ev, sizeof(ev), NULL, 0), 0);
	}
	tra_lost(f.a, 3, 0);
	struct tra_stats as;
	struct tr_record_stats st = close_fixture(&f, &as);
	assert_int_equal(as.lost_events, 3);
	assert_int_equal(st.gaps, 1);
	struct readback rb;
	read_back(f.path, &rb);
	assert_int_equal(rb.n, 3);
	uint64_t lost = 0, gap = 0, source = 0;
	for (unsigned i = 0; i < rb.nloss; i++) {
		lost += rb.loss[i].count;
		if (rb.loss[i].reason == TR_LOSS_SEQ_GAP) {
			gap += rb.loss[i].count;
			assert_int_equal(rb.loss[i].first_seq, 3);
			assert_int_equal(rb.loss[i].last_seq, 3);
		} else if (rb.loss[i].reason == TR_LOSS_SOURCE) {
			source += rb.loss[i].count;
		}
	}
	assert_int_equal(lost, 3);
	assert_int_equal(gap, 1);
	assert_int_equal(source, 2);
	free_back(&rb);
	unlink(f.path);
}

static void test_an_event_later_than_its_place_is_not_written_twice(void **state)
{
	struct fixture f;
	open_fixture(&f);
	uint64_t first[] = { 1, 3 };
	for (unsigned i = 0; i < 2; i++) {
		struct med_event ev = mk_event(first[i], MED_EV_MMIO_READ, 1, 0);
		assert_int_equal(tra_event(f.a, &ev, sizeof(ev), NULL, 0), 0);
	}
	usleep(300 * 1000); /* past the reorder buffer's wait: seq 2 is lost */
	tra_tick(f.a);
	uint64_t then[] = { 2, 4 };
	for (unsigned i = 0; i < 2; i++) {
		struct med_event ev = mk_event(then[i], MED_EV_MMIO_READ, 1, 0);
		assert_int_equal(tra_event(f.a, &ev, sizeof(ev), NULL, 0), 0);
	}
	struct tra_stats as;
	struct tr_record_stats st = close_fixture(&f, &as);
	assert_int_equal(as.late, 1);
	assert_int_equal(as.events, 3);
	assert_int_equal(st.gaps, 1);
	struct readback rb;
	read_back(f.path, &rb);
	assert_int_equal(rb.n, 3);
	assert_int_equal(rb.ev[0].seq, 1);
	assert_int_equal(rb.ev[1].seq, 3);
	assert_int_equal(rb.ev[2].seq, 4);
	assert_int_equal(rb.nloss, 1);
	assert_int_equal(rb.loss[0].first_seq, 2);
	free_back(&rb);
	unlink(f.path);
}

static void test_repeated_or_misplaced_pieces_are_refused(void **state)
{
	struct fixture f;
	open_fixture(&f);
	uint8_t bytes[TRA_PIECE] = { 1 };
	struct med_blob d = { .len = 3000 };
	assert_int_equal(tra_piece(f.a, 1, 0, &d, 0, bytes, TRA_PIECE), 0);
	/* the same piece again would make 'got' reach len with a hole */
	assert_int_equal(tra_piece(f.a, 1, 0, &d, 0, bytes, TRA_PIECE), -EPROTO);
	/* not at a piece boundary, or shorter than the blob has left */
	assert_int_equal(tra_piece(f.a, 1, 0, &d, 100, bytes, 952), -EPROTO);
	assert_int_equal(tra_piece(f.a, 1, 0, &d, TRA_PIECE, bytes, 10), -EPROTO);
	struct med_event ev = mk_event(1, MED_EV_SCAN, 1, 1);
	assert_int_equal(tra_event(f.a, &ev, sizeof(ev), NULL, 0), 0);
	struct tra_stats as;
	close_fixture(&f, &as);
	assert_int_equal(as.bad, 3);
	assert_int_equal(as.incomplete, 1); /* its second piece never came */
	unlink(f.path);
}

static void test_a_lost_piece_drops_its_blob_not_the_event(void **state)
{
	struct fixture f;
	open_fixture(&f);
	static uint8_t page[4096];
	pattern(page, sizeof(page), 3);
	struct med_event ev = mk_event(1, MED_EV_WORKLOAD, 1, 2);
	feed_blob(f.a, 1, 0, page, sizeof(page), 0x1000, 1); /* its second piece lost */
	feed_blob(f.a, 1, 1, page, sizeof(page), 0x2000, -1);
	assert_int_equal(tra_event(f.a, &ev, sizeof(ev), NULL, 0), 0);
	struct tra_stats as;
	close_fixture(&f, &as);
	assert_int_equal(as.incomplete, 1);
	struct readback rb;
	read_back(f.path, &rb);
	assert_int_equal(rb.n, 1);
	assert_int_equal(rb.ev[0].nblobs, 1);
	assert_true(rb.ev[0].flags & MED_EVF_BLOBS_DROPPED);
	assert_int_equal(rb.ev[0].blobs_dropped, 1);
	assert_memory_equal(rb.blob[0][0], page, sizeof(page));
	free_back(&rb);
	unlink(f.path);
}

static void test_malformed_records_are_refused_and_counted(void **state)
{
	struct fixture f;
	open_fixture(&f);
	struct med_event ev = mk_event(1, MED_EV_MMIO_READ, 1, 0);
	ev.version = MED_EVENT_VERSION + 1;
	assert_int_equal(tra_event(f.a, &ev, sizeof(ev), NULL, 0), -EPROTO);
	ev = mk_event(1, MED_EV_MMIO_READ, 1, 0);
	ev.size = 96;
	assert_int_equal(tra_event(f.a, &ev, sizeof(ev), NULL, 0), -EPROTO);
	ev = mk_event(1, MED_EV_TYPE_COUNT, 1, 0);
	assert_int_equal(tra_event(f.a, &ev, sizeof(ev), NULL, 0), -EPROTO);
	ev = mk_event(1, MED_EV_MMIO_READ, 1, 0);
	assert_int_equal(tra_event(f.a, &ev, 40, NULL, 0), -EPROTO); /* cut short */
	uint8_t bytes[TRA_PIECE] = { 0 };
	struct med_blob d = { .len = 100 };
	assert_int_equal(tra_piece(f.a, 2, 0, &d, 64, bytes, 64), -EPROTO); /* past its end */
	d.len = 1u << 30;
	assert_int_equal(tra_piece(f.a, 2, 0, &d, 0, bytes, TRA_PIECE), -EPROTO); /* over the cap */
	d.len = 8192;
	assert_int_equal(tra_piece(f.a, 2, 0, &d, 0, bytes, TRA_PIECE + 1), -EPROTO); /* a fat piece */
	/* a piece whose event never comes */
	assert_int_equal(tra_piece(f.a, 9, 0, &d, 0, bytes, TRA_PIECE), 0);
	struct tra_stats as;
	close_fixture(&f, &as);
	assert_int_equal(as.bad, 7);
	assert_int_equal(as.events, 0);
	assert_int_equal(as.orphans, 1);
	unlink(f.path);
}

/* ----------------------------------------------------------- tep_map */

/* The formats this kernel (6.18) printed for vgt's uprobe events, with
 * the print formats shortened (only the fields matter). */
static const char event_format[] =
	"name: event\n"
	"ID: 2326\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:u32 type;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 vgpu;\toffset:20;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 seq;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 ev[];\toffset:32;\tsize:160;\tsigned:0;\n"
	"\tfield:__data_loc char[] text;\toffset:192;\tsize:4;\tsigned:1;\n"
	"\tfield:u32 nblobs;\toffset:196;\tsize:4;\tsigned:0;\n"
	"\n"
	"print fmt: \"(%lx) type=%u seq=%Lu\", REC->__probe_ip, REC->type, REC->seq\n";

static const char blob_format[] =
	"name: blob\n"
	"ID: 2327\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 seq;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:u32 index;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 desc[];\toffset:28;\tsize:24;\tsigned:0;\n"
	"\tfield:u32 offset;\toffset:52;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 len;\toffset:56;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 data0[];\toffset:60;\tsize:512;\tsigned:0;\n"
	"\tfield:u64 data1[];\toffset:572;\tsize:512;\tsigned:0;\n"
	"\tfield:u64 data2[];\toffset:1084;\tsize:512;\tsigned:0;\n"
	"\tfield:u64 data3[];\toffset:1596;\tsize:512;\tsigned:0;\n"
	"\n"
	"print fmt: \"(%lx) seq=%Lu\", REC->__probe_ip, REC->seq\n";

static struct tep_handle *tep_of_formats(void)
{
	struct tep_handle *tep = tep_alloc();
	assert_non_null(tep);
	assert_int_equal(tep_parse_event(tep, event_format, strlen(event_format), "vgt_123"), 0);
	assert_int_equal(tep_parse_event(tep, blob_format, strlen(blob_format), "vgt_123"), 0);
	return tep;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void test_tep_records_of_the_kernels_format_map_by_field_name(void **state)
{
	struct tep_handle *tep = tep_of_formats();
	struct tep_event *ee = tep_find_event(tep, 2326), *be = tep_find_event(tep, 2327);
	assert_non_null(ee);
	assert_non_null(be);
	struct fixture f;
	open_fixture(&f);

	static uint8_t page[3000];
	pattern(page, sizeof(page), 5);
	/* two blob records: 2048 + 952 bytes (the rest of the last piece zero) */
	for (uint32_t off = 0; off < sizeof(page); off += TRA_PIECE) {
		uint8_t rec[1596 + 512] = { 0 };
		uint32_t n = sizeof(page) - off < TRA_PIECE ? sizeof(page) - off : TRA_PIECE;
		put16(rec, 2327);
		put64(rec + 16, 1);
		put32(rec + 24, 0);
		struct med_blob d = { .kind = 2, .as = 1, .len = sizeof(page), .addr = 0x5000, .gpa = 0x9000 };
		memcpy(rec + 28, &d, 24);
		put32(rec + 52, off);
		put32(rec + 56, n);
		memcpy(rec + 60, page + off, n);
		struct tep_record r = { .data = rec, .size = sizeof(rec) };
		assert_int_equal(tra_from_tep(f.a, be, &r), 1);
	}
	uint8_t rec[200 + 16] = { 0 };
	struct med_event ev = mk_event(1, MED_EV_SCAN, 3, 1);
	put16(rec, 2326);
	put32(rec + 16, ev.type);
	put32(rec + 20, ev.vgpu);
	put64(rec + 24, ev.seq);
	memcpy(rec + 32, &ev, 160);
	memcpy(rec + 200, "hello", 6);
	put32(rec + 192, (6u << 16) | 200); /* __data_loc: length << 16 | offset */
	put32(rec + 196, 1);
	struct tep_record r = { .data = rec, .size = sizeof(rec) };
	assert_int_equal(tra_from_tep(f.a, ee, &r), 1);

	/* too short for its fields: refused, not read past */
	struct tep_record shortr = { .data = rec, .size = 100 };
	assert_true(tra_from_tep(f.a, ee, &shortr) < 0);
	/* a text whose __data_loc points past the record: refused, not read */
	put32(rec + 192, (200u << 16) | 1000);
	assert_true(tra_from_tep(f.a, ee, &r) < 0);
	put32(rec + 192, (6u << 16) | 200);
	/* the struct's seq must be the probe's */
	put64(rec + 24, 99);
	assert_true(tra_from_tep(f.a, ee, &r) < 0);

	close_fixture(&f, NULL);
	struct readback rb;
	read_back(f.path, &rb);
	assert_int_equal(rb.n, 1);
	assert_int_equal(rb.ev[0].type, MED_EV_SCAN);
	assert_int_equal(rb.ev[0].vgpu, 3);
	assert_string_equal(rb.text[0], "hello");
	assert_int_equal(rb.ev[0].nblobs, 1);
	assert_int_equal(rb.blen[0][0], sizeof(page));
	assert_memory_equal(rb.blob[0][0], page, sizeof(page));
	free_back(&rb);
	unlink(f.path);
	tep_free(tep);
}

static void test_tep_events_of_others_are_not_ours(void **state)
{
	static const char other[] =
		"name: event_x\n"
		"ID: 77\n"
		"format:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:u64 seq;\toffset:8;\tsize:8;\tsigned:0;\n"
		"\n"
		"print fmt: \"seq=%Lu\", REC->seq\n";
	struct tep_handle *tep = tep_alloc();
	assert_int_equal(tep_parse_event(tep, other, strlen(other), "sched"), 0);
	struct fixture f;
	open_fixture(&f);
	uint8_t rec[16] = { 0 };
	struct tep_record r = { .data = rec, .size = sizeof(rec) };
	assert_int_equal(tra_from_tep(f.a, tep_find_event(tep, 77), &r), 0);
	close_fixture(&f, NULL);
	unlink(f.path);
	tep_free(tep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_become_the_blobs_byte_for_byte),
		cmocka_unit_test(test_out_of_order_events_are_written_in_seq_order),
		cmocka_unit_test(test_losses_add_up_to_what_the_source_counted),
		cmocka_unit_test(test_an_event_later_than_its_place_is_not_written_twice),
		cmocka_unit_test(test_repeated_or_misplaced_pieces_are_refused),
		cmocka_unit_test(test_a_lost_piece_drops_its_blob_not_the_event),
		cmocka_unit_test(test_malformed_records_are_refused_and_counted),
		cmocka_unit_test(test_tep_records_of_the_kernels_format_map_by_field_name),
		cmocka_unit_test(test_tep_events_of_others_are_not_ours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
