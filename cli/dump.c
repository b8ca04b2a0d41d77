/* SPDX-License-Identifier: MIT */
/*
 * vgt dump FILE [--vgpu N] [--type T[,T...]] [--from SEQ] [--to SEQ]
 *               [--decode] [--json [--keys]]
 *
 * One line per event of a log (tr_event_format), or one JSON object per
 * line (tr_record_json); loss records inline.  --from seeks
 * (tr_reader_seek_seq); --decode prints, under each scan event, the
 * commands of every buffer it audited (tr_decode_blob).  Exit: 0, 1 the
 * log is damaged or lost events (what could be read is printed), 2 usage
 * or I/O error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tracer/tracer.h"

#define usage_error(...) cli_usage_error("dump", __VA_ARGS__)

struct dump_opts {
	const char *file;
	bool has_vgpu, decode, json, keys;
	unsigned vgpu;
	uint64_t types; /* 0: all */
	uint64_t from, to;
};

static void usage(FILE *f)
{
	fputs("usage: vgt dump FILE [--vgpu N] [--type T[,T...]] [--from SEQ] [--to SEQ]\n"
	      "                     [--decode] [--json [--keys]]\n"
	      "\n"
	      "Prints the events of a vgt log (.vgtl), one line each: seq, virtual time in seconds,\n"
	      "vGPU (v1.. or -), engine, type, then the fields that matter for the type as key=value,\n"
	      "the error the trap returned (err=-EINVAL), the number of blobs and the event's text\n"
	      "after ' -- '.  Records of lost events are printed where they happened (LOST ...).\n"
	      "\n"
	      "  --vgpu N         only events of vGPU N (0: events of no vGPU)\n"
	      "  --type LIST      only these event types, comma-separated (names as printed:\n"
	      "                   mmio-write, ggtt-write, submit, scan, reject, dispatch, ...)\n"
	      "  --from SEQ       start at the first event whose seq is >= SEQ (a seek)\n"
	      "  --to SEQ         stop after the events whose seq is <= SEQ\n"
	      "  --decode         under each scan event, the commands of every buffer the scanner\n"
	      "                   audited (the shadows stored in the log), through the decoder\n"
	      "  --json           JSON Lines: one object per event (seq, time in ns, vgpu, engine,\n"
	      "                   type, err, flags, the type's fields, blobs, text) or loss;\n"
	      "                   addresses and values are \"0x...\" strings; a blob's key is\n"
	      "                   null unless its bytes were read (inline blobs, --keys)\n"
	      "  --keys           read the blob chunks so that every blob's key is printed\n"
	      "                   (slower: the blobs are decompressed)\n"
	      "\n"
	      "exit status: 0 the log read back whole, 1 it is damaged, truncated, not closed by\n"
	      "its writer or lost events (everything readable is printed), 2 usage or I/O error\n",
	      f);
}

static int list_types(const char *bad)
{
	fprintf(stderr, "vgt dump: --type '%s': not an event type; the types are:", bad);
	for (unsigned t = 1; t < MED_EV_TYPE_COUNT; t++)
		fprintf(stderr, "%s %s", t > 1 ? "," : "", med_event_name((enum med_event_type)t));
	fputc('\n', stderr);
	return VGT_EXIT_USAGE;
}

static int parse_types(const char *v, uint64_t *mask)
{
	char *copy = strdup(v), *save = NULL;

	if (!copy)
		return VGT_EXIT_USAGE;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum med_event_type ty;

		if (med_event_parse(t, &ty) || ty == MED_EV_NONE) {
			int rc = list_types(t);

			free(copy);
			return rc;
		}
		*mask |= MED_EV_BIT(ty);
	}
	free(copy);
	if (!*mask)
		return usage_error("--type '%s': no event type named", v);
	return 0;
}

static int parse_args(int argc, char **argv, struct dump_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->to = UINT64_MAX;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		unsigned long long x;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		}
		if (!strcmp(a, "--decode")) {
			o->decode = true;
			continue;
		}
		if (!strcmp(a, "--keys")) {
			o->keys = true;
			continue;
		}
		if (!strcmp(a, "--vgpu") || !strcmp(a, "--type") || !strcmp(a, "--from") ||
		    !strcmp(a, "--to")) {
			const char *v = i + 1 < argc ? argv[++i] : NULL;

			if (!v)
				return usage_error("%s needs a value", a);
			if (!strcmp(a, "--type")) {
				int rc = parse_types(v, &o->types);

				if (rc)
					return rc;
				continue;
			}
			if (cli_parse_u64(v, &x))
				return usage_error("%s '%s': expected an unsigned number", a, v);
			if (!strcmp(a, "--vgpu")) {
				if (x > MED_MAX_VGPUS)
					return usage_error("--vgpu '%s': vGPU ids are 1..%d (0: no vGPU)", v,
							   MED_MAX_VGPUS);
				o->has_vgpu = true;
				o->vgpu = (unsigned)x;
			} else if (!strcmp(a, "--from")) {
				o->from = x;
			} else {
				o->to = x;
			}
			continue;
		}
		if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s'", a);
		if (o->file)
			return usage_error("one FILE only ('%s' is a second one)", a);
		o->file = a;
	}
	if (!o->file)
		return usage_error("%s", "missing FILE, the log to dump");
	if (o->from > o->to)
		return usage_error("--from %llu is after --to %llu", (unsigned long long)o->from,
				   (unsigned long long)o->to);
	if (o->keys && !o->json)
		return usage_error("%s", "--keys adds the blobs' keys to --json: use both");
	if (o->decode && o->json)
		return usage_error("%s", "--decode prints text: it does not combine with --json");
	return 0;
}

static bool wanted(const struct dump_opts *o, const struct med_event *ev)
{
	if (o->has_vgpu && ev->vgpu != o->vgpu)
		return false;
	if (o->types && (ev->type >= 64 || !(o->types & MED_EV_BIT(ev->type))))
		return false;
	return true;
}

/* The commands of every shadow the scan audited. */
static void decode_scan(const struct tr_log_info *info, const struct med_event *ev)
{
	unsigned n = 0;

	for (uint32_t i = 0; ev->blobs && i < ev->nblobs; i++) {
		const struct med_blob *b = &ev->blobs[i];

		if (b->kind != MED_BLOB_SHADOW)
			continue;
		const char *as = b->as == MED_AS_GPA ? "gpa" : scan_as_name((enum scan_as)b->as);
		char as_buf[16];
		unsigned gen = info->gen ? info->gen : 9;

		if (!as) {
			snprintf(as_buf, sizeof(as_buf), "as=%u", (unsigned)b->as);
			as = as_buf;
		}
		printf("    buffer %u: %u bytes at %s:0x%llx\n", n++, b->len, as,
		       (unsigned long long)b->addr);
		if (ev->engine < 0 || ev->engine >= SCAN_NUM_ENGINES)
			printf("      (cannot decode: engine %d is not one the decoder knows, 0..%d)\n",
			       ev->engine, SCAN_NUM_ENGINES - 1);
		else if (gen != 8 && gen != 9)
			printf("      (cannot decode: the log's gen is %u, the decoder knows 8 and 9)\n",
			       gen);
		else if (tr_decode_blob(stdout, gen, ev->engine, b, "      ") == -EINVAL)
			printf("      (cannot decode this buffer)\n");
	}
	if (!n)
		printf("    (no audited buffer in this event%s)\n",
		       ev->blobs_dropped ? ": its blobs were dropped" : "");
}

int cmd_dump(int argc, char **argv)
{
	static char outbuf[1 << 16];
	struct dump_opts o;
	struct tr_reader *r;
	const struct tr_record *rec;
	struct tr_health h = { .sz = sizeof(h) };
	size_t cap = 1 << 16;
	char *line;
	int rc = parse_args(argc, argv, &o), rrc;
	bool broken = false;

	if (rc)
		return rc == 1 ? VGT_EXIT_OK : rc;
	/* blob bytes (and the keys of stored blobs) are read only for --decode and --keys */
	if (cli_open_log("dump", o.file, !o.decode && !o.keys, &r))
		return VGT_EXIT_USAGE;
	line = malloc(cap);
	if (!line) {
		tr_reader_close(r);
		fprintf(stderr, "vgt dump: out of memory\n");
		return VGT_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN); /* a closed pipe is EPIPE, ended quietly below */
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	rrc = o.from ? tr_reader_seek_seq(r, o.from) : 0;
	while (!rrc && (rrc = tr_reader_next(r, &rec)) > 0) {
		size_t n;

		rrc = 0;
		if (rec->kind == TR_REC_EVENT) {
			if (rec->ev.seq > o.to)
				break;
			if (rec->ev.seq < o.from || !wanted(&o, &rec->ev))
				continue;
		} else if (rec->kind == TR_REC_LOSS) {
			if (rec->loss.first_seq > o.to)
				break;
			if (rec->loss.last_seq && rec->loss.last_seq < o.from)
				continue;
		} else {
			continue;
		}
		for (;;) {
			if (o.json)
				n = tr_record_json(line, cap, rec);
			else if (rec->kind == TR_REC_LOSS)
				n = tr_loss_format(line, cap, &rec->loss);
			else
				n = tr_event_format(line, cap, &rec->ev);
			if (n < cap)
				break;
			/* a long text: grow once, keep the larger buffer */
			char *bigger = realloc(line, n + 1);

			if (!bigger) {
				n = cap - 1;
				break;
			}
			line = bigger;
			cap = n + 1;
		}
		line[n] = '\n';
		if (fwrite(line, 1, n + 1, stdout) != n + 1) {
			broken = true;
			break;
		}
		if (o.decode && rec->kind == TR_REC_EVENT && rec->ev.type == MED_EV_SCAN)
			decode_scan(tr_reader_info(r), &rec->ev);
	}
	free(line);
	if (broken && errno != EPIPE)
		fprintf(stderr, "vgt dump: writing the events: %s\n", strerror(errno));
	if (broken || cli_write_failed("dump", stdout, "the events")) {
		int pipe_closed = errno == EPIPE;

		tr_reader_close(r);
		return pipe_closed ? VGT_EXIT_OK : VGT_EXIT_USAGE;
	}
	if (rrc < 0) {
		fprintf(stderr, "vgt dump: %s: reading the log: %s\n", o.file, strerror(-rrc));
		tr_reader_close(r);
		return VGT_EXIT_USAGE;
	}
	tr_reader_health(r, &h);
	tr_reader_close(r);
	/* a dump that stopped early (--to) has not seen the whole file: it
	 * reports only what it met */
	if (!h.header_ok || !h.closed || h.truncated || h.chunks_bad || h.events_lost ||
	    h.lost_events) {
		fprintf(stderr,
			"vgt dump: %s: the log is not whole: %s%s%s%llu bad chunks, %llu bytes skipped, "
			"%llu events lost in them, %llu lost while recording (what could be read is "
			"printed; 'vgt stat %s' says more)\n",
			o.file, h.truncated ? "truncated (it ends inside a chunk), " : "",
			h.closed ? "" : "not closed by its writer, ",
			h.header_ok ? "" : "damaged file header, ", (unsigned long long)h.chunks_bad,
			(unsigned long long)h.bytes_skipped, (unsigned long long)h.events_lost,
			(unsigned long long)h.lost_events, o.file);
		return VGT_EXIT_BAD;
	}
	return VGT_EXIT_OK;
}
