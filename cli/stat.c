/* SPDX-License-Identifier: MIT */
/*
 * vgt stat FILE [--json]
 *
 * What a log holds and how well it read back (tr_log_stats): the header,
 * duration, events by type and by vGPU, sizes, blobs, chunks, and what
 * was recovered or lost.  Exit: 0 a healthy log, 1 something was lost or
 * damaged (said on stderr too), 2 not a log / cannot be read / usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/common.h"
#include "tracer/tracer.h"

#define usage_error(...) cli_usage_error("stat", __VA_ARGS__)

static void usage(FILE *f)
{
	fputs("usage: vgt stat FILE [--json]\n"
	      "\n"
	      "Describes a vgt log (.vgtl): its header (format and event versions, source, GPU\n"
	      "generation, the tool and command that recorded it, clock, host, when, the mediator's\n"
	      "configuration and the vGPUs present when recording began), its duration (virtual: first\n"
	      "to last event; wall: from the chunks' write times), events by type and by vGPU, a\n"
	      "per-vGPU table (traps, submissions, rejections, GGTT and page-table writes, ...), bytes\n"
	      "per event (event chunks as stored, blob contents excluded), the compression ratio\n"
	      "(raw / stored), blobs (referenced, stored, dedup ratio = bytes referenced / bytes\n"
	      "stored), chunks by kind, and what reading it recovered or lost.\n"
	      "\n"
	      "  --json   the same as one JSON object\n"
	      "\n"
	      "exit status: 0 the log is whole, 1 it is damaged, truncated, was not closed by its\n"
	      "writer or lost events while recording (what was lost is said), 2 not a vgt log,\n"
	      "unreadable, or usage error\n",
	      f);
}

struct view {
	const char *file;
	const struct tr_log_info *info;
	struct tr_log_stats s;
	char *buf;
	size_t cap;
};

static const char *chunk_names[TR_CHUNK_INDEX + 1] = {
	[0] = "other", [TR_CHUNK_HEADER] = "header", [TR_CHUNK_EVENTS] = "events",
	[TR_CHUNK_BLOBS] = "blobs", [TR_CHUNK_LOSS] = "loss", [TR_CHUNK_INDEX] = "index",
};

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* The stored blobs' own bytes: blob chunks less their 8-byte prefix and
 * 20-byte entry headers (docs/LOG-FORMAT.md), like blob_ref_bytes. */
static uint64_t stored_blob_bytes(const struct tr_log_stats *s)
{
	uint64_t raw = s->chunk_raw[TR_CHUNK_BLOBS];
	uint64_t hdrs = 8 * s->chunks[TR_CHUNK_BLOBS] + 20 * s->blobs_stored;
	return raw > hdrs ? raw - hdrs : 0;
}

static bool healthy(const struct tr_log_stats *s)
{
	const struct tr_health *h = &s->health;

	return h->header_ok && h->closed && !h->truncated && !h->chunks_bad && !h->bytes_skipped &&
	       !h->events_lost && !s->lost_events && !h->lost_events && !h->blobs_missing;
}

static void created(uint64_t ns, char *out, size_t len)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!ns || !gmtime_r(&t, &tm)) {
		snprintf(out, len, "unknown");
		return;
	}
	strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* A header event's fields (config, vgpu-create) as text, without the
 * "SEQ TIME vN ENGINE TYPE" head. */
static const char *fields_of(struct view *v, const struct med_event *ev)
{
	size_t n = tr_event_format(v->buf, v->cap, ev);
	const char *p = v->buf;

	(void)n;
	for (int i = 0; i < 5 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? p : "";
}

static uint64_t wall_ns(const struct tr_log_stats *s)
{
	return s->last_wall_ns > s->first_wall_ns ? s->last_wall_ns - s->first_wall_ns : 0;
}

static void print_text(struct view *v)
{
	const struct tr_log_info *in = v->info;
	const struct tr_log_stats *s = &v->s;
	const struct tr_health *h = &s->health;
	char when[64];
	uint64_t dur = s->events ? s->last_time - s->first_time : 0;

	created(in->created_ns, when, sizeof(when));
	printf("%s: vgt log, format %u, events version %u, %s\n", v->file, in->version,
	       in->event_version, healthy(s) ? "whole (closed by its writer)" : "DAMAGED or INCOMPLETE");
	printf("  source       %s\n", tr_source_name(in->source));
	printf("  gen          %u%s\n", in->gen, in->gen ? "" : " (unknown)");
	printf("  tool         %s\n", in->tool_version && *in->tool_version ? in->tool_version : "?");
	printf("  command      %s\n", in->cmdline && *in->cmdline ? in->cmdline : "?");
	printf("  clock        %s\n", in->clock && *in->clock ? in->clock : "?");
	printf("  host         %s\n", in->host && *in->host ? in->host : "?");
	printf("  created      %s\n", when);
	if (in->has_config)
		printf("  config       %s\n", fields_of(v, &in->config));
	else
		printf("  config       none in the header\n");
	printf("  vGPUs        %u when recording began\n", in->nvgpus);
	for (unsigned i = 0; i < in->nvgpus && i < MED_MAX_VGPUS; i++)
		printf("    vGPU %u    %s\n", in->vgpus[i].vgpu, fields_of(v, &in->vgpus[i]));

	printf("duration       virtual %" PRIu64 ".%09" PRIu64 " s (event times %" PRIu64 " to %" PRIu64
	       " ns), wall %.3f s (chunk write times)\n",
	       dur / 1000000000u, dur % 1000000000u, s->first_time, s->last_time,
	       (double)wall_ns(s) / 1e9);
	printf("events         %" PRIu64 " (seq %" PRIu64 " to %" PRIu64 ")", s->events, s->first_seq,
	       s->last_seq);
	if (s->out_of_order)
		printf(", %" PRIu64 " out of seq order", s->out_of_order);
	printf("\n  by type\n");
	for (unsigned t = 0; t <= MED_EV_TYPE_COUNT; t++) {
		const char *n = t < MED_EV_TYPE_COUNT ? med_event_name((enum med_event_type)t) : NULL;

		if (s->by_type[t])
			printf("    %-16s %12" PRIu64 "  %5.1f%%\n", n ? n : "unknown-type",
			       s->by_type[t], 100.0 * ratio(s->by_type[t], s->events));
	}
	printf("  by vGPU\n");
	for (unsigned i = 0; i <= MED_MAX_VGPUS; i++)
		if (s->by_vgpu_events[i]) {
			if (i)
				printf("    vGPU %-11u %12" PRIu64 "\n", i, s->by_vgpu_events[i]);
			else
				printf("    %-16s %12" PRIu64 "\n", "none", s->by_vgpu_events[i]);
		}
	if (s->vgpu_out_of_range)
		printf("    %-16s %12" PRIu64 "\n", "out of range", s->vgpu_out_of_range);
	printf("per vGPU       %6s %8s %6s %6s %6s %8s %8s %6s %6s %8s %8s %6s\n", "vgpu", "mmio",
	       "cfg", "submit", "wl", "scans", "rejected", "disp", "done", "ggtt-wr", "pt-wr", "escape");
	for (unsigned i = 1; i <= MED_MAX_VGPUS; i++) {
		const struct tr_vgpu_stats *g = &s->vgpu[i];

		if (!g->events)
			continue;
		printf("               %6u %8" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %8" PRIu64
		       " %8" PRIu64 " %6" PRIu64 " %6" PRIu64 " %8" PRIu64 " %8" PRIu64 " %6" PRIu64 "\n",
		       i, g->mmio_reads + g->mmio_writes, g->cfg_reads + g->cfg_writes, g->submissions,
		       g->workloads, g->scans, g->rejections, g->dispatches, g->completions,
		       g->ggtt_writes, g->pt_writes, g->escapes);
	}
	uint64_t ev_stored = s->chunk_stored[TR_CHUNK_EVENTS], ev_raw = s->chunk_raw[TR_CHUNK_EVENTS];
	printf("size           file %" PRIu64 " bytes; events %" PRIu64 " bytes stored (%.2f bytes/event), "
	       "%" PRIu64 " raw: compression %.2fx\n",
	       h->file_bytes, ev_stored, ratio(ev_stored, s->events), ev_raw, ratio(ev_raw, ev_stored));
	printf("blobs          %" PRIu64 " referenced (%" PRIu64 " bytes), %" PRIu64 " stored (%" PRIu64
	       " bytes raw, %" PRIu64 " compressed): dedup %.2fx, compression %.2fx",
	       s->blob_refs, s->blob_ref_bytes, s->blobs_stored, s->chunk_raw[TR_CHUNK_BLOBS],
	       s->chunk_stored[TR_CHUNK_BLOBS], ratio(s->blob_ref_bytes, stored_blob_bytes(s)),
	       ratio(s->chunk_raw[TR_CHUNK_BLOBS], s->chunk_stored[TR_CHUNK_BLOBS]));
	if (h->blobs_missing)
		printf("; %" PRIu64 " references whose bytes are missing", h->blobs_missing);
	printf("\nchunks         ");
	for (unsigned k = 1; k <= TR_CHUNK_INDEX; k++)
		printf("%s%s %" PRIu64, k > 1 ? ", " : "", chunk_names[k], s->chunks[k]);
	if (s->chunks[0])
		printf(", other %" PRIu64, s->chunks[0]);
	printf("; %" PRIu64 " bad\n", h->chunks_bad);
	if (healthy(s)) {
		printf("health         ok: closed by its writer, every chunk valid, nothing lost\n");
		return;
	}
	printf("health         NOT WHOLE:%s%s%s", h->header_ok ? "" : " the file header is damaged;",
	       h->truncated ? " truncated: the file ends inside a chunk;" : "",
	       h->closed ? "" : " not closed by its writer (no valid index and footer: the recording "
				"was cut short);");
	if (h->chunks_bad)
		printf(" %" PRIu64 " bad chunks skipped;", h->chunks_bad);
	if (s->lost_events)
		printf(" %" PRIu64 " events lost while recording;", s->lost_events);
	if (h->blobs_missing)
		printf(" %" PRIu64 " blob references without their bytes;", h->blobs_missing);
	printf(" what could be read is counted above\n");
	printf("  read         %" PRIu64 " valid chunks, %" PRIu64 " events\n", h->chunks_ok, h->events);
	printf("  lost         %" PRIu64 " bad chunks, %" PRIu64 " bytes skipped, %" PRIu64
	       " events in them (as their headers said)\n",
	       h->chunks_bad, h->bytes_skipped, h->events_lost);
	printf("  recording    %" PRIu64 " loss records: %" PRIu64 " events not recorded\n", s->losses,
	       s->lost_events);
}

static void print_problems_text(struct tr_reader *r, const struct tr_health *h)
{
	unsigned np = h->nproblems < TR_MAX_PROBLEMS ? h->nproblems : TR_MAX_PROBLEMS;

	for (unsigned i = 0; i < np; i++) {
		const struct tr_problem *p = tr_reader_problem(r, i);

		if (!p)
			break;
		printf("  problem      at offset %" PRIu64 ", %" PRIu64 " bytes: %s", p->offset, p->bytes,
		       p->what);
		if (p->events)
			printf(" (%" PRIu64 " events, seq %" PRIu64 " to %" PRIu64 ")", p->events,
			       p->first_seq, p->last_seq);
		printf("\n");
	}
	if (h->nproblems > np)
		printf("  problem      ... and %u more\n", h->nproblems - np);
}

static void json_event_obj(struct view *v, const struct med_event *ev)
{
	struct tr_record rec = { .kind = TR_REC_EVENT, .ev = *ev };

	rec.ev.blobs = NULL;
	rec.ev.nblobs = 0;
	rec.ev.text = NULL;
	tr_record_json(v->buf, v->cap, &rec);
	fputs(v->buf, stdout);
}

static void jkey_u(const char *k, uint64_t x, bool comma)
{
	printf("%s\"%s\":%" PRIu64, comma ? "," : "", k, x);
}

static void print_json(struct view *v, struct tr_reader *r)
{
	const struct tr_log_info *in = v->info;
	const struct tr_log_stats *s = &v->s;
	const struct tr_health *h = &s->health;
	char when[64];
	bool first;

	created(in->created_ns, when, sizeof(when));
	printf("{\"file\":");
	vgt_json_str(stdout, v->file);
	jkey_u("format_version", in->version, true);
	jkey_u("event_version", in->event_version, true);
	printf(",\"source\":");
	vgt_json_str(stdout, tr_source_name(in->source));
	jkey_u("gen", in->gen, true);
	printf(",\"types\":");
	vgt_json_hex(stdout, in->types);
	printf(",\"tool_version\":");
	vgt_json_str(stdout, in->tool_version);
	printf(",\"cmdline\":");
	vgt_json_str(stdout, in->cmdline);
	printf(",\"clock\":");
	vgt_json_str(stdout, in->clock);
	printf(",\"host\":");
	vgt_json_str(stdout, in->host);
	jkey_u("created_ns", in->created_ns, true);
	printf(",\"created\":\"%s\",\"config\":", when);
	if (in->has_config)
		json_event_obj(v, &in->config);
	else
		fputs("null", stdout);
	printf(",\"vgpus\":[");
	for (unsigned i = 0; i < in->nvgpus && i < MED_MAX_VGPUS; i++) {
		if (i)
			putchar(',');
		json_event_obj(v, &in->vgpus[i]);
	}
	printf("],\"duration\":{");
	jkey_u("virtual_ns", s->events ? s->last_time - s->first_time : 0, false);
	jkey_u("first_time", s->first_time, true);
	jkey_u("last_time", s->last_time, true);
	jkey_u("wall_ns", wall_ns(s), true);
	printf("}");
	jkey_u("events", s->events, true);
	jkey_u("first_seq", s->first_seq, true);
	jkey_u("last_seq", s->last_seq, true);
	jkey_u("out_of_order", s->out_of_order, true);
	printf(",\"by_type\":{");
	first = true;
	for (unsigned t = 0; t <= MED_EV_TYPE_COUNT; t++) {
		const char *n = t < MED_EV_TYPE_COUNT ? med_event_name((enum med_event_type)t) : NULL;

		if (!s->by_type[t])
			continue;
		printf("%s\"%s\":%" PRIu64, first ? "" : ",", n ? n : "unknown-type", s->by_type[t]);
		first = false;
	}
	printf("},\"by_vgpu\":{");
	first = true;
	for (unsigned i = 0; i <= MED_MAX_VGPUS; i++) {
		if (!s->by_vgpu_events[i])
			continue;
		printf("%s\"%u\":%" PRIu64, first ? "" : ",", i, s->by_vgpu_events[i]);
		first = false;
	}
	if (s->vgpu_out_of_range)
		printf("%s\"out_of_range\":%" PRIu64, first ? "" : ",", s->vgpu_out_of_range);
	printf("},\"per_vgpu\":[");
	first = true;
	for (unsigned i = 1; i <= MED_MAX_VGPUS; i++) {
		const struct tr_vgpu_stats *g = &s->vgpu[i];

		if (!g->events)
			continue;
		printf("%s{\"vgpu\":%u", first ? "" : ",", i);
		first = false;
		jkey_u("events", g->events, true);
		jkey_u("mmio_reads", g->mmio_reads, true);
		jkey_u("mmio_writes", g->mmio_writes, true);
		jkey_u("mmio_refused", g->mmio_refused, true);
		jkey_u("cfg_reads", g->cfg_reads, true);
		jkey_u("cfg_writes", g->cfg_writes, true);
		jkey_u("ggtt_writes", g->ggtt_writes, true);
		jkey_u("pt_writes", g->pt_writes, true);
		jkey_u("submissions", g->submissions, true);
		jkey_u("workloads", g->workloads, true);
		jkey_u("scans", g->scans, true);
		jkey_u("rejections", g->rejections, true);
		jkey_u("dispatches", g->dispatches, true);
		jkey_u("completions", g->completions, true);
		jkey_u("hangs", g->hangs, true);
		jkey_u("faults", g->faults, true);
		jkey_u("escapes", g->escapes, true);
		jkey_u("failsafe", g->failsafe, true);
		printf("}");
	}
	uint64_t ev_stored = s->chunk_stored[TR_CHUNK_EVENTS], ev_raw = s->chunk_raw[TR_CHUNK_EVENTS];
	printf("],\"bytes\":{");
	jkey_u("file", h->file_bytes, false);
	jkey_u("events_stored", ev_stored, true);
	jkey_u("events_raw", ev_raw, true);
	printf(",\"per_event\":%.3f,\"compression_ratio\":%.3f}", ratio(ev_stored, s->events),
	       ratio(ev_raw, ev_stored));
	printf(",\"blobs\":{");
	jkey_u("refs", s->blob_refs, false);
	jkey_u("ref_bytes", s->blob_ref_bytes, true);
	jkey_u("stored", s->blobs_stored, true);
	jkey_u("stored_raw_bytes", s->chunk_raw[TR_CHUNK_BLOBS], true);
	jkey_u("stored_bytes", s->chunk_stored[TR_CHUNK_BLOBS], true);
	jkey_u("missing", h->blobs_missing, true);
	printf(",\"dedup_ratio\":%.3f}", ratio(s->blob_ref_bytes, stored_blob_bytes(s)));
	printf(",\"chunks\":{");
	for (unsigned k = 0; k <= TR_CHUNK_INDEX; k++)
		jkey_u(chunk_names[k], s->chunks[k], k > 0);
	jkey_u("bad", h->chunks_bad, true);
	printf("},\"health\":{\"ok\":%s,\"header_ok\":%s,\"closed\":%s,\"truncated\":%s",
	       healthy(s) ? "true" : "false", h->header_ok ? "true" : "false",
	       h->closed ? "true" : "false", h->truncated ? "true" : "false");
	jkey_u("chunks_ok", h->chunks_ok, true);
	jkey_u("chunks_bad", h->chunks_bad, true);
	jkey_u("bytes_skipped", h->bytes_skipped, true);
	jkey_u("events_read", h->events, true);
	jkey_u("events_lost", h->events_lost, true);
	jkey_u("losses", s->losses, true);
	jkey_u("lost_events", s->lost_events, true);
	jkey_u("blobs_missing", h->blobs_missing, true);
	printf(",\"problems\":[");
	unsigned np = h->nproblems < TR_MAX_PROBLEMS ? h->nproblems : TR_MAX_PROBLEMS;
	for (unsigned i = 0; i < np; i++) {
		const struct tr_problem *p = tr_reader_problem(r, i);

		if (!p)
			break;
		printf("%s{", i ? "," : "");
		jkey_u("offset", p->offset, false);
		jkey_u("bytes", p->bytes, true);
		jkey_u("events", p->events, true);
		jkey_u("first_seq", p->first_seq, true);
		jkey_u("last_seq", p->last_seq, true);
		printf(",\"what\":");
		vgt_json_str(stdout, p->what);
		printf("}");
	}
	printf("]");
	jkey_u("problems_total", h->nproblems, true);
	printf("}}\n");
}

/* One line on stderr saying what is wrong with the log. */
static void say_damage(const struct view *v)
{
	const struct tr_log_stats *s = &v->s;
	const struct tr_health *h = &s->health;

	fprintf(stderr, "vgt stat: %s: ", v->file);
	if (!h->header_ok)
		fprintf(stderr, "file header damaged; ");
	if (h->truncated)
		fprintf(stderr, "truncated (ends inside a chunk); ");
	else if (!h->closed)
		fprintf(stderr, "not closed by its writer; ");
	if (h->chunks_bad)
		fprintf(stderr, "%" PRIu64 " bad chunks (%" PRIu64 " bytes, %" PRIu64 " events) skipped; ",
			h->chunks_bad, h->bytes_skipped, h->events_lost);
	if (s->lost_events || h->lost_events)
		fprintf(stderr, "%" PRIu64 " events lost while recording; ",
			s->lost_events > h->lost_events ? s->lost_events : h->lost_events);
	if (h->blobs_missing)
		fprintf(stderr, "%" PRIu64 " blob references without their bytes; ", h->blobs_missing);
	fprintf(stderr, "%" PRIu64 " events recovered\n", s->events);
}

int cmd_stat(int argc, char **argv)
{
	const char *file = NULL;
	bool json = false;
	struct tr_reader *r;
	struct view v = { 0 };
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return VGT_EXIT_OK;
		}
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s'", a);
		if (file)
			return usage_error("one FILE only ('%s' is a second one)", a);
		file = a;
	}
	if (!file)
		return usage_error("%s", "missing FILE, the log to describe");
	if (cli_open_log("stat", file, true, &r))
		return VGT_EXIT_USAGE;
	v.file = file;
	v.info = tr_reader_info(r);
	v.cap = 4096;
	v.buf = malloc(v.cap);
	if (!v.buf) {
		tr_reader_close(r);
		fprintf(stderr, "vgt stat: out of memory\n");
		return VGT_EXIT_USAGE;
	}
	rc = tr_log_stats(r, &v.s);
	if (rc) {
		fprintf(stderr, "vgt stat: %s: reading the log: %s\n", file, strerror(-rc));
		free(v.buf);
		tr_reader_close(r);
		return VGT_EXIT_USAGE;
	}
	if (json) {
		print_json(&v, r);
	} else {
		print_text(&v);
		print_problems_text(r, &v.s.health);
	}
	free(v.buf);
	tr_reader_close(r);
	if (cli_write_failed("stat", stdout, "the report"))
		return VGT_EXIT_USAGE;
	if (!healthy(&v.s)) {
		say_damage(&v);
		return VGT_EXIT_BAD;
	}
	return VGT_EXIT_OK;
}
