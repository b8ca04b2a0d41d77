/* SPDX-License-Identifier: MIT */
/*
 * A tracefs uprobe event of vgt's probes, as the kernel recorded it (live
 * from tracefs or from a trace-cmd file), back into the assembler.  Fields
 * are found by name in the event's own format (libtraceevent), never at
 * fixed offsets; each one is checked against the record's size.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <event-parse.h>

#include "tracer/capture_int.h"

/* "event", "event_2", ...: one tracefs event per probe site. */
static int name_is(const char *name, const char *base)
{
	size_t n = strlen(base);
	if (strncmp(name, base, n))
		return 0;
	if (!name[n])
		return 1;
	if (name[n] != '_' || !name[n + 1])
		return 0;
	for (const char *p = name + n + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/* [off, off + size) inside the record, in arithmetic that cannot wrap
 * (a hostile format may give offsets near INT_MAX). */
static int inside(const struct tep_record *r, int off, int size)
{
	return off >= 0 && size >= 0 && r->size >= 0 &&
	       (size_t)off + (size_t)size <= (size_t)r->size;
}

/* A fixed-size field of exactly `size` bytes inside the record. */
static const void *field_bytes(struct tep_event *e, struct tep_record *r, const char *name, int size)
{
	struct tep_format_field *f = tep_find_field(e, name);
	if (!f || (f->flags & TEP_FIELD_IS_DYNAMIC) || f->size != size || !inside(r, f->offset, f->size))
		return NULL;
	return (const char *)r->data + f->offset;
}

static int field_num(struct tep_event *e, struct tep_record *r, const char *name, unsigned long long *v)
{
	struct tep_format_field *f = tep_find_field(e, name);
	if (!f || (f->flags & (TEP_FIELD_IS_DYNAMIC | TEP_FIELD_IS_ARRAY)) || f->size <= 0 ||
	    f->size > 8 || !inside(r, f->offset, f->size))
		return -EPROTO;
	return tep_read_number_field(f, r->data, v) ? -EPROTO : 0;
}

/* A __data_loc (or __rel_loc) string: the 32-bit word says where (low 16
 * bits) and how long (high 16); both checked against the record here —
 * libtraceevent's tep_get_field_raw does not. */
const void *tra_tep_dynamic(struct tep_event *e, struct tep_record *r, const char *name, size_t *len)
{
	struct tep_format_field *f = tep_find_field(e, name);
	*len = 0;
	if (!f || !(f->flags & TEP_FIELD_IS_DYNAMIC) || f->size != 4 || !inside(r, f->offset, 4))
		return NULL;
	uint32_t loc;
	memcpy(&loc, (const char *)r->data + f->offset, 4);
	size_t off = loc & 0xffff, n = loc >> 16;
	if (f->flags & TEP_FIELD_IS_RELATIVE)
		off += (size_t)f->offset + 4;
	if (off > (size_t)r->size || n > (size_t)r->size - off)
		return NULL;
	*len = n;
	return (const char *)r->data + off;
}

static int map_event(struct tr_asm *a, struct tep_event *e, struct tep_record *r)
{
	const void *ev = field_bytes(e, r, "ev", TRA_EVENT_WORDS * 8);
	unsigned long long seq;
	if (!ev || field_num(e, r, "seq", &seq))
		return -EPROTO;
	size_t tlen = 0;
	const char *text = tra_tep_dynamic(e, r, "text", &tlen);
	if (!text && tep_find_field(e, "text"))
		return -EPROTO; /* a text that is not inside the record */
	/* the probe's own seq argument must be the struct's */
	uint64_t inner;
	memcpy(&inner, (const char *)ev + offsetof(struct med_event, seq), sizeof(inner));
	if (inner != seq)
		return -EPROTO;
	int err = tra_event(a, ev, TRA_EVENT_WORDS * 8, text, tlen);
	return err ? err : 1;
}

static int map_blob(struct tr_asm *a, struct tep_event *e, struct tep_record *r)
{
	unsigned long long seq, index, offset, len;
	const void *desc = field_bytes(e, r, "desc", TRA_DESC_WORDS * 8);
	if (!desc || field_num(e, r, "seq", &seq) || field_num(e, r, "index", &index) ||
	    field_num(e, r, "offset", &offset) || field_num(e, r, "len", &len) || len > TRA_PIECE ||
	    index > UINT32_MAX || offset > UINT32_MAX)
		return -EPROTO;
	unsigned char piece[TRA_PIECE];
	static const char *const names[TRA_DATA_FIELDS] = { "data0", "data1", "data2", "data3" };
	for (unsigned i = 0; i < TRA_DATA_FIELDS; i++) {
		const void *d = field_bytes(e, r, names[i], TRA_DATA_WORDS * 8);
		if (!d)
			return -EPROTO;
		memcpy(piece + i * TRA_DATA_WORDS * 8, d, TRA_DATA_WORDS * 8);
	}
	int err = tra_piece(a, seq, (uint32_t)index, desc, (uint32_t)offset, piece, (uint32_t)len);
	return err ? err : 1;
}

int tra_from_tep(struct tr_asm *a, struct tep_event *e, struct tep_record *r)
{
	if (!a || !e || !r || !e->name || !r->data)
		return -EINVAL;
	if (name_is(e->name, TRA_EV_EVENT) && tep_find_field(e, "ev"))
		return map_event(a, e, r);
	if (name_is(e->name, TRA_EV_BLOB) && tep_find_field(e, "desc"))
		return map_blob(a, e, r);
	return 0;
}
