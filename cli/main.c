/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "decode", cmd_decode, "decode a raw Gen8/Gen9 command stream" },
	{ "scan",   cmd_scan,   "audit a ring or batch buffer as the mediator would" },
	{ "sim",    cmd_sim,    "simulate guests driving vGPUs through the mediator" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vgt <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'vgt <command> --help' describes a command.\n"
		   "exit status: 0 success, 1 input judged bad, 2 usage or I/O error\n");
}

int cli_parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return VGT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return VGT_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vgt: '%s' is not a vgt command; see 'vgt --help'\n", argv[1]);
	return VGT_EXIT_USAGE;
}
