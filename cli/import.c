/* SPDX-License-Identifier: MIT */
/*
 * vgt import FILE.dat -o FILE.vgtl [--json] [--rings LIST]
 *
 * A trace-cmd recording into a log (tr_import): vgt's own uprobe events,
 * or a GVT-g host's gvt/i915 tracepoints mapped into events.  The report
 * says what was imported by type, what was skipped, what was lost, and
 * what a replay of the log can and cannot verify.  Exit: 0 imported and
 * nothing lost, 1 imported but something was lost or malformed (or
 * nothing in the recording is importable), 2 usage, not a trace-cmd
 * recording, unreadable, or the log cannot be written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/common.h"
#include "scanner/scanner.h"
#include "tracer/tracer.h"
#include "vgt_version.h"

#define usage_error(...) cli_usage_error("import", __VA_ARGS__)

static void usage(FILE *f)
{
	fputs("usage: vgt import FILE.dat -o FILE.vgtl [--json] [--rings LIST]\n"
	      "\n"
	      "Converts a trace-cmd recording (trace-cmd extract / record, read with libtracecmd)\n"
	      "into a vgt log.  Two kinds of recordings:\n"
	      "  - vgt's own USDT probes as tracefs uprobe events (GROUP/event and GROUP/blob,\n"
	      "    docs/PROBES.md): the log holds the events as the mediator emitted them, equal to an\n"
	      "    in-process recording of the same run (digests excepted);\n"
	      "  - a GVT-g host's gvt:* and i915:* tracepoints: mapped into events as far as they\n"
	      "    carry them (docs/PROBES.md, \"Importing a GVT-g host's trace\"), every one flagged\n"
	      "    IMPORTED, what they do not carry left zero.\n"
	      "Records of other events are skipped and counted; records the kernel lost become loss\n"
	      "records at their place.\n"
	      "\n"
	      "  -o FILE       the log to write (replaced)\n"
	      "  --json        the report as one JSON object\n"
	      "  --rings LIST  a host's GVT ring_id -> engine, comma-separated from ring 0\n"
	      "                (rcs, bcs, vcs, vecs, or - for none); default rcs,bcs,vcs,vcs,vecs\n"
	      "\n"
	      "exit status: 0 imported, nothing lost; 1 imported, but records were lost or\n"
	      "malformed, or nothing in the recording is importable or no event was imported (said\n"
	      "on stderr); 2 usage, not a\n"
	      "trace-cmd recording, truncated or corrupt headers, or the log cannot be written\n",
	      f);
}

static const char *replay_note(enum tr_import_kind k)
{
	switch (k) {
	case TR_IMPORT_PROBES:
		return "the mediator's own events (all types but digest): a replay can re-drive a "
		       "mediator from the configuration and trap events and compare every event but "
		       "scan_ns; it cannot check memory digests (record in-process with "
		       "--record-digests for those)";
	case TR_IMPORT_HOST:
		return "mapped from a GVT-g host's tracepoints: no configuration, no vGPU creation, no "
		       "guest memory, seqs numbered by the import, times in the trace clock; a replay "
		       "cannot re-drive a mediator from it; the commands GVT scanned (scan blobs) can be "
		       "re-audited and the requests' timing compared";
	default:
		return "nothing imported";
	}
}

static int parse_rings(const char *s, int8_t *rings)
{
	for (unsigned i = 0; i < 16; i++)
		rings[i] = -1;
	char *dup = strdup(s), *save = NULL;
	if (!dup)
		return -ENOMEM;
	unsigned n = 0;
	int err = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum scan_engine e;
		if (n == 16) {
			err = usage_error("--rings '%s': at most 16 rings", s);
			break;
		}
		if (!strcmp(t, "-")) {
			rings[n++] = -1;
		} else if (!scan_engine_parse(t, &e)) {
			rings[n++] = (int8_t)e;
		} else {
			err = usage_error("--rings '%s': '%s' is not an engine (rcs, bcs, vcs, vecs, -)", s,
					  t);
			break;
		}
	}
	free(dup);
	return err;
}

static void print_types(FILE *f, uint64_t types, bool json)
{
	bool first = true;
	for (unsigned t = 1; t < MED_EV_TYPE_COUNT; t++) {
		if (!(types & MED_EV_BIT(t)))
			continue;
		fprintf(f, json ? "%s\"%s\"" : "%s%s", first ? "" : json ? "," : " ",
			med_event_name((enum med_event_type)t));
		first = false;
	}
}

static void print_json(const char *dat, const char *out, const struct tr_import_stats *s)
{
	printf("{\"input\":");
	vgt_json_str(stdout, dat);
	printf(",\"output\":");
	vgt_json_str(stdout, out);
	printf(",\"kind\":\"%s\",\"types\":[", tr_import_kind_name(s->kind));
	print_types(stdout, s->types, true);
	printf("],\"records\":%" PRIu64 ",\"taken\":%" PRIu64 ",\"skipped\":%" PRIu64
	       ",\"bad\":%" PRIu64 ",\"unknown\":%" PRIu64 ",\"events\":%" PRIu64 ",\"by_type\":{",
	       s->records, s->taken, s->skipped, s->bad, s->unknown, s->events);
	bool first = true;
	for (unsigned t = 0; t < MED_EV_TYPE_COUNT; t++) {
		if (!s->by_type[t])
			continue;
		printf("%s\"%s\":%" PRIu64, first ? "" : ",", med_event_name((enum med_event_type)t),
		       s->by_type[t]);
		first = false;
	}
	printf("},\"skipped_by\":{");
	for (unsigned i = 0; i < s->nskipped_names; i++) {
		if (i)
			putchar(',');
		vgt_json_str(stdout, s->skipped_by[i].name);
		printf(":%" PRIu64, s->skipped_by[i].count);
	}
	printf("},\"missed\":%" PRIu64 ",\"missed_unknown\":%" PRIu64 ",\"dropped\":%" PRIu64
	       ",\"losses\":%" PRIu64
	       ",\"lost_events\":%" PRIu64 ",\"incomplete\":%" PRIu64 ",\"orphans\":%" PRIu64
	       ",\"bytes\":%" PRIu64 ",\"replay\":",
	       s->missed, s->missed_unknown, s->dropped, s->losses, s->lost_events, s->incomplete,
	       s->orphans, s->file_bytes);
	vgt_json_str(stdout, replay_note(s->kind));
	printf("}\n");
}

static void print_text(const char *dat, const char *out, const struct tr_import_stats *s)
{
	printf("vgt import: %s -> %s: %s, %" PRIu64 " events written (%" PRIu64 " bytes)\n", dat, out,
	       tr_import_kind_name(s->kind), s->events, s->file_bytes);
	printf("  records    %" PRIu64 " read: %" PRIu64 " used, %" PRIu64 " skipped (not ours), %" PRIu64
	       " malformed, %" PRIu64 " of events without a format\n",
	       s->records, s->taken, s->skipped, s->bad, s->unknown);
	printf("  types      ");
	print_types(stdout, s->types, false);
	printf("\n  by type   ");
	for (unsigned t = 0; t < MED_EV_TYPE_COUNT; t++)
		if (s->by_type[t])
			printf(" %s %" PRIu64, med_event_name((enum med_event_type)t), s->by_type[t]);
	printf("\n");
	if (s->nskipped_names) {
		printf("  skipped   ");
		for (unsigned i = 0; i < s->nskipped_names; i++)
			printf(" %s %" PRIu64, s->skipped_by[i].name, s->skipped_by[i].count);
		printf("\n");
	}
	if (!s->missed && !s->missed_unknown && !s->dropped && !s->lost_events && !s->incomplete &&
	    !s->orphans)
		printf("  losses     none\n");
	else
		printf("  losses     the kernel overwrote %" PRIu64 " records (and an unknown number at %" PRIu64
		       " places) and dropped %" PRIu64 " (buffer full); the log has %" PRIu64
		       " loss records (%" PRIu64 " events); %" PRIu64
		       " events without some blob bytes, %" PRIu64 " blob pieces without their event\n",
		       s->missed, s->missed_unknown, s->dropped, s->losses, s->lost_events, s->incomplete,
		       s->orphans);
	printf("  replay     %s\n", replay_note(s->kind));
}

int cmd_import(int argc, char **argv)
{
	const char *dat = NULL, *out = NULL;
	bool json = false;
	int8_t rings[16];
	bool have_rings = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return VGT_EXIT_OK;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i == argc)
				return usage_error("%s needs a file", a);
			out = argv[i];
		} else if (!strcmp(a, "--rings")) {
			if (++i == argc)
				return usage_error("--rings needs a list");
			if (parse_rings(argv[i], rings))
				return VGT_EXIT_USAGE;
			have_rings = true;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else if (!dat) {
			dat = a;
		} else {
			return usage_error("one recording at a time ('%s' and '%s')", dat, a);
		}
	}
	if (!dat)
		return usage_error("no recording named");
	if (!out)
		return usage_error("no log named (-o FILE.vgtl)");

	char eb[512] = "";
	char *cmdline = cli_join_cmdline(argc, argv);
	struct tr_import_opts o = { .sz = sizeof(o), .errbuf = eb, .errbuf_len = sizeof(eb) };
	o.writer.sz = sizeof(o.writer);
	o.writer.tool_version = "vgt " VGT_VERSION;
	o.writer.cmdline = cmdline;
	o.rings = have_rings ? rings : NULL;
	struct tr_import_stats s = { .sz = sizeof(s) };
	int err = tr_import(dat, out, &o, &s);
	free(cmdline);
	if (err) {
		fprintf(stderr, "vgt import: %s\n", eb[0] ? eb : strerror(-err));
		return VGT_EXIT_USAGE;
	}
	if (json)
		print_json(dat, out, &s);
	else
		print_text(dat, out, &s);
	if (cli_write_failed("import", stdout, "the report"))
		return VGT_EXIT_USAGE;
	if (s.kind == TR_IMPORT_NONE) {
		fprintf(stderr, "vgt import: %s: nothing to import: none of vgt's probe events, no gvt or "
				"i915 tracepoints (%" PRIu64 " records skipped)\n",
			dat, s.skipped);
		return VGT_EXIT_BAD;
	}
	if (!s.events) {
		fprintf(stderr, "vgt import: %s: nothing imported: it has the formats of %s events but "
				"no record of them (%" PRIu64 " records read)\n",
			dat, s.kind == TR_IMPORT_PROBES ? "vgt's probe" : "gvt/i915", s.records);
		return VGT_EXIT_BAD;
	}
	if (s.missed || s.missed_unknown || s.dropped || s.lost_events || s.bad || s.unknown || s.incomplete ||
	    s.orphans) {
		fprintf(stderr, "vgt import: %s: not everything was imported: %" PRIu64
				" records overwritten by the kernel (+%" PRIu64 " places of an unknown number), %"
				PRIu64 " dropped (buffer full), %" PRIu64 " events lost in the log, %" PRIu64
				" malformed and %" PRIu64 " unknown records, %" PRIu64
				" events without some blob bytes\n",
			dat, s.missed, s.missed_unknown, s.dropped, s.lost_events, s.bad, s.unknown,
			s.incomplete);
		return VGT_EXIT_BAD;
	}
	return VGT_EXIT_OK;
}
