/* SPDX-License-Identifier: MIT */
/* The vgt command: one file per subcommand (cli/<name>.c), each with one
 * entry point; argument parsing and dispatch only, the work is in the
 * library.  Exit status everywhere: 0 success, 1 the input was judged bad
 * (a violation, a divergence, an unknown command), 2 usage or I/O error. */
#ifndef VGT_CLI_H
#define VGT_CLI_H

#define VGT_EXIT_OK 0
#define VGT_EXIT_BAD 1
#define VGT_EXIT_USAGE 2

int cmd_decode(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_sim(int argc, char **argv);

/* Parses an unsigned integer (decimal, or hex with 0x); 0 or -EINVAL. */
int cli_parse_u64(const char *s, unsigned long long *out);

#endif
