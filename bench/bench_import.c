/* SPDX-License-Identifier: MIT */
/*
 * vgt import's throughput: a trace-cmd recording of vgt's probes into a
 * log (tr_import), in events/s, against baselines measured in the same
 * run on the same file:
 *  - libtracecmd alone: every record iterated and its event looked up
 *    (tracecmd_iterate_events + tep_find_event_by_record), nothing else:
 *    the floor any importer pays to read the file;
 *  - reading the imported log back with tr_reader (blobs resolved): what
 *    the log costs a consumer once imported;
 *  - tr_import in this process (in_process) and as `vgt import` runs it
 *    (a child process reads the recording).
 * The recording: BENCH_IMPORT_DAT names one; else bench/import_dat.sh
 * records a deterministic `vgt sim` (4 vGPUs, BENCH_IMPORT_SUBS
 * submissions each, default 40) through tracefs uprobe events, which
 * needs root, tracefs and trace-cmd (without them the bench says so and
 * exits 0).  Best of 3; ratios, no timing asserts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "tracer/tracer.h"

#define REPS 3

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This process's CPU time and its waited-for children's. */
static double cpu_s(void)
{
	struct rusage s, c;
	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return (double)(s.ru_utime.tv_sec + s.ru_stime.tv_sec + c.ru_utime.tv_sec + c.ru_stime.tv_sec) +
	       (double)(s.ru_utime.tv_usec + s.ru_stime.tv_usec + c.ru_utime.tv_usec + c.ru_stime.tv_usec) / 1e6;
}

struct count {
	struct tep_handle *tep;
	unsigned long long records, found;
};

static int on_record(struct tracecmd_input *h, struct tep_record *r, int cpu, void *data)
{
	struct count *c = data;
	c->records++;
	if (r->size >= 8 && tep_find_event_by_record(c->tep, r))
		c->found++;
	return 0;
}

/* libtracecmd alone: seconds, and the records. */
static double iterate_only(const char *dat, unsigned long long *records)
{
	double t0 = now_s();
	struct tracecmd_input *h =
		tracecmd_open(dat, TRACECMD_FL_LOAD_NO_PLUGINS | TRACECMD_FL_LOAD_NO_SYSTEM_PLUGINS);
	if (!h)
		return -1;
	int ninst = tracecmd_buffer_instances(h);
	struct tracecmd_input *hs[17] = { h };
	int nh = 1;
	for (int i = 0; i < ninst && nh < 17; i++) {
		struct tracecmd_input *ih = tracecmd_buffer_instance_handle(h, i);
		if (ih)
			hs[nh++] = ih;
	}
	struct count c = { .tep = tracecmd_get_tep(h) };
	if (nh == 1)
		tracecmd_iterate_events(h, NULL, 0, on_record, &c);
	else
		tracecmd_iterate_events_multi(hs, nh, on_record, &c);
	for (int i = nh - 1; i >= 0; i--)
		tracecmd_close(hs[i]);
	*records = c.records;
	return now_s() - t0;
}

/* Opening alone (headers, formats, kallsyms, printk formats). */
static double open_only(const char *dat)
{
	double t0 = now_s();
	struct tracecmd_input *h =
		tracecmd_open(dat, TRACECMD_FL_LOAD_NO_PLUGINS | TRACECMD_FL_LOAD_NO_SYSTEM_PLUGINS);
	if (!h)
		return -1;
	tracecmd_close(h);
	return now_s() - t0;
}

static double read_log(const char *path, unsigned long long *events)
{
	double t0 = now_s();
	struct tr_reader *r;
	if (tr_reader_open(path, NULL, &r))
		return -1;
	const struct tr_record *rec;
	unsigned long long n = 0;
	while (tr_reader_next(r, &rec) == 1)
		n += rec->kind == TR_REC_EVENT;
	tr_reader_close(r);
	*events = n;
	return now_s() - t0;
}

static double import(const char *dat, const char *out, bool in_process, struct tr_import_stats *st,
		     double *cpu)
{
	char eb[512] = "";
	struct tr_import_opts o = { .sz = sizeof(o), .errbuf = eb, .errbuf_len = sizeof(eb),
				    .in_process = in_process };
	double c0 = cpu_s(), t0 = now_s();
	int err = tr_import(dat, out, &o, st);
	double t = now_s() - t0;
	*cpu = cpu_s() - c0;
	if (err) {
		fprintf(stderr, "bench_import: %s\n", eb);
		return -1;
	}
	return t;
}

/* Every figure on one recording; 0 or 1. */
static int measure(const char *dat, const char *out, const char *vgt, const char *what)
{
	double op = 1e9, it = 1e9, rd = 1e9, in = 1e9, fk = 1e9, in_cpu = 0, fk_cpu = 0;
	unsigned long long records = 0, events = 0;
	struct tr_import_stats st = { .sz = sizeof(st) };
	for (int i = 0; i < REPS; i++) {
		double t = iterate_only(dat, &records), c;
		if (t < 0) {
			fprintf(stderr, "bench_import: %s: libtracecmd cannot open it\n", dat);
			return 1;
		}
		if (t < it)
			it = t;
		if ((t = open_only(dat)) >= 0 && t < op)
			op = t;
		if ((t = import(dat, out, true, &st, &c)) < 0)
			return 1;
		if (t < in)
			in = t, in_cpu = c;
		if ((t = import(dat, out, false, &st, &c)) < 0)
			return 1;
		if (t < fk)
			fk = t, fk_cpu = c;
		if ((t = read_log(out, &events)) < 0)
			return 1;
		if (t < rd)
			rd = t;
	}
	double ev = (double)st.events;
	printf("bench_import: %s (%s): %llu records, %llu events imported (%.1f MB log), best of %d\n",
	       dat, what, records, (unsigned long long)st.events, (double)st.file_bytes / 1e6, REPS);
	printf("  %-46s %9.0f events/s  %6.3fx  (%.0f records/s)\n",
	       "libtracecmd iterate + event lookup (baseline)", ev / it, 1.0, records / it);
	printf("  %-46s %9.3f s (of the baseline's %.3f s)\n", "of which tracecmd_open (headers, formats, kallsyms)",
	       op, it);
	printf("  %-46s %9.0f events/s  %6.3fx  (CPU %.0f%% of wall)\n", "tr_import, in process",
	       ev / in, it / in, 100 * in_cpu / in);
	printf("  %-46s %9.0f events/s  %6.3fx  (CPU %.0f%% of wall)\n",
	       "tr_import, child process (vgt import)", ev / fk, it / fk, 100 * fk_cpu / fk);
	printf("  %-46s %9.0f events/s  %6.3fx  (the import is %.1fx slower)\n",
	       "reading the imported log (tr_reader, blobs)", events / rd, it / rd, (events / rd) / (ev / in));
	if (vgt) {
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "%s import %s -o %s >/dev/null 2>&1", vgt, dat, out);
		double best = 1e9;
		for (int i = 0; i < REPS; i++) {
			double t0 = now_s();
			int rc = system(cmd);
			double t = now_s() - t0;
			if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc)) {
				fprintf(stderr, "bench_import: %s failed\n", cmd);
				return 1;
			}
			if (t < best)
				best = t;
		}
		printf("  %-46s %9.0f events/s  %6.3fx  (%.3f s)\n", "vgt import, a fresh process", ev / best,
		       it / best, best);
	}
	return 0;
}

int main(int argc, char **argv)
{
	char dat[256], out[256];
	const char *given = getenv("BENCH_IMPORT_DAT");
	snprintf(out, sizeof(out), "/tmp/bench_import_%d.vgtl", (int)getpid());
	if (given) {
		snprintf(dat, sizeof(dat), "%s", given);
	} else {
		/* build/bench/bench_import -> build/vgt; the script beside the sources */
		const char *subs = getenv("BENCH_IMPORT_SUBS") ? getenv("BENCH_IMPORT_SUBS") : "40";
		char self[256], cmd[1024];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0) {
			fprintf(stderr, "bench_import: cannot find myself\n");
			return 1;
		}
		self[n] = 0;
		char *slash = strrchr(self, '/');
		*slash = 0; /* build/bench */
		snprintf(dat, sizeof(dat), "/tmp/bench_import_%d.dat", (int)getpid());
		snprintf(cmd, sizeof(cmd),
			 "bash bench/import_dat.sh %s %s/../vgt --deterministic --vgpus 4 --submissions %s "
			 "--shm none",
			 dat, self, subs);
		int rc = system(cmd);
		if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc)) {
			printf("bench_import: skipped: no recording (bench/import_dat.sh needs root, tracefs "
			       "and trace-cmd, exit %d); set BENCH_IMPORT_DAT=FILE.dat to use one\n",
			       WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
			unlink(dat);
			return 0;
		}
	}

	char vgt[300];
	vgt[0] = 0;
	{
		char self[256];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = 0;
			*strrchr(self, '/') = 0;
			snprintf(vgt, sizeof(vgt), "%s/../vgt", self);
			if (access(vgt, X_OK))
				vgt[0] = 0;
		}
	}
	int rc = measure(dat, out, vgt[0] ? vgt : NULL, "as recorded");
	/* trace-cmd writes zstd-compressed files (version 7) by default; the
	 * same recording uncompressed shows what the decompression costs */
	char plain[300], cmd[1024];
	snprintf(plain, sizeof(plain), "%s.plain", out);
	snprintf(cmd, sizeof(cmd), "trace-cmd convert -i %s -o %s --compression none >/dev/null 2>&1", dat,
		 plain);
	int crc = rc ? -1 : system(cmd);
	if (!rc && crc != -1 && WIFEXITED(crc) && !WEXITSTATUS(crc))
		rc = measure(plain, out, vgt[0] ? vgt : NULL, "converted: trace-cmd convert --compression none");
	else if (!rc)
		printf("(no uncompressed copy: trace-cmd convert failed)\n");
	unlink(plain);
	unlink(out);
	if (!given)
		unlink(dat);
	return rc;
}
