/* SPDX-License-Identifier: MIT */
/*
 * vgt scan FILE [--gen 8|9] [--engine E] [--gma ADDR] [--ppgtt] [--ring]
 *               [--aperture BASE:SIZE] [--hidden BASE:SIZE] [--mem [AS:]GMA=FILE]...
 *               [--policy gvt|strict|audit] [--all] [--json] [--check]
 *
 * Audits FILE as the mediator would: raw dwords placed at --gma (a batch, or
 * with --ring a ring), or a case file (docs/AUDIT.md) that carries its own
 * generation, engine, partition, memory and entry point.  Options given on
 * the command line override the case file's.  Exit: 0 clean (or, with
 * --check, the case's expectation met), 1 violation (expectation not met),
 * 2 usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "scanner/scanner.h"

#define MAX_MEMS 64
#define DEFAULT_GMA 0x08100000ull /* 1 MiB into the default aperture window */

struct memarg {
	enum scan_as as;
	bool as_given;
	uint64_t gma;
	const char *file;
	void *data;
	size_t len;
};

struct scan_args {
	const char *file;
	enum scan_gen gen;
	bool gen_set;
	enum scan_engine engine;
	bool engine_set;
	uint64_t gma;
	bool gma_set, ppgtt, ring;
	struct scan_window aperture, hidden;
	bool aperture_set, hidden_set;
	enum scan_policy policy;
	bool policy_set;
	bool all, json, check;
	struct memarg mems[MAX_MEMS];
	unsigned nmems;
};

static void usage(FILE *f)
{
	fputs("usage: vgt scan FILE [--gen 8|9] [--engine E] [--gma ADDR] [--ppgtt] [--ring]\n"
	      "                     [--aperture BASE:SIZE] [--hidden BASE:SIZE]\n"
	      "                     [--mem [ggtt:|ppgtt:]GMA=FILE]... [--policy gvt|strict|audit]\n"
	      "                     [--all] [--json] [--check]\n"
	      "\n"
	      "Audits a batch or ring buffer the way the mediator does before the GPU may run it:\n"
	      "decodes it on one engine, follows batch starts (ring > 1st > 2nd level), checks\n"
	      "every command, register and GGTT address against the policy, and copies each buffer\n"
	      "into a shadow.  FILE is raw little-endian dwords, or a case file (docs/AUDIT.md)\n"
	      "bundling generation, engine, partition, memory and entry point.\n"
	      "\n"
	      "  --gen 8|9              generation (default 9)\n"
	      "  --engine E             rcs, bcs, vcs or vecs (default rcs)\n"
	      "  --gma ADDR             where FILE's first dword is (default 0x08100000)\n"
	      "  --ppgtt                FILE is a PPGTT batch (default: GGTT)\n"
	      "  --ring                 FILE is a ring: head 0, tail = its size, GGTT\n"
	      "  --aperture BASE:SIZE   the vGPU's aperture window (default 0x08000000:0x20000000)\n"
	      "  --hidden BASE:SIZE     the vGPU's hidden window (default 0x58000000:0x80000000)\n"
	      "  --mem [AS:]GMA=FILE    more memory (another batch, a jump target); AS defaults to\n"
	      "                         FILE's; memory not supplied is unmapped\n"
	      "  --policy P             strict (default), gvt (GVT-g's decisions) or audit (report,\n"
	      "                         never reject)\n"
	      "  --all                  report every violation, not just the first\n"
	      "  --json                 one JSON object: verdict, violations, commands, shadows,\n"
	      "                         events, patches\n"
	      "  --check                case files: exit 0 when the case's 'expect' line is met\n"
	      "\n"
	      "exit status: 0 clean, 1 violation, 2 usage or I/O error\n", f);
}

/* "vgt scan: WHAT 'ARG'; see 'vgt scan --help'" (cli/util.c). */
static int usage_error(const char *what, const char *arg)
{
	return cli_usage_error("scan", "%s '%s'", what, arg);
}

static const char *value_of(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int parse_window(const char *s, struct scan_window *w)
{
	char buf[64];
	const char *colon = strchr(s, ':');
	unsigned long long base, size;

	if (!colon || (size_t)(colon - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(colon - s));
	buf[colon - s] = 0;
	if (cli_parse_u64(buf, &base) || cli_parse_u64(colon + 1, &size) || !size ||
	    base + size < base || base + size > (1ull << 32))
		return -EINVAL;
	w->base = base;
	w->size = size;
	return 0;
}

static int parse_mem_arg(const char *s, struct memarg *m)
{
	char buf[64];
	const char *eq = strchr(s, '=');
	unsigned long long gma;

	memset(m, 0, sizeof(*m));
	if (!strncmp(s, "ggtt:", 5) || !strncmp(s, "ppgtt:", 6)) {
		m->as = s[0] == 'g' ? SCAN_AS_GGTT : SCAN_AS_PPGTT;
		m->as_given = true;
		s = strchr(s, ':') + 1;
	}
	if (!eq || !eq[1] || (size_t)(eq - s) >= sizeof(buf) || eq < s)
		return -EINVAL;
	memcpy(buf, s, (size_t)(eq - s));
	buf[eq - s] = 0;
	if (cli_parse_u64(buf, &gma))
		return -EINVAL;
	m->gma = gma;
	m->file = eq + 1;
	return 0;
}

static int parse_args(int argc, char **argv, struct scan_args *a)
{
	const char *v;

	memset(a, 0, sizeof(*a));
	a->gen = SCAN_GEN9;
	a->engine = SCAN_RCS;
	a->gma = DEFAULT_GMA;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		unsigned long long n;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage(stdout);
			return 1;
		} else if ((v = value_of(argc, argv, &i, "--gen"))) {
			if (cli_parse_u64(v, &n) || (n != 8 && n != 9))
				return usage_error("--gen must be 8 or 9, not", v);
			a->gen = (enum scan_gen)n;
			a->gen_set = true;
		} else if ((v = value_of(argc, argv, &i, "--engine"))) {
			if (scan_engine_parse(v, &a->engine))
				return usage_error("unknown engine", v);
			a->engine_set = true;
		} else if ((v = value_of(argc, argv, &i, "--gma"))) {
			if (cli_parse_u64(v, &n))
				return usage_error("--gma needs an address, not", v);
			a->gma = n;
			a->gma_set = true;
		} else if ((v = value_of(argc, argv, &i, "--aperture"))) {
			if (parse_window(v, &a->aperture))
				return usage_error("--aperture needs BASE:SIZE inside 4 GiB, not", v);
			a->aperture_set = true;
		} else if ((v = value_of(argc, argv, &i, "--hidden"))) {
			if (parse_window(v, &a->hidden))
				return usage_error("--hidden needs BASE:SIZE inside 4 GiB, not", v);
			a->hidden_set = true;
		} else if ((v = value_of(argc, argv, &i, "--mem"))) {
			if (a->nmems == MAX_MEMS)
				return usage_error("too many --mem options at", v);
			if (parse_mem_arg(v, &a->mems[a->nmems]))
				return usage_error("--mem needs [ggtt:|ppgtt:]GMA=FILE, not", v);
			a->nmems++;
		} else if ((v = value_of(argc, argv, &i, "--policy"))) {
			if (scan_policy_parse(v, &a->policy))
				return usage_error("unknown policy", v);
			a->policy_set = true;
		} else if (!strcmp(arg, "--ppgtt")) {
			a->ppgtt = true;
		} else if (!strcmp(arg, "--ring")) {
			a->ring = true;
		} else if (!strcmp(arg, "--all")) {
			a->all = true;
		} else if (!strcmp(arg, "--json")) {
			a->json = true;
		} else if (!strcmp(arg, "--check")) {
			a->check = true;
		} else if (arg[0] == '-' && arg[1]) {
			return usage_error("unknown option (or missing value)", arg);
		} else if (a->file) {
			return usage_error("more than one FILE:", arg);
		} else {
			a->file = arg;
		}
	}
	if (!a->file)
		return cli_usage_error("scan", "missing FILE to scan");
	if (a->ring && a->ppgtt)
		return usage_error("a ring is always in the GGTT: drop --ppgtt with", "--ring");
	return 0;
}

static void print_text(const char *file, const struct scan_result *r, enum scan_policy pol,
		       enum scan_gen gen, enum scan_engine eng)
{
	for (unsigned i = 0; i < r->nviolations; i++) {
		const struct scan_violation *v = &r->violations[i];

		printf("%s: %s %s: %s+%u (gma 0x%llx) %s, value 0x%llx: %s\n", file,
		       pol == SCAN_POLICY_AUDIT ? "would reject" : "violation",
		       scan_reason_name((enum scan_reason)v->reason),
		       scan_buf_kind_name((enum scan_buf_kind)v->buffer), v->offset,
		       (unsigned long long)v->gma, v->command, (unsigned long long)v->value,
		       v->message);
	}
	if (r->violations_truncated)
		printf("%s: more violations not shown\n", file);
	printf("%s: %s (%s, gen%d %s): %llu command%s in %u buffer%s, %u event%s, %u patch%s\n",
	       file, r->pass ? "pass" : "REJECTED", scan_policy_name(pol), gen,
	       scan_engine_name(eng), (unsigned long long)r->commands,
	       r->commands == 1 ? "" : "s", r->nshadows,
	       r->nshadows == 1 ? "" : "s", r->nevents, r->nevents == 1 ? "" : "s", r->npatches,
	       r->npatches == 1 ? "" : "es");
}

/* Everything one run scans: the configuration, the entry point and the
 * memory, from a case file or from a raw file and the options. */
struct job {
	struct scan_config cfg;
	enum scan_engine eng;
	bool is_case;
	struct scan_case kase;     /* is_case */
	bool is_ring;
	struct scan_ring ring;
	uint64_t entry;
	enum scan_as entry_as;
	struct scan_memseg segs[MAX_MEMS + 256 + 1];
	unsigned nsegs;
};

/* FILE is a case file: its scan, with the command line's overrides. */
static int job_from_case(const struct scan_args *a, const void *data, size_t len,
			 struct job *j)
{
	char err[256];

	j->is_case = true;
	if (scan_case_parse(data, len, &j->kase, err, sizeof(err))) {
		j->is_case = false; /* nothing to free */
		fprintf(stderr, "vgt scan: %s: %s\n", a->file, err);
		return -EINVAL;
	}
	if (a->ring || a->ppgtt || a->gma_set) {
		fprintf(stderr, "vgt scan: %s: a case file carries its own entry point; "
			"drop --ring/--ppgtt/--gma\n", a->file);
		return -EINVAL;
	}
	scan_case_config(&j->kase, &j->cfg);
	if (a->gen_set)
		j->cfg.gen = a->gen;
	if (a->policy_set)
		j->cfg.policy = a->policy;
	j->eng = a->engine_set ? a->engine : j->kase.engine;
	j->is_ring = j->kase.is_ring;
	j->ring = j->kase.ring;
	j->entry = j->kase.batch_gma;
	j->entry_as = j->kase.batch_as;
	for (unsigned i = 0; i < j->kase.nsegs; i++)
		j->segs[j->nsegs++] = j->kase.segs[i];
	return 0;
}

/* FILE is raw dwords at --gma: a batch, or with --ring a ring. */
static int job_from_raw(const struct scan_args *a, const void *data, size_t len, struct job *j)
{
	j->cfg.gen = a->gen;
	j->cfg.policy = a->policy;
	scan_partition_default(&j->cfg.part);
	j->eng = a->engine;
	j->is_ring = a->ring;
	j->entry = a->gma;
	j->entry_as = a->ppgtt ? SCAN_AS_PPGTT : SCAN_AS_GGTT;
	if (cli_check_dwords("scan", a->file, len, "scan") ||
	    cli_check_gma("scan", a->file, a->gma, len,
			  j->entry_as == SCAN_AS_PPGTT ? SCAN_GMA_MASK + 1 : 1ull << 32,
			  j->entry_as == SCAN_AS_PPGTT ? "48-bit PPGTT" : "4 GiB GGTT"))
		return -EINVAL;
	if (j->is_ring) {
		uint64_t size = (len + 4096) & ~4095ull; /* room for tail != head */

		if (size > (2u << 20)) {
			fprintf(stderr, "vgt scan: %s: a ring holds at most 2 MiB - 4 bytes\n",
				a->file);
			return -EINVAL;
		}
		j->ring = (struct scan_ring){ a->gma, (uint32_t)size, 0, (uint32_t)len };
	}
	j->segs[j->nsegs++] = (struct scan_memseg){ j->entry_as, a->gma, data, len };
	return 0;
}

/* The options that apply to both kinds of input. */
static void job_options(const struct scan_args *a, struct job *j)
{
	j->cfg.sz = sizeof(j->cfg);
	if (a->aperture_set) {
		j->cfg.part.aperture = a->aperture;
		/* status pages follow the aperture (first pages of the window) */
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++)
			j->cfg.part.hwsp[e] = a->aperture.base + 0x1000ull * e;
	}
	if (a->hidden_set)
		j->cfg.part.hidden = a->hidden;
	j->cfg.all_violations = a->all;
	for (unsigned i = 0; i < a->nmems; i++) {
		const struct memarg *m = &a->mems[i];

		j->segs[j->nsegs++] = (struct scan_memseg){ m->as_given ? m->as : j->entry_as,
							    m->gma, m->data, m->len };
	}
}

/* Scans, prints, and (--check) compares with the case's expect line;
 * returns the exit status. */
static int run_job(const struct scan_args *a, struct job *j)
{
	struct scan_segmem *m = NULL;
	struct scan_ctx *s = NULL;
	struct scan_mem view;
	const struct scan_result *r = NULL;
	int exit_code = VGT_EXIT_USAGE;
	int rc = scan_segmem_new(j->segs, j->nsegs, &m);

	if (rc) {
		fprintf(stderr, "vgt scan: %s: memory segments overlap or run past the end of "
			"the address space\n", a->file);
		return VGT_EXIT_USAGE;
	}
	scan_segmem_view(m, &view);
	rc = scan_new(&j->cfg, &s);
	if (!rc)
		rc = j->is_ring ? scan_ring(s, j->eng, &view, &j->ring, &r)
				: scan_batch(s, j->eng, &view, j->entry, j->entry_as, &r);
	if (rc) {
		fprintf(stderr, "vgt scan: %s: scan failed: %s\n", a->file, strerror(-rc));
		goto out;
	}
	if (a->json)
		scan_result_json(r, j->cfg.policy, stdout);
	else
		print_text(a->file, r, j->cfg.policy, j->cfg.gen, j->eng);
	exit_code = r->pass ? VGT_EXIT_OK : VGT_EXIT_BAD;
	if (a->check) {
		char why[128];
		int met = j->is_case ? scan_case_check(&j->kase, r, why, sizeof(why)) : -ENOENT;

		if (met < 0) {
			fprintf(stderr, "vgt scan: %s: --check needs a case file with an 'expect' "
				"line\n", a->file);
			exit_code = VGT_EXIT_USAGE;
		} else {
			if (!met)
				fprintf(stderr, "vgt scan: %s: %s\n", a->file, why);
			exit_code = met ? VGT_EXIT_OK : VGT_EXIT_BAD;
		}
	}
	fflush(stdout);
	if (ferror(stdout))
		exit_code = VGT_EXIT_USAGE;
out:
	scan_free(s);
	scan_segmem_free(m);
	return exit_code;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a;
	static struct job j;
	void *data = NULL;
	size_t len = 0;
	int rc = parse_args(argc, argv, &a);
	int exit_code = VGT_EXIT_USAGE;

	if (rc)
		return rc == 1 ? VGT_EXIT_OK : VGT_EXIT_USAGE; /* 1: --help */
	memset(&j, 0, sizeof(j));
	if (cli_read_file("scan", a.file, "a file of dwords or a case file", CLI_MAX_FILE, &data,
			  &len))
		return VGT_EXIT_USAGE;
	for (unsigned i = 0; i < a.nmems; i++) {
		struct memarg *m = &a.mems[i];

		if (cli_read_file("scan", m->file, "a file of memory contents", CLI_MAX_FILE,
				  &m->data, &m->len))
			goto out;
		if (!m->len) {
			fprintf(stderr, "vgt scan: %s: empty, no memory to map at 0x%llx\n", m->file,
				(unsigned long long)m->gma);
			goto out;
		}
	}
	rc = scan_case_detect(data, len) ? job_from_case(&a, data, len, &j)
					 : job_from_raw(&a, data, len, &j);
	if (!rc) {
		job_options(&a, &j);
		exit_code = run_job(&a, &j);
	}
out:
	if (j.is_case)
		scan_case_free(&j.kase);
	for (unsigned i = 0; i < a.nmems; i++)
		free(a.mems[i].data);
	free(data);
	return exit_code;
}
