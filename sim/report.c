/* SPDX-License-Identifier: MIT */
/*
 * The end-of-run report of `vgt sim`: the per-vGPU table with the
 * rejection, failure, engine and isolation-monitor summaries, and the same
 * as one JSON object (docs/SIM.md lists the fields).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "sim/sim_int.h"

static void rejects_line(const struct med_counters *c, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (unsigned k = 1; k < MED_RJ_SLOTS; k++) {
		if (!c->rejects[k])
			continue;
		const char *nm = med_reject_name(k);
		int w = snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "", nm ? nm : "?",
				 (unsigned long long)c->rejects[k]);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}

static void print_row(const struct sim_vgpu *v, FILE *f)
{
	char scan[32], check[64], busy[16], pname[17];
	snprintf(scan, sizeof(scan), "%.1f/%.1f", (double)v->scan_p50_ns / 1e3,
		 (double)v->scan_p99_ns / 1e3);
	if (v->attacks)
		snprintf(check, sizeof(check), "%s (%llu/%llu legal, %llu/%llu attacks)",
			 v->ok ? "ok" : "FAIL", (unsigned long long)v->legal_ok,
			 (unsigned long long)v->legal, (unsigned long long)v->attacks_ok,
			 (unsigned long long)v->attacks);
	else
		snprintf(check, sizeof(check), "%s (%llu/%llu)", v->ok ? "ok" : "FAIL",
			 (unsigned long long)v->legal_ok, (unsigned long long)v->legal);
	snprintf(busy, sizeof(busy), "%5.1f %-4s", v->busy_pct[v->busy_engine],
		 scan_engine_name(v->busy_engine));
	snprintf(pname, sizeof(pname), "%s", v->profile_name);
	fprintf(f, "%-4u %-16s %7llu %10llu %8llu %10s %6llu %7llu %7llu %14s  %s\n", v->id, pname,
		(unsigned long long)v->med.submissions, (unsigned long long)v->med.commands_scanned,
		(unsigned long long)v->med.rejected, busy, (unsigned long long)v->med.ggtt_writes,
		(unsigned long long)v->med.pt_writes,
		(unsigned long long)(v->med.mmio_reads + v->med.mmio_writes), scan, check);
}

static void print_escapes(const struct sim_result *r, FILE *f)
{
	fprintf(f, "\nisolation monitor: %llu escapes", (unsigned long long)r->escapes);
	if (r->escapes)
		fprintf(f, " in %llu workloads (%llu by privileged commands in non-privileged (PPGTT) "
			   "batches, which Gen8/9 hardware's privilege check refuses; %llu genuine)",
			(unsigned long long)r->escape_workloads, (unsigned long long)r->escapes_hw_refused,
			(unsigned long long)(r->escapes - r->escapes_hw_refused));
	fprintf(f, ".  result: %s\n",
		r->ok ? "ok (every self-check passed, every attack refused or stopped as expected)" : "FAILED");
}

int sim_report(const struct sim_result *r, FILE *f)
{
	fprintf(f, "vgt sim: %u vGPUs of type %s, Gen%u, %s policy, seed %llu%s: %.2f s wall, %.3f ms "
		   "virtual%s\n\n",
		r->nvgpus, med_vgpu_type_name(r->type), r->gen, scan_policy_name(r->policy),
		(unsigned long long)r->seed, r->deterministic ? ", deterministic" : "", r->wall_s,
		(double)r->virtual_ns / 1e6, r->interrupted ? " (interrupted)" : "");
	fprintf(f, "%-4s %-16s %7s %10s %8s %10s %6s %7s %7s %14s  %s\n", "vgpu", "profile", "submits",
		"cmds-scan", "rejected", "busy%", "ggtt", "pt-wr", "mmio", "scan p50/p99us", "self-check");
	for (unsigned i = 0; i < r->nvgpus; i++)
		print_row(&r->v[i], f);
	fprintf(f, "\nengines busy (of %.3f ms virtual):", (double)r->virtual_ns / 1e6);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		fprintf(f, " %s %.1f%%", scan_engine_name((enum scan_engine)e), r->busy_pct[e]);
	fputc('\n', f);

	bool any = false;
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct sim_vgpu *v = &r->v[i];
		if (!v->med.rejected)
			continue;
		if (!any)
			fprintf(f, "\nrejected workloads by reason:\n");
		any = true;
		char line[2048];
		rejects_line(&v->med, line, sizeof(line));
		fprintf(f, "  vgpu %u (%s): %s\n", v->id, v->profile_name, line);
		if (v->reboots)
			fprintf(f, "    %llu VM reboots after failsafe\n", (unsigned long long)v->reboots);
	}
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct sim_vgpu *v = &r->v[i];
		if (v->med.watchdog)
			fprintf(f, "  vgpu %u (%s): %llu workloads stopped by the watchdog\n", v->id,
				v->profile_name, (unsigned long long)v->med.watchdog);
	}
	any = false;
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct sim_vgpu *v = &r->v[i];
		if (v->ok)
			continue;
		if (!any)
			fprintf(f, "\nfailures:\n");
		any = true;
		fprintf(f, "  vgpu %u (%s): %s\n", v->id, v->profile_name, v->first_failure);
	}
	print_escapes(r, f);
	return ferror(f) ? -EIO : 0;
}


/* {"rcs":12.5,"bcs":0.0,...} */
static void json_engines(FILE *f, const double *pct)
{
	fputc('{', f);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		fprintf(f, "%s\"%s\":%.3f", e ? "," : "", scan_engine_name((enum scan_engine)e), pct[e]);
	fputc('}', f);
}

static void json_vgpu(const struct sim_vgpu *v, FILE *f)
{
	const struct med_counters *c = &v->med;
	fprintf(f, "{\"id\":%u,\"profile\":", v->id);
	vgt_json_str(f, v->profile_name);
	fprintf(f, ",\"submissions\":%llu,\"workloads\":%llu,\"completed\":%llu,\"rejected\":%llu,"
		   "\"watchdog\":%llu,\"rejects\":{",
		(unsigned long long)c->submissions, (unsigned long long)c->workloads,
		(unsigned long long)c->completed, (unsigned long long)c->rejected,
		(unsigned long long)c->watchdog);
	bool first = true;
	for (unsigned k = 1; k < MED_RJ_SLOTS; k++) {
		if (!c->rejects[k])
			continue;
		fprintf(f, "%s", first ? "" : ",");
		vgt_json_str(f, med_reject_name(k) ? med_reject_name(k) : "?");
		fprintf(f, ":%llu", (unsigned long long)c->rejects[k]);
		first = false;
	}
	fprintf(f, "},\"commands_scanned\":%llu,\"bytes_scanned\":%llu,\"busy_pct\":%.3f,"
		   "\"busy_engine\":\"%s\",\"busy_pct_engine\":",
		(unsigned long long)c->commands_scanned, (unsigned long long)c->bytes_scanned,
		v->busy_pct[v->busy_engine], scan_engine_name(v->busy_engine));
	json_engines(f, v->busy_pct);
	fprintf(f, ",\"ggtt_writes\":%llu,\"pt_writes\":%llu,\"mmio_reads\":%llu,\"mmio_writes\":%llu,"
		   "\"mmio_traps\":%llu,\"scans\":%llu,\"scan_p50_us\":%.3f,\"scan_p99_us\":%.3f,"
		   "\"legal\":%llu,\"legal_ok\":%llu,\"attacks\":%llu,\"attacks_ok\":%llu,"
		   "\"reboots\":%llu,\"escapes\":%llu,\"escape_workloads\":%llu,\"escapes_hw_refused\":%llu,"
		   "\"escapes_genuine\":%llu,\"consistent\":%s,\"self_check\":\"%s\","
		   "\"first_failure\":",
		(unsigned long long)c->ggtt_writes, (unsigned long long)c->pt_writes,
		(unsigned long long)c->mmio_reads, (unsigned long long)c->mmio_writes,
		(unsigned long long)(c->mmio_reads + c->mmio_writes), (unsigned long long)v->scans,
		(double)v->scan_p50_ns / 1e3, (double)v->scan_p99_ns / 1e3,
		(unsigned long long)v->legal, (unsigned long long)v->legal_ok,
		(unsigned long long)v->attacks, (unsigned long long)v->attacks_ok,
		(unsigned long long)v->reboots, (unsigned long long)v->escapes,
		(unsigned long long)v->escape_workloads, (unsigned long long)v->escapes_hw_refused,
		(unsigned long long)(v->escapes - v->escapes_hw_refused),
		v->consistent ? "true" : "false", v->ok ? "ok" : "fail");
	vgt_json_str(f, v->first_failure);
	fputc('}', f);
}

int sim_report_json(const struct sim_result *r, FILE *f)
{
	fprintf(f, "{\"vgpus\":%u,\"type\":\"%s\",\"gen\":%u,\"policy\":\"%s\",\"seed\":%llu,"
		   "\"deterministic\":%s,\"wall_s\":%.6f,\"virtual_ns\":%llu,\"cycles_per_us\":%u,"
		   "\"busy_pct_engine\":",
		r->nvgpus, med_vgpu_type_name(r->type), r->gen, scan_policy_name(r->policy),
		(unsigned long long)r->seed, r->deterministic ? "true" : "false", r->wall_s,
		(unsigned long long)r->virtual_ns, r->cycles_per_us);
	json_engines(f, r->busy_pct);
	fprintf(f, ",\"escapes\":%llu,\"escape_workloads\":%llu,\"escapes_hw_refused\":%llu,"
		   "\"escapes_genuine\":%llu,\"interrupted\":%s,\"ok\":%s,\"shm\":",
		(unsigned long long)r->escapes, (unsigned long long)r->escape_workloads,
		(unsigned long long)r->escapes_hw_refused,
		(unsigned long long)(r->escapes - r->escapes_hw_refused),
		r->interrupted ? "true" : "false", r->ok ? "true" : "false");
	vgt_json_str(f, r->shm_name);
	fprintf(f, ",\"per_vgpu\":[");
	for (unsigned i = 0; i < r->nvgpus; i++) {
		if (i)
			fputc(',', f);
		json_vgpu(&r->v[i], f);
	}
	fprintf(f, "]}\n");
	return ferror(f) ? -EIO : 0;
}
