/* SPDX-License-Identifier: MIT */
/*
 * vgt export FILE [--format perfetto] -o OUT.json [--window-us N]
 *
 * Converts a log for a trace viewer; the conversion is the library's
 * (tr_export_perfetto).  Exit: 0, 1 the log is damaged (what could be read
 * is exported), 2 usage or I/O error.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tracer/tracer.h"

#define usage_error(...) cli_usage_error("export", __VA_ARGS__)

/* The longest counter window: one hour of virtual time. */
#define WINDOW_US_MAX 3600000000ull

static void usage(FILE *f)
{
	fputs("usage: vgt export FILE [--format perfetto] -o OUT.json [--window-us N]\n"
	      "\n"
	      "Converts a vgt log (.vgtl) to Chrome / Perfetto trace-event JSON, which the Perfetto UI\n"
	      "(ui.perfetto.dev) and chrome://tracing open.  Time is the log's virtual clock, in µs.\n"
	      "Tracks: a process 'GPU engines' with a thread per engine holding one slice per workload,\n"
	      "from its dispatch to its completion ('vGPU N wl ID'; args: commands executed and\n"
	      "scanned, status, verdict); a process per vGPU with a 'submissions' thread (a slice per\n"
	      "workload from its submission to its verdict, where a flow arrow to its execution starts),\n"
	      "an 'alerts' thread (instants: reject, failsafe, escape) and counters (traps/s, GGTT\n"
	      "writes/s and page-table writes/s over windows of virtual time, rejections so far).\n"
	      "The conversion streams: memory holds only the workloads in flight.\n"
	      "\n"
	      "  --format F       perfetto (the default and, for now, the only one)\n"
	      "  -o OUT           the output file ('-': standard output)\n"
	      "  --window-us N    the counters' window in virtual µs (default 1000, at most\n"
	      "                   3600000000: one hour)\n"
	      "\n"
	      "exit status: 0 done, 1 the log is damaged, truncated, not closed by its writer or lost\n"
	      "events (everything readable is exported), 2 usage or I/O error\n",
	      f);
}

int cmd_export(int argc, char **argv)
{
	const char *file = NULL, *out = NULL, *format = "perfetto";
	unsigned long long window_us = 0;
	struct tr_reader *r;
	struct tr_health h = { .sz = sizeof(h) };
	struct tr_export_stats st = { .sz = sizeof(st) };
	char err[256] = "";
	FILE *f;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return VGT_EXIT_OK;
		}
		if (!strcmp(a, "--format") || !strcmp(a, "-o") || !strcmp(a, "--output") ||
		    !strcmp(a, "--window-us")) {
			const char *v = i + 1 < argc ? argv[++i] : NULL;

			if (!v)
				return usage_error("%s needs a value", a);
			if (!strcmp(a, "--format")) {
				format = v;
			} else if (!strcmp(a, "--window-us")) {
				if (cli_parse_u64(v, &window_us) || !window_us)
					return usage_error("--window-us '%s': expected a positive number "
							   "of microseconds", v);
				if (window_us > WINDOW_US_MAX)
					return usage_error("--window-us %s: more than %llu (one hour of "
							   "virtual time)", v, (unsigned long long)WINDOW_US_MAX);
			} else {
				out = v;
			}
			continue;
		}
		if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s'", a);
		if (file)
			return usage_error("one FILE only ('%s' is a second one)", a);
		file = a;
	}
	if (strcmp(format, "perfetto"))
		return usage_error("--format '%s': the formats are: perfetto", format);
	if (!file)
		return usage_error("%s", "missing FILE, the log to export");
	if (!out)
		return usage_error("%s", "missing -o OUT.json (or -o - for standard output)");
	if (cli_open_log("export", file, true, &r))
		return VGT_EXIT_USAGE;
	bool to_stdout = !strcmp(out, "-");
	if (to_stdout) {
		f = stdout;
		signal(SIGPIPE, SIG_IGN);
	} else {
		struct stat si, so;

		if (!stat(file, &si) && !stat(out, &so) && si.st_dev == so.st_dev &&
		    si.st_ino == so.st_ino) {
			fprintf(stderr, "vgt export: -o %s: is the log being exported; choose another "
				"output\n", out);
			tr_reader_close(r);
			return VGT_EXIT_USAGE;
		}
		f = fopen(out, "w");
		if (!f) {
			fprintf(stderr, "vgt export: -o %s: cannot create: %s\n", out, strerror(errno));
			tr_reader_close(r);
			return VGT_EXIT_USAGE;
		}
	}
	struct tr_perfetto_opts po = { .sz = sizeof(po), .window_ns = window_us * 1000,
				       .errbuf = err, .errbuf_len = sizeof(err) };
	/* the library's loop (tr_export_perfetto), here to know which side
	 * failed: reading the log names the log, writing names the output */
	struct tr_perfetto *p;
	const struct tr_record *rec;
	int rrc = tr_reader_rewind(r);

	rc = rrc ? 0 : tr_perfetto_new(f, tr_reader_info(r), &po, &p);
	if (!rrc && !rc) {
		while ((rrc = tr_reader_next(r, &rec)) > 0) {
			rc = tr_perfetto_record(p, rec);
			if (rc)
				break;
		}
		int frc = tr_perfetto_finish(p, &st);

		if (!rc)
			rc = frc;
	}
	int werr = to_stdout ? (fflush(f) ? errno : 0) : (fclose(f) ? errno : 0);
	if (!rc && werr)
		rc = -werr;
	tr_reader_health(r, &h);
	tr_reader_close(r);
	if (rrc < 0) {
		fprintf(stderr, "vgt export: %s: reading the log: %s\n", file, strerror(-rrc));
		if (!to_stdout)
			unlink(out);
		return VGT_EXIT_USAGE;
	}
	if (rc) {
		if (rc == -EPIPE || (to_stdout && errno == EPIPE))
			return VGT_EXIT_OK;
		fprintf(stderr, "vgt export: %s: %s\n", to_stdout ? "standard output" : out,
			err[0] ? err : strerror(-rc));
		if (!to_stdout)
			unlink(out);
		return VGT_EXIT_USAGE;
	}
	if (!to_stdout)
		fprintf(stderr, "vgt export: %s: %" PRIu64 " workload slices, %" PRIu64
			" submissions, %" PRIu64 " flows, %" PRIu64 " instants, %" PRIu64
			" counter samples\n", out, st.slices, st.submissions, st.flows, st.instants,
			st.counters);
	if (!h.header_ok || !h.closed || h.truncated || h.chunks_bad || h.events_lost ||
	    h.lost_events) {
		fprintf(stderr, "vgt export: %s: the log is not whole (%s%s%" PRIu64 " bad chunks, %" PRIu64
			" events lost); what could be read was exported ('vgt stat %s' says more)\n",
			file, h.truncated ? "truncated, " : "", h.closed ? "" : "not closed by its writer, ",
			h.chunks_bad,
			h.events_lost + h.lost_events, file);
		return VGT_EXIT_BAD;
	}
	return VGT_EXIT_OK;
}
