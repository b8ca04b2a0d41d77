/* SPDX-License-Identifier: MIT */
/*
 * A scan result as one JSON object (the `vgt scan --json` output; schema in
 * docs/AUDIT.md).  Addresses and values are hex strings ("0x..."), so no
 * consumer loses bits to a double.
 */
#include <errno.h>
#include <stdio.h>

#include "scanner/audit_priv.h"

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void jhex(FILE *f, uint64_t v)
{
	fprintf(f, "\"0x%llx\"", (unsigned long long)v);
}

int scan_result_json(const struct scan_result *r, enum scan_policy pol, FILE *f)
{
	if (!r || !f)
		return -EINVAL;
	fprintf(f, "{\"verdict\":\"%s\",\"policy\":", r->pass ? "pass" : "violation");
	jstr(f, scan_policy_name(pol));
	fprintf(f, ",\"would_reject\":%s", r->nviolations ? "true" : "false");
	fprintf(f, ",\"commands\":%llu,\"bytes\":%llu", (unsigned long long)r->commands,
		(unsigned long long)r->bytes);

	fputs(",\"violations\":[", f);
	for (unsigned i = 0; i < r->nviolations; i++) {
		const struct scan_violation *v = &r->violations[i];

		fputs(i ? ",{" : "{", f);
		fputs("\"reason\":", f);
		jstr(f, scan_reason_name((enum scan_reason)v->reason));
		fprintf(f, ",\"code\":%u,\"buffer\":", v->reason);
		jstr(f, scan_buf_kind_name((enum scan_buf_kind)v->buffer));
		fputs(",\"as\":", f);
		jstr(f, scan_as_name((enum scan_as)v->as));
		fprintf(f, ",\"offset\":%u,\"gma\":", v->offset);
		jhex(f, v->gma);
		fputs(",\"command\":", f);
		jstr(f, v->command);
		fputs(",\"value\":", f);
		jhex(f, v->value);
		fputs(",\"message\":", f);
		jstr(f, v->message);
		fputc('}', f);
	}
	fprintf(f, "],\"violations_truncated\":%s", r->violations_truncated ? "true" : "false");

	fputs(",\"shadows\":[", f);
	for (unsigned i = 0; i < r->nshadows; i++) {
		const struct scan_shadow *s = &r->shadows[i];

		fputs(i ? ",{" : "{", f);
		fputs("\"kind\":", f);
		jstr(f, scan_buf_kind_name((enum scan_buf_kind)s->kind));
		fputs(",\"as\":", f);
		jstr(f, scan_as_name((enum scan_as)s->as));
		fputs(",\"gma\":", f);
		jhex(f, s->gma);
		fputs(",\"shadow_gma\":", f);
		jhex(f, s->shadow_gma);
		fprintf(f, ",\"bytes\":%u,\"size\":%u,\"commands\":%u", s->bytes, s->size,
			s->commands);
		if (s->parent == 0xffff)
			fputs(",\"parent\":null}", f);
		else
			fprintf(f, ",\"parent\":%u}", s->parent);
	}
	fputs("],\"events\":[", f);
	for (unsigned i = 0; i < r->nevents; i++) {
		const struct scan_event *e = &r->events[i];

		fputs(i ? ",{" : "{", f);
		fputs("\"kind\":", f);
		jstr(f, scan_event_name((enum scan_event_kind)e->kind));
		fputs(",\"buffer\":", f);
		jstr(f, scan_buf_kind_name((enum scan_buf_kind)e->buffer));
		fprintf(f, ",\"shadow\":%u,\"offset\":%u,\"gma\":", e->shadow, e->offset);
		jhex(f, e->gma);
		fputs(",\"value\":", f);
		jhex(f, e->value);
		fputc('}', f);
	}
	fputs("],\"patches\":[", f);
	for (unsigned i = 0; i < r->npatches; i++) {
		const struct scan_patch *p = &r->patches[i];

		fputs(i ? ",{" : "{", f);
		fputs("\"kind\":", f);
		jstr(f, scan_patch_name((enum scan_patch_kind)p->kind));
		fprintf(f, ",\"shadow\":%u,\"offset\":%u,\"dwords\":%u,\"old\":", p->shadow,
			p->offset, p->dwords);
		jhex(f, p->old_value);
		fputs(",\"new\":", f);
		jhex(f, p->new_value);
		fputc('}', f);
	}
	fputs("]}\n", f);
	return ferror(f) ? -EIO : 0;
}
