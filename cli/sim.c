/* SPDX-License-Identifier: MIT */
/*
 * vgt sim [--vgpus N] [--type T] [--profile P[,P...]] [--duration SECONDS |
 *         --submissions N] [--seed S] [--record FILE] [--policy P] [--gen 8|9]
 *         [--shm NAME] [--deterministic] [--json]
 *
 * Runs N simulated guests on one mediator (docs/SIM.md) and prints the
 * per-vGPU table.  Ctrl-C (or SIGTERM) stops the guests after their
 * current workload and still prints the table; a second one only says so
 * (GNU timeout delivers two), a third ends the process at once.  Exit: 0
 * every self-check passed and every attack was rejected with its expected
 * reason, 1 otherwise, 2 usage or setup error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sim/sim.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t signals_seen;

/* The guest threads poll the flag with atomic loads; the handler stores it
 * atomically too (a lock-free store is async-signal-safe), so the flag is
 * race-free across threads, not only against the interrupted one.  The
 * second signal must not cost the table or leave the segment behind: it
 * only says the run is already stopping.  A third restores the default
 * action and re-raises (the segment is then reclaimed by the next run of
 * the same name, its owner being dead). */
static void on_signal(int sig)
{
	int saved = errno;
	int n = __atomic_add_fetch(&signals_seen, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
	if (n == 2) {
		static const char msg[] = "vgt sim: already stopping: finishing the workloads in "
					  "flight, then the table (a third signal ends it at once)\n";
		ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)w;
	} else if (n >= 3) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	errno = saved;
}

static void usage(FILE *f)
{
	fputs("usage: vgt sim [--vgpus N] [--type T] [--profile P[,P...]]\n"
	      "               [--duration SECONDS | --submissions N] [--seed S] [--policy P]\n"
	      "               [--gen 8|9] [--shm NAME] [--deterministic] [--record FILE] [--json]\n"
	      "\n"
	      "Simulates N virtual GPUs on one mediator, each driven by a guest-driver model on its\n"
	      "own thread through trapped MMIO, PCI config, GGTT and page-table writes only; the\n"
	      "GPU model executes what the mediator audited and shadowed.  Prints per vGPU:\n"
	      "submissions, commands scanned, rejected workloads, busy % of its busiest engine\n"
	      "(engine time over virtual time), GGTT and page-table writes, MMIO traps, scan\n"
	      "time p50/p99 and the guest's self-check.\n"
	      "\n"
	      "  --vgpus N          vGPUs, 1..8 (default 4); how many fit depends on --type\n"
	      "                     (below)\n"
	      "  --type T           vGPU type 8, 4, 2 or 1 (default 8: 64 MiB aperture, 384 MiB hidden)\n"
	      "  --profile LIST     comma-separated, assigned round-robin (default 3d,blit,media,hostile):\n"
	      "                     3d, compute, blit, media, desktop, hostile, capture:DIR\n"
	      "  --submissions N    workloads per vGPU (default 200)\n"
	      "  --duration S       run for S seconds of wall time instead\n"
	      "  --seed S           workload seed (default 1): same seed, same workloads\n"
	      "  --policy P         strict (default), gvt or audit\n"
	      "  --gen 8|9          Broadwell or Skylake (default 9)\n"
	      "  --shm NAME         counters segment for 'vgt top' (default /vgt-sim-<pid>;\n"
	      "                     'none' for no segment); a stale one of a dead run is reclaimed\n"
	      "  --deterministic    drive every guest from one thread, round-robin, against a\n"
	      "                     manually dispatched mediator: the same seed gives the same\n"
	      "                     event stream (virtual time: engine cycles + 1 us per trap)\n"
	      "  --record FILE      record a trace (needs the tracer: not built yet)\n"
	      "  --json             the table as one JSON object\n"
	      "\n"
	      "exit status: 0 all self-checks passed and every attack was rejected as expected,\n"
	      "1 otherwise, 2 usage or setup error\n",
	      f);
	/* what the mediator's layout holds, asked of the mediator */
	fputs("\nvGPUs one Gen9 host fits:", f);
	static const enum med_vgpu_type types[] = { MED_VGPU_TYPE_8, MED_VGPU_TYPE_4,
						    MED_VGPU_TYPE_2, MED_VGPU_TYPE_1 };
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		unsigned n = 0;
		if (!sim_vgpu_capacity(9, types[i], &n))
			fprintf(f, "%s %u of type %s", i ? "," : "", n, med_vgpu_type_name(types[i]));
	}
	fputs("\n", f);
}

/* Options that take a value, and those that do not. */
static const char *const with_value[] = { "--vgpus", "--type", "--profile", "--submissions",
					  "--duration", "--seed", "--policy", "--gen", "--shm",
					  "--record" };

static bool takes_value(const char *a)
{
	for (unsigned i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (!strcmp(a, with_value[i]))
			return true;
	return false;
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "vgt sim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return VGT_EXIT_USAGE;
}

int cmd_sim(int argc, char **argv)
{
	struct sim_opts o = { .sz = sizeof(o) };
	char err[512] = "";
	bool json = false, have_dur = false, have_sub = false;
	const char *record = NULL;
	unsigned long long u;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return VGT_EXIT_OK;
		} else if (!strcmp(a, "--json")) {
			json = true;
			continue;
		} else if (!strcmp(a, "--deterministic")) {
			o.deterministic = true;
			continue;
		}
		if (a[0] != '-')
			return bad("unexpected argument '%s' (see 'vgt sim --help')", a);
		if (!takes_value(a))
			return bad("unknown option '%s' (see 'vgt sim --help')", a);
		if (!v)
			return bad("%s needs a value", a);
		i++;
		if (!strcmp(a, "--vgpus")) {
			if (cli_parse_u64(v, &u) || u < 1 || u > MED_MAX_VGPUS)
				return bad("--vgpus '%s': must be 1..8", v);
			o.vgpus = (unsigned)u;
		} else if (!strcmp(a, "--type")) {
			if (med_vgpu_type_parse(v, &o.type))
				return bad("--type '%s': must be 8, 4, 2 or 1", v);
		} else if (!strcmp(a, "--profile")) {
			o.profiles = v;
		} else if (!strcmp(a, "--submissions")) {
			if (cli_parse_u64(v, &u) || u < 1)
				return bad("--submissions '%s': must be a positive count", v);
			o.submissions = u;
			have_sub = true;
		} else if (!strcmp(a, "--duration")) {
			char *end;
			errno = 0;
			double d = strtod(v, &end);
			if (errno || *end || end == v || !(d > 0) || d > 1e7)
				return bad("--duration '%s': must be a positive number of seconds", v);
			o.duration = d;
			have_dur = true;
		} else if (!strcmp(a, "--seed")) {
			if (cli_parse_u64(v, &u))
				return bad("--seed '%s': must be an unsigned integer", v);
			o.seed = u;
		} else if (!strcmp(a, "--policy")) {
			if (scan_policy_parse(v, &o.policy))
				return bad("--policy '%s': must be strict, gvt or audit", v);
		} else if (!strcmp(a, "--gen")) {
			if (cli_parse_u64(v, &u) || (u != 8 && u != 9))
				return bad("--gen '%s': must be 8 or 9", v);
			o.gen = (unsigned)u;
		} else if (!strcmp(a, "--shm")) {
			o.shm_name = strcmp(v, "none") ? v : "";
		} else if (!strcmp(a, "--record")) {
			record = v;
		} else {
			return bad("unknown option '%s' (see 'vgt sim --help')", a);
		}
	}
	if (have_dur && have_sub)
		return bad("%s", "--duration and --submissions exclude each other");
	if (record) {
		fprintf(stderr,
			"vgt sim: --record %s: recording needs the tracer (tracer/), which is not built "
			"yet; run without --record\n",
			record);
		return VGT_EXIT_USAGE;
	}
	if (!o.seed)
		o.seed = 1;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	o.stop = &stop_flag;
	o.errbuf = err;
	o.errbuf_len = sizeof(err);

	struct sim_result *r = NULL;
	/* the handler stays until the end: a late second signal must not cut
	 * the table short */
	int rc = sim_run(&o, &r);
	if (rc) {
		/* the library's messages name their part ("sim: ...") */
		const char *m = err[0] ? err : strerror(-rc);
		if (!strncmp(m, "sim: ", 5))
			m += 5;
		fprintf(stderr, "vgt sim: %s\n", m);
		return VGT_EXIT_USAGE;
	}
	int w = json ? sim_report_json(r, stdout) : sim_report(r, stdout);
	fflush(stdout);
	bool ok = r->ok;
	sim_result_free(r);
	if (w) {
		fprintf(stderr, "vgt sim: writing the report failed\n");
		return VGT_EXIT_USAGE;
	}
	return ok ? VGT_EXIT_OK : VGT_EXIT_BAD;
}
