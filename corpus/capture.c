/* SPDX-License-Identifier: MIT */
/*
 * The capture reader: ../shared/reference/captures/<folder>/ as its README
 * lays it out (exec-NNNN.json per execbuffer2 call, blobs/<sha256>.bin for
 * contents), one record loaded at a time, every object rebuilt from its
 * sparse chunks, and a scanner memory view over the record's PPGTT.
 *
 * Objects are held as one zeroed allocation each (calloc of a large block is
 * fresh anonymous memory, so the untouched zero pages of a 2 MiB object with
 * 4 KiB of contents cost nothing) with each chunk's blob read straight into
 * place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "corpus/corpus.h"

#define RECORD_MAX_JSON   ((size_t)64 << 20)
#define OBJECT_MAX_SIZE   ((uint64_t)256 << 20)
#define CAPTURE_FORMAT    "fakei915-exec-v2"

/* ----------------------------------------------------------- utilities */

int corpus_parse_hex_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || len < 3 || len > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -EINVAL;
	for (size_t k = 2; k < len; k++) {
		char c = s[k];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = (v << 4) | d;
	}
	*out = v;
	return 0;
}

static char *path_join(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *p = malloc(na + nb + 2);

	if (!p)
		return NULL;
	memcpy(p, a, na);
	p[na] = '/';
	memcpy(p + na + 1, b, nb + 1);
	return p;
}

/* ------------------------------------------------------------- folders */

struct corpus_capture {
	char *dir;
	char *blob_dir;
	unsigned n;
	char **paths;
};

struct rec_name {
	unsigned long num;
	char *path;
};

static int rec_name_cmp(const void *a, const void *b)
{
	const struct rec_name *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

/* exec-<1..9 digits>.json -> its number. */
static bool parse_record_name(const char *name, unsigned long *num)
{
	size_t n = strlen(name), digits;
	unsigned long v = 0;

	if (n < 11 || strncmp(name, "exec-", 5) || strcmp(name + n - 5, ".json"))
		return false;
	digits = n - 10;
	if (digits > 9)
		return false;
	for (size_t k = 5; k < 5 + digits; k++) {
		if (name[k] < '0' || name[k] > '9')
			return false;
		v = v * 10 + (unsigned long)(name[k] - '0');
	}
	*num = v;
	return true;
}

int corpus_capture_open(const char *dir, struct corpus_capture **out, char *err, size_t errlen)
{
	struct corpus_capture *cap;
	struct rec_name *names = NULL;
	size_t n = 0, capn = 0;
	struct dirent *de;
	DIR *d;
	int r = 0, e;

	if (!dir || !out)
		return -EINVAL;
	*out = NULL;
	d = opendir(dir);
	if (!d) {
		e = errno;
		vgt_errbuf_set(err, errlen, "%s: cannot open capture folder: %s", dir, strerror(e));
		return -e;
	}
	while ((de = readdir(d))) {
		unsigned long num;

		if (!parse_record_name(de->d_name, &num))
			continue;
		if (n == capn) {
			size_t nc = capn ? capn * 2 : 32;
			struct rec_name *nn = realloc(names, nc * sizeof(*names));

			if (!nn) {
				r = -ENOMEM;
				break;
			}
			names = nn;
			capn = nc;
		}
		names[n].num = num;
		names[n].path = path_join(dir, de->d_name);
		if (!names[n].path) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (!r && !n) {
		vgt_errbuf_set(err, errlen, "%s: no exec-NNNN.json record in the capture folder", dir);
		r = -ENODATA;
	}
	cap = r ? NULL : calloc(1, sizeof(*cap));
	if (!r && !cap)
		r = -ENOMEM;
	if (r) {
		for (size_t k = 0; k < n; k++)
			free(names[k].path);
		free(names);
		return r;
	}
	qsort(names, n, sizeof(*names), rec_name_cmp);
	cap->dir = strdup(dir);
	cap->blob_dir = path_join(dir, "blobs");
	cap->paths = calloc(n, sizeof(*cap->paths));
	cap->n = (unsigned)n;
	for (size_t k = 0; k < n; k++) {
		if (cap->paths)
			cap->paths[k] = names[k].path;
		else
			free(names[k].path);
	}
	free(names);
	if (!cap->dir || !cap->blob_dir || !cap->paths) {
		corpus_capture_close(cap);
		return -ENOMEM;
	}
	*out = cap;
	return 0;
}

void corpus_capture_close(struct corpus_capture *cap)
{
	if (!cap)
		return;
	if (cap->paths)
		for (unsigned k = 0; k < cap->n; k++)
			free(cap->paths[k]);
	free(cap->paths);
	free(cap->blob_dir);
	free(cap->dir);
	free(cap);
}

const char *corpus_capture_dir(const struct corpus_capture *cap)
{
	return cap ? cap->dir : NULL;
}

unsigned corpus_capture_count(const struct corpus_capture *cap)
{
	return cap ? cap->n : 0;
}

const char *corpus_capture_record_path(const struct corpus_capture *cap, unsigned i)
{
	return cap && i < cap->n ? cap->paths[i] : NULL;
}

/* ------------------------------------------------------------- records */

struct corpus_record {
	char *path;
	unsigned seq;
	enum scan_gen gen;
	enum scan_engine engine;
	struct corpus_batch batch;
	unsigned nobjects;
	struct corpus_object *objects;
	uint8_t **bufs;             /* owned contents, per object */
	struct corpus_reloc **relocs; /* owned, per object */
	unsigned *by_addr;          /* non-empty objects, sorted by gpu_address */
	unsigned nmapped;
};

/* Loader state: the file being read, for messages. */
struct loader {
	const char *path;
	const char *blob_dir;
	char *err;
	size_t errlen;
	struct corpus_record *rec;
};

static int lerr(struct loader *L, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int lerr(struct loader *L, int code, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vgt_errbuf_set(L->err, L->errlen, "%s: %s", L->path, msg);
	return code;
}

/* `where` names the value for messages ("objects[3].size"). */
static int get_member(struct loader *L, const struct corpus_json_value *obj, const char *key,
		      const char *where, const struct corpus_json_value **out)
{
	*out = corpus_json_get(obj, key);
	if (!*out)
		return lerr(L, -EINVAL, "%s%s%s: missing", where, *where ? "." : "", key);
	return 0;
}

static int get_u64(struct loader *L, const struct corpus_json_value *obj, const char *key,
		   const char *where, uint64_t *out)
{
	const struct corpus_json_value *v;
	int r;

	if ((r = get_member(L, obj, key, where, &v)))
		return r;
	if (corpus_json_u64(v, out))
		return lerr(L, -EINVAL, "%s%s%s: expected a non-negative integer", where,
			    *where ? "." : "", key);
	return 0;
}

static int get_hex(struct loader *L, const struct corpus_json_value *obj, const char *key,
		   const char *where, uint64_t *out)
{
	const struct corpus_json_value *v;
	const char *s;
	size_t n;
	int r;

	if ((r = get_member(L, obj, key, where, &v)))
		return r;
	s = corpus_json_string(v, &n);
	if (!s || corpus_parse_hex_u64(s, n, out))
		return lerr(L, -EINVAL, "%s%s%s: expected a hex string \"0x...\" of at most 16 digits",
			    where, *where ? "." : "", key);
	return 0;
}

static int get_bool(struct loader *L, const struct corpus_json_value *obj, const char *key,
		    const char *where, bool *out)
{
	const struct corpus_json_value *v;
	int r;

	if ((r = get_member(L, obj, key, where, &v)))
		return r;
	if (corpus_json_bool(v, out))
		return lerr(L, -EINVAL, "%s%s%s: expected true or false", where,
			    *where ? "." : "", key);
	return 0;
}

static int get_array(struct loader *L, const struct corpus_json_value *obj, const char *key,
		     const char *where, const struct corpus_json_value **out)
{
	int r;

	if ((r = get_member(L, obj, key, where, out)))
		return r;
	if (corpus_json_type(*out) != CORPUS_JSON_ARRAY)
		return lerr(L, -EINVAL, "%s%s%s: expected an array", where, *where ? "." : "", key);
	return 0;
}

static bool blob_name_ok(const char *s, size_t n)
{
	if (n != 68 || strcmp(s + 64, ".bin"))
		return false;
	for (size_t k = 0; k < 64; k++)
		if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f')))
			return false;
	return true;
}

/* Copies blob `name` (which must be exactly `length` bytes) to dst. */
static int read_blob(struct loader *L, const char *where, const char *name, uint8_t *dst,
		     uint64_t length)
{
	char *path = path_join(L->blob_dir, name);
	struct stat st;
	uint64_t got = 0;
	int fd, e;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		lerr(L, -e, "%s: blob %s: %s", where, path, strerror(e));
		free(path);
		return -e;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		lerr(L, -EINVAL, "%s: blob %s is not a regular file", where, path);
		goto bad;
	}
	if ((uint64_t)st.st_size != length) {
		lerr(L, -EINVAL, "%s: blob %s is %lld bytes, the chunk says %llu", where, path,
		     (long long)st.st_size, (unsigned long long)length);
		goto bad;
	}
	while (got < length) {
		ssize_t n = pread(fd, dst + got, (size_t)(length - got), (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			lerr(L, -EIO, "%s: blob %s: read failed: %s", where, path, strerror(e));
			goto bad;
		}
		got += (uint64_t)n;
	}
	close(fd);
	free(path);
	return 0;
bad:
	close(fd);
	free(path);
	return -EINVAL;
}

struct range {
	uint64_t start, end; /* [start, end) */
	unsigned idx;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int load_chunks(struct loader *L, const struct corpus_json_value *chunks,
		       const char *where, struct corpus_object *o, uint8_t *buf)
{
	size_t n = corpus_json_count(chunks);
	struct range *rg;
	char cw[96];
	int r = 0;

	if (!n)
		return 0;
	rg = calloc(n, sizeof(*rg));
	if (!rg)
		return -ENOMEM;
	for (size_t k = 0; k < n && !r; k++) {
		const struct corpus_json_value *c = corpus_json_at(chunks, k);
		const struct corpus_json_value *bv;
		uint64_t off, len;
		const char *name;
		size_t nlen;

		snprintf(cw, sizeof(cw), "%s.chunks[%zu]", where, k);
		if (corpus_json_type(c) != CORPUS_JSON_OBJECT) {
			r = lerr(L, -EINVAL, "%s: expected an object", cw);
			break;
		}
		if ((r = get_u64(L, c, "offset", cw, &off)) ||
		    (r = get_u64(L, c, "length", cw, &len)) ||
		    (r = get_member(L, c, "blob", cw, &bv)))
			break;
		name = corpus_json_string(bv, &nlen);
		if (!name || !blob_name_ok(name, nlen)) {
			r = lerr(L, -EINVAL, "%s.blob: expected \"<64 hex digits>.bin\"", cw);
			break;
		}
		if (off > o->size || len > o->size - off) {
			r = lerr(L, -EINVAL,
				 "%s: chunk [0x%llx, +0x%llx) runs past the end of the %llu-byte object",
				 cw, (unsigned long long)off, (unsigned long long)len,
				 (unsigned long long)o->size);
			break;
		}
		rg[k].start = off;
		rg[k].end = off + len;
		rg[k].idx = (unsigned)k;
		r = read_blob(L, cw, name, buf + off, len);
	}
	if (!r) {
		qsort(rg, n, sizeof(*rg), range_cmp);
		for (size_t k = 1; k < n; k++)
			if (rg[k].start < rg[k - 1].end) {
				r = lerr(L, -EINVAL, "%s: chunks[%u] and chunks[%u] overlap", where,
					 rg[k - 1].idx, rg[k].idx);
				break;
			}
	}
	free(rg);
	return r;
}

static int load_relocs(struct loader *L, const struct corpus_json_value *arr,
		       const char *where, struct corpus_object *o, unsigned nobjects,
		       struct corpus_reloc **out)
{
	size_t n = corpus_json_count(arr);
	struct corpus_reloc *rl;
	char rw[96];

	if (!n)
		return 0;
	rl = calloc(n, sizeof(*rl));
	if (!rl)
		return -ENOMEM;
	*out = rl;
	for (size_t k = 0; k < n; k++) {
		const struct corpus_json_value *e = corpus_json_at(arr, k), *v;
		uint64_t tgt, u;
		int r;

		snprintf(rw, sizeof(rw), "%s.relocations[%zu]", where, k);
		if (corpus_json_type(e) != CORPUS_JSON_OBJECT)
			return lerr(L, -EINVAL, "%s: expected an object", rw);
		if ((r = get_u64(L, e, "offset", rw, &rl[k].offset)) ||
		    (r = get_u64(L, e, "target_index", rw, &tgt)) ||
		    (r = get_member(L, e, "delta", rw, &v)))
			return r;
		if (corpus_json_i64(v, &rl[k].delta))
			return lerr(L, -EINVAL, "%s.delta: expected an integer", rw);
		if (tgt >= nobjects)
			return lerr(L, -EINVAL, "%s.target_index: %llu, but the record has %u objects",
				    rw, (unsigned long long)tgt, nobjects);
		rl[k].target_index = (uint32_t)tgt;
		if (o->size < 4 || rl[k].offset > o->size - 4 || (rl[k].offset & 3))
			return lerr(L, -EINVAL,
				    "%s.offset: 0x%llx is not a dword inside the %llu-byte object",
				    rw, (unsigned long long)rl[k].offset,
				    (unsigned long long)o->size);
		if (corpus_json_get(e, "read_domains")) {
			if ((r = get_hex(L, e, "read_domains", rw, &u)))
				return r;
			rl[k].read_domains = (uint32_t)u;
		}
		if (corpus_json_get(e, "write_domain")) {
			if ((r = get_hex(L, e, "write_domain", rw, &u)))
				return r;
			rl[k].write_domain = (uint32_t)u;
		}
		if (corpus_json_get(e, "address")) {
			if ((r = get_hex(L, e, "address", rw, &u)))
				return r;
			rl[k].address = CORPUS_CANONICAL(u);
			rl[k].has_address = true;
		}
	}
	o->nrelocs = (unsigned)n;
	o->relocs = rl;
	return 0;
}

static int load_objects(struct loader *L, const struct corpus_json_value *arr)
{
	struct corpus_record *rec = L->rec;
	size_t n = corpus_json_count(arr), nm = 0;
	struct range *rg;
	char ow[48];
	int r = 0;

	if (!n)
		return lerr(L, -EINVAL, "objects: empty");
	if (n > 65536)
		return lerr(L, -E2BIG, "objects: %zu entries, more than 65536", n);
	rec->objects = calloc(n, sizeof(*rec->objects));
	rec->bufs = calloc(n, sizeof(*rec->bufs));
	rec->relocs = calloc(n, sizeof(*rec->relocs));
	rec->by_addr = calloc(n, sizeof(*rec->by_addr));
	rg = calloc(n, sizeof(*rg));
	if (!rec->objects || !rec->bufs || !rec->relocs || !rec->by_addr || !rg) {
		free(rg);
		return -ENOMEM;
	}
	rec->nobjects = (unsigned)n;
	for (size_t k = 0; k < n && !r; k++) {
		const struct corpus_json_value *ov = corpus_json_at(arr, k), *chunks, *rv;
		struct corpus_object *o = &rec->objects[k];
		uint64_t index, handle, addr;

		snprintf(ow, sizeof(ow), "objects[%zu]", k);
		if (corpus_json_type(ov) != CORPUS_JSON_OBJECT) {
			r = lerr(L, -EINVAL, "%s: expected an object", ow);
			break;
		}
		if ((r = get_u64(L, ov, "index", ow, &index)) ||
		    (r = get_u64(L, ov, "handle", ow, &handle)) ||
		    (r = get_u64(L, ov, "size", ow, &o->size)) ||
		    (r = get_hex(L, ov, "gpu_address", ow, &addr)) ||
		    (r = get_bool(L, ov, "is_batch", ow, &o->is_batch)) ||
		    (r = get_array(L, ov, "chunks", ow, &chunks)))
			break;
		if (index != k) {
			r = lerr(L, -EINVAL, "%s.index: %llu, expected %zu", ow,
				 (unsigned long long)index, k);
			break;
		}
		if (handle > UINT32_MAX) {
			r = lerr(L, -EINVAL, "%s.handle: %llu does not fit 32 bits", ow,
				 (unsigned long long)handle);
			break;
		}
		if (o->size > OBJECT_MAX_SIZE) {
			r = lerr(L, -E2BIG, "%s.size: %llu bytes, more than the %llu-byte limit", ow,
				 (unsigned long long)o->size, (unsigned long long)OBJECT_MAX_SIZE);
			break;
		}
		o->index = (unsigned)k;
		o->handle = (uint32_t)handle;
		o->gpu_address = CORPUS_CANONICAL(addr);
		if (o->size > CORPUS_ADDR_MASK + 1 - o->gpu_address) {
			r = lerr(L, -EINVAL, "%s: [0x%llx, +0x%llx) runs past the 48-bit address space",
				 ow, (unsigned long long)o->gpu_address, (unsigned long long)o->size);
			break;
		}
		if (o->size) {
			rec->bufs[k] = calloc(1, (size_t)o->size);
			if (!rec->bufs[k]) {
				r = -ENOMEM;
				break;
			}
		}
		if ((r = load_chunks(L, chunks, ow, o, rec->bufs[k])))
			break;
		o->data = rec->bufs[k];
		rv = corpus_json_get(ov, "relocations");
		if (rv) {
			if (corpus_json_type(rv) != CORPUS_JSON_ARRAY) {
				r = lerr(L, -EINVAL, "%s.relocations: expected an array", ow);
				break;
			}
			if ((r = load_relocs(L, rv, ow, o, (unsigned)n, &rec->relocs[k])))
				break;
		}
		if (o->size) { /* an empty object occupies no address */
			rg[nm].start = o->gpu_address;
			rg[nm].end = o->gpu_address + o->size;
			rg[nm].idx = (unsigned)k;
			nm++;
		}
	}
	if (!r) {
		qsort(rg, nm, sizeof(*rg), range_cmp);
		for (size_t k = 0; k < nm; k++)
			rec->by_addr[k] = rg[k].idx;
		rec->nmapped = (unsigned)nm;
		for (size_t k = 1; k < nm; k++)
			if (rg[k].start < rg[k - 1].end) {
				r = lerr(L, -EINVAL,
					 "objects[%u] [0x%llx, +0x%llx) and objects[%u] [0x%llx, +0x%llx) overlap",
					 rg[k - 1].idx, (unsigned long long)rg[k - 1].start,
					 (unsigned long long)(rg[k - 1].end - rg[k - 1].start), rg[k].idx,
					 (unsigned long long)rg[k].start,
					 (unsigned long long)(rg[k].end - rg[k].start));
				break;
			}
	}
	free(rg);
	return r;
}

static int engine_from_name(const char *s, enum scan_engine *e)
{
	static const char *const names[SCAN_NUM_ENGINES] = {
		[SCAN_RCS] = "rcs", [SCAN_BCS] = "bcs", [SCAN_VCS] = "vcs", [SCAN_VECS] = "vecs",
	};

	for (int k = 0; k < SCAN_NUM_ENGINES; k++)
		if (!strcmp(s, names[k])) {
			*e = (enum scan_engine)k;
			return 0;
		}
	return -EINVAL;
}

static int load_record(struct loader *L, const struct corpus_json_value *root)
{
	struct corpus_record *rec = L->rec;
	const struct corpus_json_value *v, *objs;
	uint64_t u, bidx, baddr, boff, blen;
	const struct corpus_object *bo;
	const char *s;
	size_t n;
	int r;

	if (corpus_json_type(root) != CORPUS_JSON_OBJECT)
		return lerr(L, -EINVAL, "the top-level value is not an object");
	if ((r = get_member(L, root, "format", "", &v)))
		return r;
	s = corpus_json_string(v, &n);
	if (!s || strcmp(s, CAPTURE_FORMAT))
		return lerr(L, -EINVAL, "format: expected \"%s\"", CAPTURE_FORMAT);
	if ((r = get_u64(L, root, "seq", "", &u)))
		return r;
	if (u > UINT32_MAX)
		return lerr(L, -EINVAL, "seq: %llu does not fit 32 bits", (unsigned long long)u);
	rec->seq = (unsigned)u;
	if ((r = get_u64(L, root, "gen", "", &u)))
		return r;
	if (u != 8 && u != 9)
		return lerr(L, -EINVAL, "gen: %llu is not a supported generation (8 or 9)",
			    (unsigned long long)u);
	rec->gen = u == 8 ? SCAN_GEN8 : SCAN_GEN9;
	if ((r = get_member(L, root, "engine", "", &v)))
		return r;
	s = corpus_json_string(v, &n);
	if (!s || engine_from_name(s, &rec->engine))
		return lerr(L, -EINVAL, "engine: expected \"rcs\", \"bcs\", \"vcs\" or \"vecs\"");
	if ((r = get_u64(L, root, "batch_index", "", &bidx)) ||
	    (r = get_hex(L, root, "batch_gpu_address", "", &baddr)) ||
	    (r = get_u64(L, root, "batch_start_offset", "", &boff)) ||
	    (r = get_u64(L, root, "batch_len", "", &blen)) ||
	    (r = get_array(L, root, "objects", "", &objs)))
		return r;
	if ((r = load_objects(L, objs)))
		return r;
	if (bidx >= rec->nobjects)
		return lerr(L, -EINVAL, "batch_index: %llu, but the record has %u objects",
			    (unsigned long long)bidx, rec->nobjects);
	bo = &rec->objects[bidx];
	if ((boff & 3) || (blen & 3))
		return lerr(L, -EINVAL,
			    "batch_start_offset %llu / batch_len %llu: not a whole number of dwords",
			    (unsigned long long)boff, (unsigned long long)blen);
	if (boff >= bo->size || blen > bo->size - boff)
		return lerr(L, -EINVAL,
			    "batch_start_offset %llu + batch_len %llu runs past the %llu-byte batch object",
			    (unsigned long long)boff, (unsigned long long)blen,
			    (unsigned long long)bo->size);
	if (CORPUS_CANONICAL(baddr) != bo->gpu_address + boff)
		return lerr(L, -EINVAL,
			    "batch_gpu_address 0x%llx is not objects[%llu] at 0x%llx + batch_start_offset %llu",
			    (unsigned long long)baddr, (unsigned long long)bidx,
			    (unsigned long long)bo->gpu_address, (unsigned long long)boff);
	rec->batch.object = (unsigned)bidx;
	rec->batch.gpu_address = CORPUS_CANONICAL(baddr);
	rec->batch.start_offset = boff;
	rec->batch.len = blen;
	rec->batch.bytes = blen ? blen : bo->size - boff;
	return 0;
}

int corpus_record_load_file(const char *json_path, const char *blob_dir,
			    struct corpus_record **out, char *err, size_t errlen)
{
	struct loader L = { json_path, blob_dir, err, errlen, NULL };
	struct corpus_json *doc = NULL;
	char jerr[200];
	void *text = NULL;
	size_t len = 0;
	int r;

	if (!json_path || !blob_dir || !out)
		return -EINVAL;
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if ((r = vgt_read_file(json_path, RECORD_MAX_JSON, 0, &text, &len, err, errlen)))
		return r;
	r = corpus_json_parse(text, len, NULL, &doc, jerr, sizeof(jerr));
	free(text);
	if (r)
		return lerr(&L, r, "bad JSON: %s", jerr);
	L.rec = calloc(1, sizeof(*L.rec));
	if (!L.rec) {
		corpus_json_free(doc);
		return -ENOMEM;
	}
	L.rec->path = strdup(json_path);
	r = L.rec->path ? load_record(&L, corpus_json_root(doc)) : -ENOMEM;
	corpus_json_free(doc);
	if (r) {
		corpus_record_free(L.rec);
		return r;
	}
	*out = L.rec;
	return 0;
}

int corpus_record_load(const struct corpus_capture *cap, unsigned i,
		       struct corpus_record **out, char *err, size_t errlen)
{
	if (!cap || i >= cap->n) {
		vgt_errbuf_set(err, errlen, "%s: no record %u (the folder has %u)",
			cap ? cap->dir : "(null)", i, cap ? cap->n : 0);
		return -EINVAL;
	}
	return corpus_record_load_file(cap->paths[i], cap->blob_dir, out, err, errlen);
}

void corpus_record_free(struct corpus_record *rec)
{
	if (!rec)
		return;
	for (unsigned k = 0; k < rec->nobjects; k++) {
		if (rec->bufs)
			free(rec->bufs[k]);
		if (rec->relocs)
			free(rec->relocs[k]);
	}
	free(rec->bufs);
	free(rec->relocs);
	free(rec->objects);
	free(rec->by_addr);
	free(rec->path);
	free(rec);
}

const char *corpus_record_path(const struct corpus_record *rec)
{
	return rec->path;
}

unsigned corpus_record_seq(const struct corpus_record *rec)
{
	return rec->seq;
}

enum scan_gen corpus_record_gen(const struct corpus_record *rec)
{
	return rec->gen;
}

enum scan_engine corpus_record_engine(const struct corpus_record *rec)
{
	return rec->engine;
}

void corpus_record_batch(const struct corpus_record *rec, struct corpus_batch *out)
{
	*out = rec->batch;
}

unsigned corpus_record_object_count(const struct corpus_record *rec)
{
	return rec->nobjects;
}

const struct corpus_object *corpus_record_object(const struct corpus_record *rec, unsigned i)
{
	return i < rec->nobjects ? &rec->objects[i] : NULL;
}

const struct corpus_object *corpus_record_find(const struct corpus_record *rec, uint64_t gma)
{
	size_t lo = 0, hi = rec->nmapped;
	const struct corpus_object *o;

	/* The last mapped object starting at or below gma. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rec->objects[rec->by_addr[mid]].gpu_address <= gma)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	o = &rec->objects[rec->by_addr[lo - 1]];
	return gma - o->gpu_address < o->size ? o : NULL;
}

/* --------------------------------------------------------- memory view */

static const void *record_map(void *ctx, enum scan_as as, uint64_t gma, size_t *len)
{
	const struct corpus_record *rec = ctx;
	const struct corpus_object *o;
	uint64_t hi = gma >> 47;

	if (len)
		*len = 0;
	if (!rec || as != SCAN_AS_PPGTT)
		return NULL;
	/* 48-bit form, or canonical form (bits 63:47 all ones). */
	if (hi != 0 && hi != 1 && hi != (UINT64_MAX >> 47))
		return NULL;
	gma = CORPUS_CANONICAL(gma);
	o = corpus_record_find(rec, gma);
	if (!o)
		return NULL;
	if (len)
		*len = (size_t)(o->size - (gma - o->gpu_address));
	return o->data + (gma - o->gpu_address);
}

struct scan_mem corpus_record_mem(const struct corpus_record *rec)
{
	struct scan_mem m = { record_map, (void *)rec };

	return m;
}
