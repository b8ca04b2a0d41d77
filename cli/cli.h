/* SPDX-License-Identifier: MIT */
/* The vgt command: one file per subcommand (cli/<name>.c), each with one
 * entry point; argument parsing and dispatch only, the work is in the
 * library.  Exit status everywhere: 0 success, 1 the input was judged bad
 * (a violation, a divergence, an unknown command), 2 usage or I/O error. */
#ifndef VGT_CLI_H
#define VGT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tr_reader;

#define VGT_EXIT_OK 0
#define VGT_EXIT_BAD 1
#define VGT_EXIT_USAGE 2

int cmd_decode(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_probes(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_stat(int argc, char **argv);

/* Shared by the subcommands (cli/util.c).  The checks print one line
 * "vgt CMD: INPUT: what is wrong" on stderr and return a negative errno. */

/* Parses an unsigned integer (decimal, or hex with 0x); 0 or -EINVAL. */
int cli_parse_u64(const char *s, unsigned long long *out);
/* Prints "vgt CMD: MESSAGE; see 'vgt CMD --help'"; returns VGT_EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int cli_usage_error(const char *cmd, const char *fmt, ...);
/* Reads the whole file at path (a regular file or a pipe, at most max
 * bytes) into a malloc'd buffer.  `what` is what the file should be, for
 * the message about a directory ("a file of dwords"). */
int cli_read_file(const char *cmd, const char *path, const char *what, size_t max,
		  void **data, size_t *len);
/* len bytes are a command stream: not empty ("empty, no dwords to VERB")
 * and whole dwords. */
int cli_check_dwords(const char *cmd, const char *path, size_t len, const char *verb);
/* --gma for len bytes of path: dword aligned, and [gma, gma + len) inside
 * an address space of `limit` bytes named `space` (no wrap). */
int cli_check_gma(const char *cmd, const char *path, uint64_t gma, size_t len, uint64_t limit,
		  const char *space);
/* Opens the log at path for reading, saying what is wrong with it in one
 * line when it cannot be read (missing, a directory, empty, not a vgt log,
 * another format version).  0 or the negative errno (exit
 * VGT_EXIT_USAGE). */
int cli_open_log(const char *cmd, const char *path, bool no_blobs, struct tr_reader **out);
/* After writing to f: flushes it and tells whether writing failed (a
 * message on stderr, except for EPIPE: a reader that went away, as
 * `| head` does, is not an error to report). */
bool cli_write_failed(const char *cmd, FILE *f, const char *what);
/* "vgt ARGV..." with shell quoting where needed, for a log's header;
 * malloc'd, NULL when out of memory. */
char *cli_join_cmdline(int argc, char **argv);
/* Largest input file a subcommand reads. */
#define CLI_MAX_FILE ((size_t)256 << 20)

#endif
