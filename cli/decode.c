/* SPDX-License-Identifier: MIT */
/*
 * vgt decode FILE [--gen 8|9] [--engine rcs|bcs|vcs|vecs] [--gma ADDR]
 *                 [--fields] [--json]
 * vgt decode --list-aliases
 *
 * Reads raw little-endian dwords and prints one line per command (or one
 * JSON object per command with --json).  The walk covers the whole file:
 * after an unknown command it continues with the display guess of its
 * length, after a truncated one it stops.  Exit: 0 every command decoded,
 * 1 some command was unknown, truncated or of a length it cannot have
 * (bad-length: the auditor's rule, from the row), 2 usage or I/O error.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/common.h"
#include "scanner/scanner.h"

#define MAX_OPS 256 /* a 255-dword LRI has 127 pairs */

struct decode_opts {
	const char *file;
	enum scan_gen gen;
	enum scan_engine engine;
	uint64_t gma;
	bool fields, json, list_aliases;
};

static void usage(FILE *f)
{
	fputs("usage: vgt decode FILE [--gen 8|9] [--engine rcs|bcs|vcs|vecs] [--gma ADDR]\n"
	      "                       [--fields] [--json]\n"
	      "       vgt decode --list-aliases\n"
	      "\n"
	      "Decodes FILE, raw little-endian dwords of a Gen8/Gen9 command stream, one line per\n"
	      "command: graphics address, header, name, length in dwords and the operands that matter\n"
	      "(graphics addresses with their address space, registers read and written, post-sync\n"
	      "operations, batch-buffer starts).\n"
	      "\n"
	      "  --gen 8|9        generation of the tables (default 9)\n"
	      "  --engine E       rcs, bcs, vcs or vecs: the engine the stream runs on (default rcs)\n"
	      "  --gma ADDR       graphics address of the first dword (default 0)\n"
	      "  --fields         print every named field of each command below its line\n"
	      "  --json           JSON Lines: one object per command (offset, gma, header, name,\n"
	      "                   dwords, engine, status, fields, operands)\n"
	      "  --list-aliases   print the documented command-name aliases, \"ALIAS NAME\" per line\n"
	      "\n"
	      "exit status: 0 every command decoded, 1 a command was unknown, truncated or of a\n"
	      "length it cannot have (bad-length), "
	      "2 usage or I/O error\n", f);
}

#define usage_error(...) cli_usage_error("decode", __VA_ARGS__)

/* Accepts "--opt VALUE" and "--opt=VALUE"; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, bool *matched)
{
	size_t n = strlen(opt);

	*matched = false;
	if (strncmp(argv[*i], opt, n))
		return NULL;
	if (argv[*i][n] == '=') {
		*matched = true;
		return argv[*i] + n + 1;
	}
	if (argv[*i][n])
		return NULL;
	*matched = true;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int parse_args(int argc, char **argv, struct decode_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->gen = SCAN_GEN9;
	o->engine = SCAN_RCS;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool m;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--fields")) {
			o->fields = true;
			continue;
		}
		if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		}
		if (!strcmp(a, "--list-aliases")) {
			o->list_aliases = true;
			continue;
		}
		v = opt_value(argc, argv, &i, "--gen", &m);
		if (m) {
			if (!v)
				return usage_error("%s needs a value: 8 or 9", "--gen");
			if (!strcmp(v, "8"))
				o->gen = SCAN_GEN8;
			else if (!strcmp(v, "9"))
				o->gen = SCAN_GEN9;
			else
				return usage_error("--gen '%s': expected 8 or 9", v);
			continue;
		}
		v = opt_value(argc, argv, &i, "--engine", &m);
		if (m) {
			if (!v)
				return usage_error("%s needs a value: rcs, bcs, vcs or vecs", "--engine");
			if (scan_engine_parse(v, &o->engine))
				return usage_error("--engine '%s': expected rcs, bcs, vcs or vecs", v);
			continue;
		}
		v = opt_value(argc, argv, &i, "--gma", &m);
		if (m) {
			unsigned long long x;

			if (!v)
				return usage_error("%s needs a value: a graphics address", "--gma");
			if (cli_parse_u64(v, &x))
				return usage_error("--gma '%s': expected an address (decimal or 0x hex)", v);
			o->gma = x;
			continue;
		}
		if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s'", a);
		if (o->file)
			return usage_error("one FILE only ('%s' is a second one)", a);
		o->file = a;
	}
	if (!o->file && !o->list_aliases)
		return usage_error("%s", "missing FILE to decode");
	return 0;
}

/* Reads the whole file as little-endian dwords placed at o->gma; 0 or
 * VGT_EXIT_USAGE with the message printed (cli/util.c, shared with scan). */
static int read_dwords(const struct decode_opts *o, uint32_t **out, size_t *ndw)
{
	void *bytes;
	size_t got;
	uint32_t *dw;

	if (cli_read_file("decode", o->file, "a file of dwords", CLI_MAX_FILE, &bytes, &got))
		return VGT_EXIT_USAGE;
	if (cli_check_dwords("decode", o->file, got, "decode") ||
	    cli_check_gma("decode", o->file, o->gma, got, SCAN_GMA_MASK + 1,
			  "48-bit graphics address space")) {
		free(bytes);
		return VGT_EXIT_USAGE;
	}
	/* Reuse the byte buffer: convert in place to host order. */
	dw = bytes;
	*ndw = got / 4;
	for (size_t i = 0; i < *ndw; i++) {
		uint32_t le;

		memcpy(&le, (const char *)bytes + 4 * i, 4);
		dw[i] = le32toh(le);
	}
	*out = dw;
	return 0;
}

/* ------------------------------------------------------------ printing */


static int64_t sign_extend(uint64_t v, unsigned width)
{
	if (width == 0 || width >= 64)
		return (int64_t)v;
	if (v & (UINT64_C(1) << (width - 1)))
		v |= ~((UINT64_C(1) << width) - 1);
	return (int64_t)v;
}

static float bits_to_float(uint64_t v)
{
	uint32_t u = (uint32_t)v;
	float x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

/* One field value: text (Mesa's conventions) or a JSON number. */
static void print_field_value(FILE *f, const struct scan_cmd *c, const struct scan_field *fl,
			      bool json)
{
	uint64_t v = scan_cmd_field_value(c, fl);
	unsigned width = (unsigned)(fl->end - fl->start + 1u);

	switch (fl->type) {
	case SCAN_FT_BOOL:
		if (json)
			fprintf(f, "%" PRIu64, v);
		else
			fputs(v ? "true" : "false", f);
		break;
	case SCAN_FT_INT:
		fprintf(f, "%" PRId64, sign_extend(v, width));
		break;
	case SCAN_FT_FLOAT:
		if (width == 32) {
			float x = bits_to_float(v);

			if (isfinite(x))
				fprintf(f, "%.9g", (double)x);
			else if (json)
				fputs("null", f);
			else
				fprintf(f, "%f", (double)x);
		} else {
			fprintf(f, json ? "%" PRIu64 : "0x%" PRIx64, v);
		}
		break;
	case SCAN_FT_ADDRESS:
	case SCAN_FT_OFFSET:
	case SCAN_FT_OTHER:
		fprintf(f, json ? "%" PRIu64 : "0x%08" PRIx64, v);
		break;
	default:
		fprintf(f, "%" PRIu64, v);
		break;
	}
}

static const char *post_sync_label(const struct scan_cmd *c, uint64_t op)
{
	switch (op) {
	case 0:
		return "no-write";
	case 1:
		return "write-imm";
	case 2:
		return !strcmp(scan_desc_name(c->desc), "PIPE_CONTROL") ? "write-ps-depth-count"
									: "reserved";
	case 3:
		return "write-timestamp";
	}
	return "?";
}

static const char *op_kind_name(uint8_t kind)
{
	switch (kind) {
	case SCAN_OP_ADDRESS:
		return "address";
	case SCAN_OP_REG_WRITE:
		return "reg_write";
	case SCAN_OP_REG_READ:
		return "reg_read";
	case SCAN_OP_POST_SYNC:
		return "post_sync";
	case SCAN_OP_BB_START:
		return "bb_start";
	}
	return "?";
}

/* Register writes that carry their value in the command. */
static bool op_has_imm(const struct scan_cmd *c, const struct scan_operand *o)
{
	const char *n = scan_desc_name(c->desc);

	return o->kind == SCAN_OP_REG_WRITE &&
	       (!strcmp(n, "MI_LOAD_REGISTER_IMM") || !strcmp(n, "PIPE_CONTROL"));
}

static void print_operand_text(FILE *f, const struct scan_cmd *c, const struct scan_operand *o)
{
	switch (o->kind) {
	case SCAN_OP_ADDRESS:
		fprintf(f, "%s=%s:0x%" PRIx64, o->name ? o->name : "address",
			scan_as_name((enum scan_as)o->as), o->value);
		break;
	case SCAN_OP_REG_WRITE:
		fprintf(f, "write reg 0x%" PRIx64, o->value);
		if (op_has_imm(c, o))
			fprintf(f, "=0x%08" PRIx64, o->imm);
		break;
	case SCAN_OP_REG_READ:
		fprintf(f, "read reg 0x%" PRIx64, o->value);
		break;
	case SCAN_OP_POST_SYNC:
		fprintf(f, "post-sync=%" PRIu64 " (%s)", o->value, post_sync_label(c, o->value));
		break;
	case SCAN_OP_BB_START:
		fprintf(f, "-> %s:0x%" PRIx64 " %s", scan_as_name((enum scan_as)o->as), o->value,
			o->second_level ? "second-level" : "first-level");
		break;
	}
}

static void print_operand_json(FILE *f, const struct scan_cmd *c, const struct scan_operand *o)
{
	fprintf(f, "{\"kind\":\"%s\",\"value\":%" PRIu64 ",\"as\":", op_kind_name(o->kind), o->value);
	if (o->kind == SCAN_OP_ADDRESS || o->kind == SCAN_OP_BB_START)
		fprintf(f, "\"%s\"", scan_as_name((enum scan_as)o->as));
	else
		fputs("null", f);
	fprintf(f, ",\"dw\":%u,\"name\":", o->dw);
	vgt_json_str(f, o->name);
	if (o->kind == SCAN_OP_BB_START)
		fprintf(f, ",\"second_level\":%s", o->second_level ? "true" : "false");
	if (op_has_imm(c, o) || (o->kind == SCAN_OP_POST_SYNC && o->value == 1))
		fprintf(f, ",\"imm\":%" PRIu64, o->imm);
	putc('}', f);
}

struct totals {
	size_t commands, unknown, truncated, bad_length;
	size_t first_bad; /* dword offset of the first bad command */
	uint32_t first_bad_header;
	bool any_bad;
};

/* The length rule the auditor applies (the row's, scan_desc_exact_len):
 * the one length a command with a length field may have, or 0 when c's
 * length is fine. */
static uint32_t bad_length(const struct scan_cmd *c)
{
	uint32_t want = c->status == SCAN_CMD_OK ? scan_desc_exact_len(c->desc) : 0;

	return want && c->dwords != want ? want : 0;
}

static const char *status_name(const struct scan_cmd *c)
{
	return bad_length(c) ? "bad-length" : scan_cmd_status_name((enum scan_cmd_status)c->status);
}

static void print_json(FILE *f, const struct decode_opts *o, size_t off, const struct scan_cmd *c,
		       const struct scan_operand *ops, unsigned nops)
{
	unsigned nf = 0;
	const struct scan_field *fl = scan_desc_fields(c->desc, &nf);

	fprintf(f, "{\"offset\":%zu,\"gma\":\"0x%" PRIx64 "\",\"header\":\"0x%08x\",\"name\":",
		off * 4, o->gma + off * 4, c->header);
	vgt_json_str(f, c->desc ? scan_desc_name(c->desc) : NULL);
	fprintf(f, ",\"dwords\":%u,\"engine\":\"%s\",\"status\":\"%s\",\"fields\":{", c->dwords,
		scan_engine_name(o->engine), status_name(c));
	for (unsigned i = 0; i < nf; i++) {
		if (i)
			putc(',', f);
		vgt_json_str(f, fl[i].name);
		putc(':', f);
		print_field_value(f, c, &fl[i], true);
	}
	fputs("},\"operands\":[", f);
	for (unsigned i = 0; i < nops && i < MAX_OPS; i++) {
		if (i)
			putc(',', f);
		print_operand_json(f, c, &ops[i]);
	}
	fputs("]}\n", f);
}

#define LINE_OPS 8 /* operands shown on the command line; --fields lists all */

static void print_text(FILE *f, const struct decode_opts *o, size_t off, const struct scan_cmd *c,
		       const struct scan_operand *ops, unsigned nops, size_t repeat)
{
	const char *name = c->desc ? scan_desc_name(c->desc) : "<unknown>";

	fprintf(f, "0x%08" PRIx64 ":  %08x  %-40s %3u dw", o->gma + off * 4, c->header, name,
		c->dwords);
	if (c->status == SCAN_CMD_UNKNOWN)
		fputs(" (length guessed)  UNKNOWN on this engine", f);
	else if (c->status == SCAN_CMD_TRUNCATED)
		fprintf(f, "  TRUNCATED: %u of %u dwords present", c->avail, c->dwords);
	else if (bad_length(c))
		fprintf(f, "  BAD-LENGTH: %s has exactly %u dwords", name, bad_length(c));
	if (repeat > 1)
		fprintf(f, "  x %zu (through 0x%08" PRIx64 ")", repeat,
			o->gma + (off + repeat - 1) * 4);
	for (unsigned i = 0; i < nops && i < LINE_OPS; i++) {
		fputs(i ? ", " : "  ", f);
		print_operand_text(f, c, &ops[i]);
	}
	if (nops > LINE_OPS)
		fprintf(f, ", ... (+%u more)", nops - LINE_OPS);
	putc('\n', f);
	if (o->fields && c->desc) {
		unsigned nf = 0;
		const struct scan_field *fl = scan_desc_fields(c->desc, &nf);

		for (unsigned i = 0; i < nf; i++) {
			fprintf(f, "    %s: ", fl[i].name);
			print_field_value(f, c, &fl[i], false);
			putc('\n', f);
		}
		for (unsigned i = 0; i < nops && i < MAX_OPS; i++) {
			fprintf(f, "    operand dw%u: ", ops[i].dw);
			print_operand_text(f, c, &ops[i]);
			putc('\n', f);
		}
	}
}

static void walk(FILE *f, const struct decode_opts *o, const uint32_t *buf, size_t ndw,
		 struct totals *t)
{
	static struct scan_operand ops[MAX_OPS];
	size_t off = 0;

	while (off < ndw) {
		struct scan_cmd c;
		enum scan_cmd_status st = scan_decode(o->gen, o->engine, buf + off, ndw - off, &c);
		unsigned nops = scan_cmd_operands(&c, ops, MAX_OPS);
		size_t step = c.dwords, repeat = 1;

		if (nops > MAX_OPS)
			nops = MAX_OPS;
		/* Runs of MI_NOOP padding read as one line in text form. */
		if (!o->json && !o->fields && st == SCAN_CMD_OK && c.header == 0 && c.dwords == 1)
			while (off + repeat < ndw && buf[off + repeat] == 0)
				repeat++;
		t->commands += repeat;
		if (st != SCAN_CMD_OK || bad_length(&c)) {
			if (!t->any_bad) {
				t->first_bad = off;
				t->first_bad_header = c.header;
			}
			t->any_bad = true;
			if (st == SCAN_CMD_UNKNOWN)
				t->unknown++;
			else if (st == SCAN_CMD_TRUNCATED)
				t->truncated++;
			else
				t->bad_length++;
		}
		if (o->json)
			print_json(f, o, off, &c, ops, nops);
		else
			print_text(f, o, off, &c, ops, nops, repeat);
		if (st == SCAN_CMD_TRUNCATED)
			break;
		if (repeat > 1)
			step = repeat;
		if (step == 0)
			step = 1;
		if (step > ndw - off)
			break;
		off += step;
	}
}

static int list_aliases(void)
{
	unsigned n = scan_alias_count();

	for (unsigned i = 0; i < n; i++) {
		const char *alias, *name;

		if (!scan_alias_get(i, &alias, &name))
			printf("%s %s\n", alias, name);
	}
	return fflush(stdout) ? VGT_EXIT_USAGE : VGT_EXIT_OK;
}

int cmd_decode(int argc, char **argv)
{
	static char outbuf[1 << 16];
	struct decode_opts o;
	struct totals t = { 0 };
	uint32_t *buf = NULL;
	size_t ndw = 0;
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc == 1 ? VGT_EXIT_OK : rc;
	if (o.list_aliases && !o.file)
		return list_aliases();
	rc = read_dwords(&o, &buf, &ndw);
	if (rc)
		return rc;
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (o.list_aliases)
		list_aliases();
	if (!o.json)
		printf("# %s: %zu dwords, gen%d %s, first dword at 0x%" PRIx64 "\n", o.file, ndw,
		       (int)o.gen, scan_engine_name(o.engine), o.gma);
	walk(stdout, &o, buf, ndw, &t);
	if (!o.json)
		printf("# %zu commands: %zu ok, %zu unknown, %zu truncated, %zu bad-length\n",
		       t.commands, t.commands - t.unknown - t.truncated - t.bad_length, t.unknown,
		       t.truncated, t.bad_length);
	free(buf);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "vgt decode: writing the output: %s\n", strerror(errno));
		return VGT_EXIT_USAGE;
	}
	if (t.any_bad) {
		fprintf(stderr, "vgt decode: %s: %zu unknown, %zu truncated, %zu bad-length (first at "
			"byte offset 0x%zx, header 0x%08x, gen%d %s)\n", o.file, t.unknown,
			t.truncated, t.bad_length, t.first_bad * 4, t.first_bad_header, (int)o.gen,
			scan_engine_name(o.engine));
		return VGT_EXIT_BAD;
	}
	return VGT_EXIT_OK;
}
