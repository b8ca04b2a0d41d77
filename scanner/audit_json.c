/* SPDX-License-Identifier: MIT */
/*
 * A scan result as one JSON object (the `vgt scan --json` output; schema in
 * docs/AUDIT.md).  Addresses and values are hex strings ("0x..."), so no
 * consumer loses bits to a double.  Strings are written by common/
 * (vgt_json_str: escaped, a missing name as null).
 */
#include <errno.h>
#include <stdio.h>

#include "common/common.h"
#include "scanner/audit_priv.h"

int scan_result_json(const struct scan_result *r, enum scan_policy pol, FILE *f)
{
	if (!r || !f)
		return -EINVAL;
	fprintf(f, "{\"verdict\":\"%s\",\"policy\":", r->pass ? "pass" : "violation");
	vgt_json_str(f, scan_policy_name(pol));
	fprintf(f, ",\"would_reject\":%s", r->nviolations ? "true" : "false");
	fprintf(f, ",\"commands\":%llu,\"bytes\":%llu", (unsigned long long)r->commands,
		(unsigned long long)r->bytes);

	fputs(",\"violations\":[", f);
	for (unsigned i = 0; i < r->nviolations; i++) {
		const struct scan_violation *v = &r->violations[i];

		fputs(i ? ",{" : "{", f);
		fputs("\"reason\":", f);
		vgt_json_str(f, scan_reason_name((enum scan_reason)v->reason));
		fprintf(f, ",\"code\":%u,\"buffer\":", v->reason);
		vgt_json_str(f, scan_buf_kind_name((enum scan_buf_kind)v->buffer));
		fputs(",\"as\":", f);
		vgt_json_str(f, scan_as_name((enum scan_as)v->as));
		fprintf(f, ",\"offset\":%u,\"gma\":", v->offset);
		vgt_json_hex(f, v->gma);
		fputs(",\"command\":", f);
		vgt_json_str(f, v->command);
		fputs(",\"value\":", f);
		vgt_json_hex(f, v->value);
		fputs(",\"message\":", f);
		vgt_json_str(f, v->message);
		fputc('}', f);
	}
	fprintf(f, "],\"violations_truncated\":%s", r->violations_truncated ? "true" : "false");

	fputs(",\"shadows\":[", f);
	for (unsigned i = 0; i < r->nshadows; i++) {
		const struct scan_shadow *s = &r->shadows[i];

		fputs(i ? ",{" : "{", f);
		fputs("\"kind\":", f);
		vgt_json_str(f, scan_buf_kind_name((enum scan_buf_kind)s->kind));
		fputs(",\"as\":", f);
		vgt_json_str(f, scan_as_name((enum scan_as)s->as));
		fputs(",\"gma\":", f);
		vgt_json_hex(f, s->gma);
		fputs(",\"shadow_gma\":", f);
		vgt_json_hex(f, s->shadow_gma);
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
		vgt_json_str(f, scan_event_name((enum scan_event_kind)e->kind));
		fputs(",\"buffer\":", f);
		vgt_json_str(f, scan_buf_kind_name((enum scan_buf_kind)e->buffer));
		fprintf(f, ",\"shadow\":%u,\"offset\":%u,\"gma\":", e->shadow, e->offset);
		vgt_json_hex(f, e->gma);
		fputs(",\"value\":", f);
		vgt_json_hex(f, e->value);
		fputc('}', f);
	}
	fputs("],\"patches\":[", f);
	for (unsigned i = 0; i < r->npatches; i++) {
		const struct scan_patch *p = &r->patches[i];

		fputs(i ? ",{" : "{", f);
		fputs("\"kind\":", f);
		vgt_json_str(f, scan_patch_name((enum scan_patch_kind)p->kind));
		fprintf(f, ",\"shadow\":%u,\"offset\":%u,\"dwords\":%u,\"old\":", p->shadow,
			p->offset, p->dwords);
		vgt_json_hex(f, p->old_value);
		fputs(",\"new\":", f);
		vgt_json_hex(f, p->new_value);
		fputc('}', f);
	}
	fputs("]}\n", f);
	return ferror(f) ? -EIO : 0;
}
