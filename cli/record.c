/* SPDX-License-Identifier: MIT */
/*
 * vgt record --source bpf|tracefs -o FILE (--pid PID | --kernel | -- COMMAND [ARGS...])
 *
 * Records a mediator from outside its process, through its USDT probes
 * (docs/PROBES.md), into a log that stat, dump, export and replay read
 * like an in-process one (tr_capture).  Ctrl-C or SIGTERM stops it: a
 * started command gets SIGINT and is waited for; an attached process is
 * left running.  Either way the log is closed and every probe detached.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "common/common.h"
#include "tracer/tracer.h"
#include "vgt_version.h"

#define bad(...) cli_usage_error("record", __VA_ARGS__)

static void usage(FILE *f)
{
	fputs("usage: vgt record --source bpf|tracefs -o FILE [--buffer SIZE] [--binary PATH]\n"
	      "                  [--sync] [--json] (--pid PID | --kernel | -- COMMAND [ARGS...])\n"
	      "\n"
	      "Records every event of a running mediator from outside its process, through the\n"
	      "USDT probes vgt:event and vgt:blob (docs/PROBES.md), into the log FILE (.vgtl), which\n"
	      "'vgt stat', 'dump', 'export' and 'replay' read like one written by 'vgt sim --record'.\n"
	      "The process is unmodified: attaching raises the probes' semaphores, and the mediator\n"
	      "then emits every event type but the digests.  Needs root (or CAP_BPF, CAP_PERFMON and\n"
	      "CAP_SYS_ADMIN).\n"
	      "\n"
	      "  --source S     bpf: an eBPF program on the probes, events through one BPF ring\n"
	      "                 buffer (libbpf); tracefs: uprobe events created through tracefs,\n"
	      "                 read from the per-CPU trace buffers (libtracefs, libtraceevent)\n"
	      "  -o FILE        the log to write (replaced if it exists)\n"
	      "  --pid PID      attach to this running process (it keeps running when the\n"
	      "                 recording stops; events before the attach are not in the log)\n"
	      "  -- COMMAND     start COMMAND, attached before it runs, and record until it exits\n"
	      "  --kernel       (bpf) a GVT-g host's gvt:* and i915:* tracepoints instead of the\n"
	      "                 probes, until Ctrl-C (docs/PROBES.md says what they map to)\n"
	      "  --buffer SIZE  the BPF ring buffer, or each CPU's tracefs buffer (tracefs has\n"
	      "                 two, one for the events and one for the blob pieces): MiB, or with\n"
	      "                 a K, M or G suffix, 4K..4G (default: bpf 64M, tracefs 16M; the\n"
	      "                 kernel rounds up to its page multiple); too small a buffer loses\n"
	      "                 events, and the log and the report say exactly how many\n"
	      "  --binary PATH  the executable holding the probes (default: the process's own)\n"
	      "  --sync         fsync the log after every chunk and at the end\n"
	      "  --json         the report as one JSON object\n"
	      "\n"
	      "Ctrl-C or SIGTERM stops the recording: a started command gets SIGINT and is waited\n"
	      "for. The log is closed and every probe, BPF link and uprobe event removed on every\n"
	      "exit.\n"
	      "\n"
	      "exit status: 0 recorded, nothing lost; 1 recorded, but events were lost (the buffer\n"
	      "overran: the report and 'vgt stat' say how many); 2 usage error, or the capture\n"
	      "could not start (no privileges, no probes, no such process: the message says what\n"
	      "is missing)\n",
	      f);
}

/* "64" (MiB), "64K", "16M", "1G": 4 KiB .. 4 GiB. */
static int parse_size(const char *v, unsigned long long *out)
{
	char num[32];
	size_t n = strlen(v);
	if (!n || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, v, n + 1);
	unsigned shift = 20;
	char u = num[n - 1];
	if (u == 'K' || u == 'k' || u == 'M' || u == 'm' || u == 'G' || u == 'g') {
		shift = u == 'K' || u == 'k' ? 10 : u == 'M' || u == 'm' ? 20 : 30;
		num[--n] = 0;
	}
	unsigned long long x;
	if (!n || cli_parse_u64(num, &x) || x > (4ull << 30) >> shift)
		return -EINVAL;
	x <<= shift;
	if (x < 4096 || x > (4ull << 30))
		return -EINVAL;
	*out = x;
	return 0;
}

static volatile int stop_flag;
static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	int n = __atomic_add_fetch(&signals_seen, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
	if (n >= 3)
		signal(sig, SIG_DFL); /* a third one ends it at once */
}

static uint64_t lost_total(const struct tr_capture_stats *st)
{
	uint64_t gaps = st->rec.gaps;
	return st->lost_events > gaps ? st->lost_events : gaps;
}

static void report_text(FILE *f, const char *path, const struct tr_capture_stats *st)
{
	fprintf(f, "vgt record: %s: %llu events, %llu blob pieces, %llu bytes written", path,
		(unsigned long long)st->rec.w.events, (unsigned long long)st->pieces,
		(unsigned long long)st->rec.w.file_bytes);
	uint64_t lost = lost_total(st);
	if (lost || st->incomplete || st->lost_pieces)
		fprintf(f, "; LOST %llu events (buffer overruns: the log's loss records say where), "
			   "%llu blob pieces (%llu events written without some blob)",
			(unsigned long long)lost, (unsigned long long)st->lost_pieces,
			(unsigned long long)st->incomplete);
	else
		fprintf(f, "; nothing lost");
	if (st->orphans)
		fprintf(f, "; %llu events' blob pieces came without their event",
			(unsigned long long)st->orphans);
	if (st->late)
		fprintf(f, "; %llu events came after their place was declared lost (not written)",
			(unsigned long long)st->late);
	if (st->bad)
		fprintf(f, "; %llu malformed records skipped", (unsigned long long)st->bad);
	fputc('\n', f);
	if (st->status >= 0) {
		if (WIFEXITED(st->status))
			fprintf(f, "vgt record: the command exited with status %d\n", WEXITSTATUS(st->status));
		else if (WIFSIGNALED(st->status))
			fprintf(f, "vgt record: the command was killed by signal %d (%s)\n",
				WTERMSIG(st->status), strsignal(WTERMSIG(st->status)));
	}
}

static void report_json(FILE *f, const char *path, const char *source,
			const struct tr_capture_stats *st)
{
	fputs("{\"log\":", f);
	vgt_json_str(f, path);
	fputs(",\"source\":", f);
	vgt_json_str(f, source);
	fprintf(f, ",\"events\":%llu,\"pieces\":%llu,\"bytes\":%llu,\"lost_events\":%llu,"
		   "\"seq_gaps\":%llu,\"source_overruns\":%llu,\"lost_pieces\":%llu,"
		   "\"incomplete_events\":%llu,\"malformed\":%llu,\"orphans\":%llu,\"late\":%llu",
		(unsigned long long)st->rec.w.events, (unsigned long long)st->pieces,
		(unsigned long long)st->rec.w.file_bytes, (unsigned long long)lost_total(st),
		(unsigned long long)st->rec.gaps, (unsigned long long)st->lost_events,
		(unsigned long long)st->lost_pieces, (unsigned long long)st->incomplete,
		(unsigned long long)st->bad, (unsigned long long)st->orphans,
		(unsigned long long)st->late);
	if (st->status >= 0 && WIFEXITED(st->status))
		fprintf(f, ",\"exit_status\":%d", WEXITSTATUS(st->status));
	else if (st->status >= 0 && WIFSIGNALED(st->status))
		fprintf(f, ",\"signal\":%d", WTERMSIG(st->status));
	fputs("}\n", f);
}

int cmd_record(int argc, char **argv)
{
	const char *out = NULL, *source = NULL, *binary = NULL;
	unsigned long long pid = 0, bytes = 0;
	bool json = false, sync = false, kernel = false;
	char **cmd = NULL;
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return VGT_EXIT_OK;
		}
		if (!strcmp(a, "--")) {
			cmd = argv + i + 1;
			break;
		}
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		if (!strcmp(a, "--sync")) {
			sync = true;
			continue;
		}
		if (!strcmp(a, "--kernel")) {
			kernel = true;
			continue;
		}
		if (a[0] != '-')
			return bad("unexpected '%s': a command to start goes after '--'", a);
		if (i + 1 >= argc)
			return bad("%s needs a value", a);
		const char *v = argv[++i];
		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			out = v;
		} else if (!strcmp(a, "--source")) {
			source = v;
		} else if (!strcmp(a, "--binary")) {
			binary = v;
		} else if (!strcmp(a, "--pid")) {
			if (cli_parse_u64(v, &pid) || pid < 1 || pid > 0x3fffffff)
				return bad("--pid '%s': must be a process id", v);
		} else if (!strcmp(a, "--buffer")) {
			if (parse_size(v, &bytes))
				return bad("--buffer '%s': must be a size from 4K to 4G (a number of MiB, or "
					   "with K, M or G)", v);
		} else {
			return bad("unknown option '%s'", a);
		}
	}
	enum tr_capture_source src;
	if (!source)
		return bad("%s", "--source bpf or --source tracefs is required");
	if (tr_capture_source_parse(source, &src))
		return bad("--source '%s': must be bpf or tracefs", source);
	if (!out)
		return bad("%s", "-o FILE is required");
	if (cmd && !cmd[0])
		return bad("%s", "'--' must be followed by a command");
	if (kernel && src != TR_CAPTURE_BPF)
		return bad("%s", "--kernel needs --source bpf");
	int targets = (pid > 0) + (cmd != NULL) + kernel;
	if (targets != 1)
		return bad("%s", targets ? "--pid, --kernel and '-- COMMAND' exclude each other"
					 : "say what to record: --pid PID, --kernel or -- COMMAND");

	char *cmdline = cli_join_cmdline(argc, argv);
	char err[512] = "";
	struct tr_capture_opts o = { .sz = sizeof(o), .source = src, .pid = (pid_t)pid, .argv = cmd,
				     .binary = binary, .kernel = kernel, .buffer_bytes = (size_t)bytes,
				     .stop = &stop_flag, .errbuf = err, .errbuf_len = sizeof(err) };
	o.writer.sz = sizeof(o.writer);
	o.writer.tool_version = "vgt " VGT_VERSION;
	o.writer.cmdline = cmdline;
	/* the probes carry the mediator's virtual clock; the kernel's
	 * tracepoints, bpf_ktime_get_ns */
	o.writer.clock = kernel ? "monotonic" : "virtual";
	o.writer.sync = sync;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	struct tr_capture_stats st = { .sz = sizeof(st) };
	int rc = tr_capture(out, &o, &st);
	free(cmdline);
	if (rc) {
		fprintf(stderr, "vgt record: %s\n", err[0] ? err : strerror(-rc));
		return VGT_EXIT_USAGE;
	}
	if (json)
		report_json(stdout, out, source, &st);
	else
		report_text(stdout, out, &st);
	if (cli_write_failed("record", stdout, "the report"))
		return VGT_EXIT_USAGE;
	return lost_total(&st) || st.incomplete || st.lost_pieces ? VGT_EXIT_BAD : VGT_EXIT_OK;
}
