/* SPDX-License-Identifier: MIT */
/*
 * vgt probes [BINARY] [--json] [--uprobe-events GROUP]
 *
 * The USDT probes a binary declares (tr_probes_read): provider:name, the
 * site's and the semaphore's file offsets, the argument string; or the
 * tracefs uprobe_events lines for vgt's two probes (tr_probes_uprobe_events),
 * exactly what `vgt record --source tracefs` writes, for an operator who
 * records with trace-cmd.  BINARY defaults to this vgt (/proc/self/exe).
 * Exit: 0 success, 2 usage error or a binary that cannot be read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/common.h"
#include "tracer/tracer.h"

#define usage_error(...) cli_usage_error("probes", __VA_ARGS__)

static void usage(FILE *f)
{
	fputs("usage: vgt probes [BINARY] [--json | --uprobe-events GROUP]\n"
	      "\n"
	      "Lists the USDT probes (.note.stapsdt) of BINARY, by default this vgt: provider:name,\n"
	      "the site's file offset, the semaphore's file offset ('-' when none) and the argument\n"
	      "string, one site per line (a probe inlined in several places has several sites).\n"
	      "\n"
	      "  --json                  the same as a JSON array of objects\n"
	      "  --uprobe-events GROUP   print instead the tracefs uprobe_events lines that create\n"
	      "                          GROUP/event and GROUP/blob (GROUP/event_1, ... for more\n"
	      "                          sites) for vgt's probes in BINARY, semaphores included:\n"
	      "                          the lines 'vgt record --source tracefs' writes.  As root:\n"
	      "                            vgt probes --uprobe-events vgt >> /sys/kernel/tracing/uprobe_events\n"
	      "                          then enable events/vgt in tracefs (docs/PROBES.md)\n"
	      "\n"
	      "exit status: 0 success, 2 usage error, or BINARY cannot be read, is not an ELF\n"
	      "executable, has malformed notes, or (--uprobe-events) lacks vgt's probes\n",
	      f);
}

static const char *self_exe(void)
{
	return "/proc/self/exe";
}

static int list_text(const struct tr_probe *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char sem[32] = "-";
		if (p[i].sem_addr)
			snprintf(sem, sizeof(sem), "0x%" PRIx64, p[i].sem_offset);
		printf("%s:%s site 0x%" PRIx64 " semaphore %s args %s\n", p[i].provider, p[i].name,
		       p[i].offset, sem, p[i].args);
	}
	return 0;
}

static int list_json(const char *binary, const struct tr_probe *p, size_t n)
{
	int err = 0;
	printf("[");
	for (size_t i = 0; i < n; i++) {
		printf("%s\n  {", i ? "," : "");
		err |= vgt_json_key(stdout, "binary");
		err |= vgt_json_str(stdout, binary);
		printf(", ");
		err |= vgt_json_key(stdout, "provider");
		err |= vgt_json_str(stdout, p[i].provider);
		printf(", ");
		err |= vgt_json_key(stdout, "name");
		err |= vgt_json_str(stdout, p[i].name);
		printf(", \"address\": ");
		err |= vgt_json_hex(stdout, p[i].addr);
		printf(", \"offset\": ");
		err |= vgt_json_hex(stdout, p[i].offset);
		printf(", \"semaphore_address\": ");
		if (p[i].sem_addr)
			err |= vgt_json_hex(stdout, p[i].sem_addr);
		else
			printf("null");
		printf(", \"semaphore_offset\": ");
		if (p[i].sem_addr)
			err |= vgt_json_hex(stdout, p[i].sem_offset);
		else
			printf("null");
		printf(", ");
		err |= vgt_json_key(stdout, "args");
		err |= vgt_json_str(stdout, p[i].args);
		printf("}");
	}
	printf("%s]\n", n ? "\n" : "");
	return err;
}

int cmd_probes(int argc, char **argv)
{
	const char *binary = NULL, *group = NULL;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return cli_write_failed("probes", stdout, "the help") ? VGT_EXIT_USAGE
									      : VGT_EXIT_OK;
		}
		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--uprobe-events")) {
			if (i + 1 >= argc)
				return usage_error("--uprobe-events needs a GROUP (a tracefs group "
						   "name, e.g. vgt)");
			group = argv[++i];
		} else if (!strncmp(a, "--uprobe-events=", 16)) {
			group = a + 16;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else if (binary) {
			return usage_error("one BINARY only ('%s' is a second one)", a);
		} else {
			binary = a;
		}
	}
	if (json && group)
		return usage_error("--json and --uprobe-events do not go together");
	const char *shown = binary ? binary : "vgt (/proc/self/exe)";
	const char *path = binary ? binary : self_exe();
	char err[512] = "";
	if (group) {
		char *lines;
		int e = tr_probes_uprobe_events(path, group, &lines, err, sizeof(err));
		if (e) {
			fprintf(stderr, "vgt probes: %s\n", err);
			return VGT_EXIT_USAGE;
		}
		fputs(lines, stdout);
		free(lines);
		return cli_write_failed("probes", stdout, "the lines") ? VGT_EXIT_USAGE : VGT_EXIT_OK;
	}
	struct tr_probe *p;
	size_t n;
	int e = tr_probes_read(path, &p, &n, err, sizeof(err));
	if (e) {
		fprintf(stderr, "vgt probes: %s\n", err);
		return VGT_EXIT_USAGE;
	}
	if (json)
		list_json(shown, p, n);
	else if (!n)
		printf("%s: no USDT probes\n", shown);
	else
		list_text(p, n);
	free(p);
	return cli_write_failed("probes", stdout, "the list") ? VGT_EXIT_USAGE : VGT_EXIT_OK;
}
