// SPDX-License-Identifier: GPL-2.0
/*
 * sensor-ebpf: the reference "security sensor" of bootgate as an eBPF program.
 *
 * The same sensor as examples/agents/sensor-kmod: every exec (the sched_process_exec
 * tracepoint, BTF-typed: tp_btf) is counted, its 20 input values are gathered into a
 * per-CPU scratch array, and every rule of the content is matched against them.
 *
 * The content's rules are not read from a map at run time: the loader writes them into
 * `cfg` (.rodata) before the program is loaded, and libbpf freezes that map. The verifier
 * therefore knows every rule as a constant while it checks the program, including each
 * rule's field index. The lookup below has no bounds check of its own, exactly like the
 * kernel module's: `&in->v[r->field - 1]`. For content 290 the verifier proves every such
 * access inside the 20-entry array and the program loads; for content 291 (a rule on field
 * 21) it sees an access one entry past the end of the map value and REFUSES the program.
 * The machine boots; the sensor does not run; the loader says why.
 *
 * CO-RE: no vmlinux.h. The few kernel structs used are declared below with only the fields
 * read, marked preserve_access_index: libbpf relocates every access against the running
 * kernel's BTF (/sys/kernel/btf/vmlinux), so one object runs on 6.1 and 6.12 alike.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "sensor.h"

/* ------------------------------------------------ kernel types, CO-RE relocated */

typedef struct { __u32 val; } kuid_t;
typedef struct { __u32 val; } kgid_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t suid;
	kgid_t sgid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	const struct cred *cred;
	char comm[SENSOR_COMM_LEN];
} __attribute__((preserve_access_index));

struct linux_binprm {
	unsigned int have_execfd:1, execfd_creds:1, secureexec:1;
	int argc;
	int envc;
	const char *filename;
	const char *interp;
} __attribute__((preserve_access_index));

/* ------------------------------------------------------------------ globals */

/* Set by the loader before load; frozen: the verifier reads it as constants. */
const volatile struct sensor_config cfg = {};

/* Counters, read by `sensor-ebpf status` through the pinned .bss map. */
struct sensor_stats stats = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sensor_inputs);
} inputs SEC(".maps");

char LICENSE[] SEC("license") = "GPL";

/* ------------------------------------------------------------------ inputs */

static __always_inline void put_str(struct sensor_value *v, const char *src)
{
	long n = bpf_probe_read_kernel_str(v->s, sizeof(v->s), src);

	if (n < 1) {
		v->s[0] = '\0';
		n = 1;
	}
	v->n = n - 1;	/* the string's length */
}

static __always_inline void gather(struct sensor_inputs *in, struct task_struct *p, int old_pid,
				   struct linux_binprm *bprm)
{
	struct task_struct *parent = BPF_CORE_READ(p, real_parent);
	const struct cred *cred = BPF_CORE_READ(p, cred);

	put_str(&in->v[IN_FILENAME], BPF_CORE_READ(bprm, filename));
	put_str(&in->v[IN_INTERP], BPF_CORE_READ(bprm, interp));
	put_str(&in->v[IN_COMM], (const char *)__builtin_preserve_access_index(&p->comm));
	put_str(&in->v[IN_PARENT_COMM], (const char *)__builtin_preserve_access_index(&parent->comm));
	in->v[IN_PID].n = BPF_CORE_READ(p, pid);
	in->v[IN_TGID].n = BPF_CORE_READ(p, tgid);
	in->v[IN_PPID].n = BPF_CORE_READ(parent, tgid);
	in->v[IN_OLD_PID].n = old_pid;
	in->v[IN_UID].n = BPF_CORE_READ(cred, uid.val);
	in->v[IN_EUID].n = BPF_CORE_READ(cred, euid.val);
	in->v[IN_SUID].n = BPF_CORE_READ(cred, suid.val);
	in->v[IN_FSUID].n = BPF_CORE_READ(cred, fsuid.val);
	in->v[IN_GID].n = BPF_CORE_READ(cred, gid.val);
	in->v[IN_EGID].n = BPF_CORE_READ(cred, egid.val);
	in->v[IN_SGID].n = BPF_CORE_READ(cred, sgid.val);
	in->v[IN_FSGID].n = BPF_CORE_READ(cred, fsgid.val);
	in->v[IN_ARGC].n = BPF_CORE_READ(bprm, argc);
	in->v[IN_ENVC].n = BPF_CORE_READ(bprm, envc);
	in->v[IN_SECUREEXEC].n = BPF_CORE_READ_BITFIELD_PROBED(bprm, secureexec);
	in->v[IN_CPU].n = bpf_get_smp_processor_id();
}

/* ------------------------------------------------------------------- rules */

/*
 * Offsets into a string input are masked to the buffer (& (SENSOR_STR_LEN - 1)) where they are
 * added to the pointer: a bound the verifier keeps whatever the compiler spills (6.1 forgets a
 * bound learnt from a comparison on a register reloaded from the stack). The mask never changes
 * a valid offset: n, the string's length, is at most SENSOR_STR_LEN - 1.
 */
#define STR_AT(v, off) ((v)->s + ((off) & (SENSOR_STR_LEN - 1)))

#ifdef SENSOR_COMPAT
/*
 * The compat program (sensor-compat.bpf.o), for kernels without bpf_strncmp (before 5.17): the
 * loader falls back to it when the verifier refuses the full program for that helper. String
 * rules are not enforced there (reduced functionality, which `status` reports as unhealthy); the
 * input is still read (its length) so that the verifier checks every rule's field as before.
 */
static __always_inline bool str_match(const volatile struct sensor_rule *r, struct sensor_value *v)
{
	(void)r;
	return v->n < 0;	/* a length is never negative: no string rule matches */
}
#else
static __always_inline bool str_match(const volatile struct sensor_rule *r, struct sensor_value *v)
{
	const __u32 vlen = r->value_len;	/* a constant to the verifier */
	__s64 off, pos;

	if (r->op == OP_EXACT)
		return bpf_strncmp(v->s, sizeof(v->s), (const char *)r->value) == 0;
	if (vlen == 0 || vlen >= SENSOR_VALUE_LEN)
		return true;	/* an empty value is a prefix, suffix and part of everything */
	if (r->op == OP_PREFIX)
		return bpf_strncmp(v->s, vlen, (const char *)r->value) == 0;
	if (r->op == OP_SUFFIX) {
		off = v->n - vlen;
		if (off < 0)
			return false;
		return bpf_strncmp(STR_AT(v, off), vlen, (const char *)r->value) == 0;
	}
	/* OP_CONTAINS */
	for (pos = 0; pos < SENSOR_STR_LEN - 1; pos++) {
		if (pos + vlen > v->n)
			break;
		if (bpf_strncmp(STR_AT(v, pos), vlen, (const char *)r->value) == 0)
			return true;
	}
	return false;
}
#endif

static __always_inline bool rule_matches(const volatile struct sensor_rule *r, struct sensor_value *v)
{
	switch (r->op) {
	case OP_EXACT:
	case OP_PREFIX:
	case OP_SUFFIX:
	case OP_CONTAINS:
		return str_match(r, v);
	case OP_EQ:
		return v->n == r->num;
	case OP_NE:
		return v->n != r->num;
	case OP_LT:
		return v->n < r->num;
	case OP_GT:
		return v->n > r->num;
	}
	return false;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sensor_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	struct sensor_inputs *in;
	__u32 zero = 0;
	int i;

	__sync_fetch_and_add(&stats.execs, 1);
	if (cfg.nr_rules == 0)
		return 0;
	in = bpf_map_lookup_elem(&inputs, &zero);
	if (!in)
		return 0;
	gather(in, p, old_pid, bprm);

	for (i = 0; i < SENSOR_MAX_RULES; i++) {
		const volatile struct sensor_rule *r;

		if (i >= cfg.nr_rules)
			break;
		r = &cfg.rules[i];
		if (r->op != OP_ANY) {
			/*
			 * No bounds check here, as in the module: the field index is whatever the
			 * content said (validated against the template only). The verifier knows it
			 * and checks this access against the 20 entries of the map value.
			 */
			struct sensor_value *v = &in->v[r->field - 1];

			if (!rule_matches(r, v))
				continue;
		}
		__sync_fetch_and_add(&stats.hits[i], 1);
		__sync_fetch_and_add(&stats.matches, 1);
		if (r->log) {
			__sync_fetch_and_add(&stats.logged, 1);
			stats.last_log.rule = i + 1;
			stats.last_log.pid = in->v[IN_PID].n;
			stats.last_log.uid = in->v[IN_UID].n;
			bpf_probe_read_kernel(stats.last_log.filename, sizeof(stats.last_log.filename),
					      in->v[IN_FILENAME].s);
		}
	}
	return 0;
}
