// SPDX-License-Identifier: GPL-2.0
/*
 * sensor: the reference "security sensor" agent of bootgate.
 *
 * At load time it reads a content ("channel") file, parses it into rules and
 * hooks process execution (the sched_process_exec tracepoint).  Every exec is
 * counted and matched against the rules.  The count, the content version and a
 * few other numbers are exported read-only in /sys/module/sensor/parameters/
 * and /proc/sensor.
 *
 * THIS MODULE CONTAINS A DELIBERATE, REAL BUG (see README.md), modelled on the
 * July 2024 channel-file incident: a template may declare 21 fields while the
 * interpreter only supplies 20 input values.  The parser sizes its field-pointer
 * array from the template, fills only 20 slots, and validates rule field
 * indexes against the template.  A non-wildcard rule on field 21 therefore
 * makes sensor_parse_channel() dereference an unfilled (NULL) slot: a genuine
 * kernel NULL pointer dereference, not a panic() or BUG() call.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/binfmts.h>
#include <linux/build_bug.h>
#include <linux/cred.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kernel_read_file.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uidgid.h>
#include <linux/vmalloc.h>

/*
 * Both are set at build time by make variables (see Kbuild), so one source gives several
 * builds: `make SENSOR_VERSION=2.2.0-slow SENSOR_EXTRA_NS=50000`.
 */
#ifndef SENSOR_VERSION
#define SENSOR_VERSION		"2.1.0"
#endif
/* A known added cost per exec, in nanoseconds of busy waiting in the exec hook (0: none). */
#ifndef SENSOR_EXTRA_NS
#define SENSOR_EXTRA_NS		0
#endif
#if SENSOR_EXTRA_NS < 0 || SENSOR_EXTRA_NS > 100000000
#error "SENSOR_EXTRA_NS must be 0..100000000 (nanoseconds per exec)"
#endif
#define SENSOR_DEFAULT_CONTENT	"/var/lib/sensor/channel.txt"
#define SENSOR_MAX_CONTENT	(1 << 20)
#define SENSOR_MAX_FIELDS	32
#define SENSOR_MAX_RULES	256
#define SENSOR_NAME_LEN		32

/* ---------------------------------------------------------------- inputs */

enum sensor_type { SENSOR_STR, SENSOR_INT };

/* What the interpreter knows about one input value. */
struct sensor_field {
	const char *name;
	enum sensor_type type;
};

/* The input values the interpreter supplies for every exec event: 20 of them. */
enum {
	IN_FILENAME, IN_INTERP, IN_COMM, IN_PARENT_COMM,
	IN_PID, IN_TGID, IN_PPID, IN_OLD_PID,
	IN_UID, IN_EUID, IN_SUID, IN_FSUID,
	IN_GID, IN_EGID, IN_SGID, IN_FSGID,
	IN_ARGC, IN_ENVC, IN_SECUREEXEC, IN_CPU,
	SENSOR_NR_INPUTS
};
static_assert(SENSOR_NR_INPUTS == 20);

static const struct sensor_field sensor_inputs[SENSOR_NR_INPUTS] = {
	[IN_FILENAME]	 = { "filename",	SENSOR_STR },
	[IN_INTERP]	 = { "interp",		SENSOR_STR },
	[IN_COMM]	 = { "comm",		SENSOR_STR },
	[IN_PARENT_COMM] = { "parent_comm",	SENSOR_STR },
	[IN_PID]	 = { "pid",		SENSOR_INT },
	[IN_TGID]	 = { "tgid",		SENSOR_INT },
	[IN_PPID]	 = { "ppid",		SENSOR_INT },
	[IN_OLD_PID]	 = { "old_pid",		SENSOR_INT },
	[IN_UID]	 = { "uid",		SENSOR_INT },
	[IN_EUID]	 = { "euid",		SENSOR_INT },
	[IN_SUID]	 = { "suid",		SENSOR_INT },
	[IN_FSUID]	 = { "fsuid",		SENSOR_INT },
	[IN_GID]	 = { "gid",		SENSOR_INT },
	[IN_EGID]	 = { "egid",		SENSOR_INT },
	[IN_SGID]	 = { "sgid",		SENSOR_INT },
	[IN_FSGID]	 = { "fsgid",		SENSOR_INT },
	[IN_ARGC]	 = { "argc",		SENSOR_INT },
	[IN_ENVC]	 = { "envc",		SENSOR_INT },
	[IN_SECUREEXEC]	 = { "secureexec",	SENSOR_INT },
	[IN_CPU]	 = { "cpu",		SENSOR_INT },
};

struct sensor_value {
	const char *s;
	long long n;
};

/* ----------------------------------------------------------------- rules */

enum sensor_op {
	OP_ANY,		/* wildcard: matches everything, the field is never looked at */
	OP_EXACT, OP_PREFIX, OP_SUFFIX, OP_CONTAINS,	/* string fields */
	OP_EQ, OP_NE, OP_LT, OP_GT,			/* integer fields */
};

static const struct {
	const char *name;
	enum sensor_type type;
} sensor_ops[] = {
	[OP_ANY]	= { "any",	SENSOR_STR },
	[OP_EXACT]	= { "exact",	SENSOR_STR },
	[OP_PREFIX]	= { "prefix",	SENSOR_STR },
	[OP_SUFFIX]	= { "suffix",	SENSOR_STR },
	[OP_CONTAINS]	= { "contains",	SENSOR_STR },
	[OP_EQ]		= { "eq",	SENSOR_INT },
	[OP_NE]		= { "ne",	SENSOR_INT },
	[OP_LT]		= { "lt",	SENSOR_INT },
	[OP_GT]		= { "gt",	SENSOR_INT },
};

struct sensor_rule {
	char name[SENSOR_NAME_LEN];
	unsigned int field;	/* 1-based, as written in the content */
	enum sensor_op op;
	bool log;
	const char *value;	/* points into sensor_channel.text */
	size_t value_len;
	long long num;
	atomic64_t hits;
};

struct sensor_channel {
	unsigned int version;
	unsigned int nr_fields;	/* declared by the template line */
	unsigned int nr_rules;
	struct sensor_rule *rules;
	char *text;		/* NUL-terminated copy of the content file */
};

static struct sensor_channel sensor_ch;
static atomic64_t sensor_execs = ATOMIC64_INIT(0);
static atomic64_t sensor_matches = ATOMIC64_INIT(0);
static struct tracepoint *sensor_tp;

/* ------------------------------------------------------------ parameters */

static char *content = SENSOR_DEFAULT_CONTENT;
module_param(content, charp, 0444);
MODULE_PARM_DESC(content, "path of the content (channel) file, read once at load time");

/*
 * The agent's own safe mode, for a machine that boot-loops on bad content: set for one boot on
 * the kernel command line (sensor.safe_mode=1; modprobe, kmod's and busybox's, passes it), the
 * module loads without reading any content, so the operator can fix the content over the network.
 */
static bool safe_mode;
module_param(safe_mode, bool, 0444);
MODULE_PARM_DESC(safe_mode, "load without content: no rules, execs still counted (a recovery boot)");

static int sensor_param_ro(const char *val, const struct kernel_param *kp)
{
	pr_err("parameter %s is read-only\n", kp->name);
	return -EPERM;
}

static int sensor_get_str(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", (const char *)kp->arg);
}

static int sensor_get_uint(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%u\n", *(const unsigned int *)kp->arg);
}

static int sensor_get_counter(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%lld\n", (long long)atomic64_read((atomic64_t *)kp->arg));
}

static const struct kernel_param_ops sensor_ro_str_ops = {
	.set = sensor_param_ro, .get = sensor_get_str,
};
static const struct kernel_param_ops sensor_ro_uint_ops = {
	.set = sensor_param_ro, .get = sensor_get_uint,
};
static const struct kernel_param_ops sensor_ro_counter_ops = {
	.set = sensor_param_ro, .get = sensor_get_counter,
};

static char sensor_version[] = SENSOR_VERSION;
module_param_cb(version, &sensor_ro_str_ops, sensor_version, 0444);
MODULE_PARM_DESC(version, "sensor version (read-only)");
module_param_cb(content_version, &sensor_ro_uint_ops, &sensor_ch.version, 0444);
MODULE_PARM_DESC(content_version, "version of the loaded content, from its channel line (read-only)");
module_param_cb(fields, &sensor_ro_uint_ops, &sensor_ch.nr_fields, 0444);
MODULE_PARM_DESC(fields, "field count declared by the content template (read-only)");
module_param_cb(rules, &sensor_ro_uint_ops, &sensor_ch.nr_rules, 0444);
MODULE_PARM_DESC(rules, "number of active rules (read-only)");
module_param_cb(execs, &sensor_ro_counter_ops, &sensor_execs, 0444);
MODULE_PARM_DESC(execs, "process executions seen since load (read-only)");
module_param_cb(matches, &sensor_ro_counter_ops, &sensor_matches, 0444);
MODULE_PARM_DESC(matches, "rule matches since load (read-only)");

/* ---------------------------------------------------------------- parser */

static char *sensor_next_token(char **cursor)
{
	char *tok;

	do {
		tok = strsep(cursor, " \t");
	} while (tok && !*tok);
	return tok;
}

static int sensor_parse_header(char *line, unsigned int lineno, unsigned int *version)
{
	char *kw = sensor_next_token(&line);
	char *num = sensor_next_token(&line);

	if (!kw || strcmp(kw, "channel") || !num || sensor_next_token(&line) ||
	    kstrtouint(num, 10, version)) {
		pr_err("content line %u: expected `channel <version>`\n", lineno);
		return -EINVAL;
	}
	return 0;
}

static int sensor_parse_template(char *line, unsigned int lineno, unsigned int *nr_fields)
{
	char *kw = sensor_next_token(&line);
	char *arg = sensor_next_token(&line);

	if (!kw || strcmp(kw, "template") || !arg || strncmp(arg, "fields=", 7) ||
	    sensor_next_token(&line) || kstrtouint(arg + 7, 10, nr_fields)) {
		pr_err("content line %u: expected `template fields=<n>`\n", lineno);
		return -EINVAL;
	}
	if (*nr_fields < 1 || *nr_fields > SENSOR_MAX_FIELDS) {
		pr_err("content line %u: template fields=%u out of range 1..%d\n",
		       lineno, *nr_fields, SENSOR_MAX_FIELDS);
		return -ERANGE;
	}
	return 0;
}

static int sensor_lookup_op(const char *name, enum sensor_op *op)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sensor_ops); i++) {
		if (!strcmp(name, sensor_ops[i].name)) {
			*op = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* `rule <name> field=<n> op=<op> [value=<token>] [action=log|count]` */
static int sensor_parse_rule(char *line, unsigned int lineno, struct sensor_rule *r)
{
	char *kw = sensor_next_token(&line);
	char *name = sensor_next_token(&line);
	char *tok;
	bool have_field = false, have_op = false;

	if (!kw || strcmp(kw, "rule") || !name) {
		pr_err("content line %u: expected `rule <name> field=<n> op=<op> value=<v>`\n", lineno);
		return -EINVAL;
	}
	if (strscpy(r->name, name, sizeof(r->name)) < 0) {
		pr_err("content line %u: rule name longer than %d bytes\n", lineno, SENSOR_NAME_LEN - 1);
		return -EINVAL;
	}
	r->value = NULL;
	r->value_len = 0;
	r->log = false;
	while ((tok = sensor_next_token(&line))) {
		if (!strncmp(tok, "field=", 6)) {
			if (kstrtouint(tok + 6, 10, &r->field))
				goto bad_token;
			have_field = true;
		} else if (!strncmp(tok, "op=", 3)) {
			if (sensor_lookup_op(tok + 3, &r->op))
				goto bad_token;
			have_op = true;
		} else if (!strncmp(tok, "value=", 6)) {
			r->value = tok + 6;
			r->value_len = strlen(r->value);
		} else if (!strcmp(tok, "action=log")) {
			r->log = true;
		} else if (!strcmp(tok, "action=count")) {
			r->log = false;
		} else {
			goto bad_token;
		}
	}
	/* `value=*` is the wildcard spelling of op=any. */
	if (r->value && !strcmp(r->value, "*")) {
		r->op = OP_ANY;
		have_op = true;
	}
	if (!have_field || !have_op) {
		pr_err("content line %u: rule %s needs field= and op=\n", lineno, r->name);
		return -EINVAL;
	}
	if (r->op != OP_ANY && !r->value) {
		pr_err("content line %u: rule %s needs value=\n", lineno, r->name);
		return -EINVAL;
	}
	if (r->op != OP_ANY && sensor_ops[r->op].type == SENSOR_INT &&
	    kstrtoll(r->value, 0, &r->num)) {
		pr_err("content line %u: rule %s: value=%s is not an integer\n", lineno, r->name, r->value);
		return -EINVAL;
	}
	atomic64_set(&r->hits, 0);
	return 0;

bad_token:
	pr_err("content line %u: rule %s: bad token `%s`\n", lineno, r->name, tok);
	return -EINVAL;
}

/*
 * Parse the content text (modified in place) into ch.  noinline and __noclone
 * (no .constprop/.isra copies) so that a fault in here is reported under
 * exactly this name in RIP and in the call trace.
 */
static noinline __noclone int sensor_parse_channel(char *text, struct sensor_channel *ch)
{
	const struct sensor_field **fields = NULL;	/* the field-pointer array */
	char *cursor = text, *line;
	unsigned int lineno = 0, i;
	int stage = 0, err = 0;

	while ((line = strsep(&cursor, "\n"))) {
		struct sensor_rule *r;

		lineno++;
		line = strim(line);
		if (!*line || *line == '#')
			continue;

		if (stage == 0) {
			err = sensor_parse_header(line, lineno, &ch->version);
			if (err)
				goto out;
			stage = 1;
			continue;
		}

		if (stage == 1) {
			err = sensor_parse_template(line, lineno, &ch->nr_fields);
			if (err)
				goto out;
			/* Sized from the template ... */
			fields = kcalloc(ch->nr_fields, sizeof(*fields), GFP_KERNEL);
			ch->rules = kcalloc(SENSOR_MAX_RULES, sizeof(*ch->rules), GFP_KERNEL);
			if (!fields || !ch->rules) {
				err = -ENOMEM;
				goto out;
			}
			/* ... but filled from the interpreter, which supplies only 20 inputs. */
			for (i = 0; i < ch->nr_fields && i < SENSOR_NR_INPUTS; i++)
				fields[i] = &sensor_inputs[i];
			stage = 2;
			continue;
		}

		if (ch->nr_rules == SENSOR_MAX_RULES) {
			pr_err("content line %u: more than %d rules\n", lineno, SENSOR_MAX_RULES);
			err = -E2BIG;
			goto out;
		}
		r = &ch->rules[ch->nr_rules];
		err = sensor_parse_rule(line, lineno, r);
		if (err)
			goto out;

		/* BUG (deliberate): checked against the template, not SENSOR_NR_INPUTS. */
		if (r->field < 1 || r->field > ch->nr_fields) {
			pr_err("content line %u: rule %s: field=%u outside the template (1..%u)\n",
			       lineno, r->name, r->field, ch->nr_fields);
			err = -ERANGE;
			goto out;
		}

		/*
		 * Bind the criterion to its input: the operator must fit the field's
		 * type.  A wildcard never looks at the field.  For field 21 of a
		 * 21-field template the slot was never filled: f is NULL here.
		 */
		if (r->op != OP_ANY) {
			const struct sensor_field *f = fields[r->field - 1];

			if (f->type != sensor_ops[r->op].type) {
				pr_err("content line %u: rule %s: op=%s does not apply to field %u (%s)\n",
				       lineno, r->name, sensor_ops[r->op].name, r->field, f->name);
				err = -EINVAL;
				goto out;
			}
		}
		ch->nr_rules++;
	}

	if (stage < 2) {
		pr_err("content: missing %s line\n", stage == 0 ? "`channel <version>`" : "`template fields=<n>`");
		err = -EINVAL;
	}
out:
	kfree(fields);
	return err;
}

static void sensor_free_channel(struct sensor_channel *ch)
{
	kfree(ch->rules);
	kfree(ch->text);
	memset(ch, 0, sizeof(*ch));
}

static int sensor_load_content(const char *path, struct sensor_channel *ch)
{
	void *raw = NULL;
	size_t file_size = 0;
	ssize_t n;
	int err;

	/*
	 * READING_POLICY, not READING_UNKNOWN: 6.12's IPE LSM has no rule for an unknown read
	 * and WARNs on every one (bootgate's kernel-matrix suite caught this on 6.12 only).
	 */
	n = kernel_read_file_from_path(path, 0, &raw, SENSOR_MAX_CONTENT, &file_size, READING_POLICY);
	if (n < 0) {
		pr_err("cannot read content %s: error %zd\n", path, n);
		return n;
	}
	if (memchr(raw, '\0', n)) {
		pr_err("content %s is not a text file (contains NUL bytes)\n", path);
		vfree(raw);
		return -EINVAL;
	}
	ch->text = kmalloc(n + 1, GFP_KERNEL);
	if (!ch->text) {
		vfree(raw);
		return -ENOMEM;
	}
	memcpy(ch->text, raw, n);
	ch->text[n] = '\0';
	vfree(raw);

	err = sensor_parse_channel(ch->text, ch);
	if (err) {
		pr_err("content %s rejected: error %d\n", path, err);
		sensor_free_channel(ch);
	}
	return err;
}

/* ------------------------------------------------------------- exec hook */

static bool sensor_rule_matches(const struct sensor_rule *r, const struct sensor_value *v)
{
	const char *s = v->s ? v->s : "";
	size_t len;

	switch (r->op) {
	case OP_ANY:
		return true;
	case OP_EXACT:
		return !strcmp(s, r->value);
	case OP_PREFIX:
		return !strncmp(s, r->value, r->value_len);
	case OP_SUFFIX:
		len = strlen(s);
		return len >= r->value_len && !strcmp(s + len - r->value_len, r->value);
	case OP_CONTAINS:
		return strstr(s, r->value) != NULL;
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

/*
 * The deliberate slowness of a "slow" build: spin for ns nanoseconds (the probe runs with
 * preemption disabled, like most real exec hooks, so this is CPU time every exec pays).
 */
static noinline void sensor_extra_cost(u64 ns)
{
	u64 end = ktime_get_ns() + ns;

	while (ktime_get_ns() < end)
		cpu_relax();
}

/* Runs for every successful execve, in the context of the new program. */
static void sensor_exec_probe(void *data, struct task_struct *p, pid_t old_pid,
			      struct linux_binprm *bprm)
{
	const struct sensor_channel *ch = &sensor_ch;
	struct sensor_value v[SENSOR_NR_INPUTS] = {};
	char comm[TASK_COMM_LEN], pcomm[TASK_COMM_LEN];
	const struct cred *cred = current_cred();
	struct task_struct *parent;
	unsigned int i;

	atomic64_inc(&sensor_execs);
	if (SENSOR_EXTRA_NS)
		sensor_extra_cost(SENSOR_EXTRA_NS);
	if (!ch->nr_rules)
		return;

	get_task_comm(comm, p);
	rcu_read_lock();
	parent = rcu_dereference(p->real_parent);
	get_task_comm(pcomm, parent);
	v[IN_PPID].n = task_tgid_nr(parent);
	rcu_read_unlock();

	v[IN_FILENAME].s = bprm->filename;
	v[IN_INTERP].s = bprm->interp;
	v[IN_COMM].s = comm;
	v[IN_PARENT_COMM].s = pcomm;
	v[IN_PID].n = task_pid_nr(p);
	v[IN_TGID].n = task_tgid_nr(p);
	v[IN_OLD_PID].n = old_pid;
	v[IN_UID].n = from_kuid_munged(&init_user_ns, cred->uid);
	v[IN_EUID].n = from_kuid_munged(&init_user_ns, cred->euid);
	v[IN_SUID].n = from_kuid_munged(&init_user_ns, cred->suid);
	v[IN_FSUID].n = from_kuid_munged(&init_user_ns, cred->fsuid);
	v[IN_GID].n = from_kgid_munged(&init_user_ns, cred->gid);
	v[IN_EGID].n = from_kgid_munged(&init_user_ns, cred->egid);
	v[IN_SGID].n = from_kgid_munged(&init_user_ns, cred->sgid);
	v[IN_FSGID].n = from_kgid_munged(&init_user_ns, cred->fsgid);
	v[IN_ARGC].n = bprm->argc;
	v[IN_ENVC].n = bprm->envc;
	v[IN_SECUREEXEC].n = bprm->secureexec;
	v[IN_CPU].n = raw_smp_processor_id();

	for (i = 0; i < ch->nr_rules; i++) {
		struct sensor_rule *r = &ch->rules[i];

		if (r->op != OP_ANY && r->field > SENSOR_NR_INPUTS)
			continue;	/* unreachable: such content never loads */
		if (r->op != OP_ANY && !sensor_rule_matches(r, &v[r->field - 1]))
			continue;
		atomic64_inc(&r->hits);
		atomic64_inc(&sensor_matches);
		if (r->log)
			pr_info_ratelimited("rule %s matched %s (pid %lld uid %lld)\n",
					    r->name, v[IN_FILENAME].s, v[IN_PID].n, v[IN_UID].n);
	}
}

static void sensor_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exec"))
		*(struct tracepoint **)priv = tp;
}

static int sensor_hook_exec(void)
{
	int err;

	/* __tracepoint_sched_process_exec is not exported: find it by name. */
	for_each_kernel_tracepoint(sensor_find_tracepoint, &sensor_tp);
	if (!sensor_tp) {
		pr_err("tracepoint sched_process_exec not found\n");
		return -ENOENT;
	}
	err = tracepoint_probe_register(sensor_tp, (void *)sensor_exec_probe, NULL);
	if (err) {
		pr_err("cannot attach to sched_process_exec: error %d\n", err);
		sensor_tp = NULL;
	}
	return err;
}

static void sensor_unhook_exec(void)
{
	if (!sensor_tp)
		return;
	tracepoint_probe_unregister(sensor_tp, (void *)sensor_exec_probe, NULL);
	tracepoint_synchronize_unregister();
	sensor_tp = NULL;
}

/* ---------------------------------------------------------------- /proc */

static int sensor_proc_show(struct seq_file *m, void *unused)
{
	const struct sensor_channel *ch = &sensor_ch;
	unsigned int i;

	seq_printf(m, "version %s\n", SENSOR_VERSION);
	seq_printf(m, "content %s\n", content);
	seq_printf(m, "safe_mode %d\n", safe_mode);
	seq_printf(m, "content_version %u\n", ch->version);
	seq_printf(m, "fields %u\n", ch->nr_fields);
	seq_printf(m, "inputs %d\n", SENSOR_NR_INPUTS);
	seq_printf(m, "rules %u\n", ch->nr_rules);
	seq_printf(m, "execs %lld\n", (long long)atomic64_read(&sensor_execs));
	seq_printf(m, "matches %lld\n", (long long)atomic64_read(&sensor_matches));
	for (i = 0; i < ch->nr_rules; i++) {
		const struct sensor_rule *r = &ch->rules[i];

		seq_printf(m, "rule %s field=%u op=%s value=%s action=%s hits=%lld\n",
			   r->name, r->field, sensor_ops[r->op].name,
			   r->value ? r->value : "*", r->log ? "log" : "count",
			   (long long)atomic64_read(&r->hits));
	}
	return 0;
}

/* ----------------------------------------------------------- init / exit */

static int __init sensor_init(void)
{
	int err;

	if (safe_mode) {
		pr_info("loaded version %s in safe mode: content %s not read\n", SENSOR_VERSION, content);
	} else {
		err = sensor_load_content(content, &sensor_ch);
		if (err)
			return err;
		pr_info("loaded version %s content %u fields %u\n",
			SENSOR_VERSION, sensor_ch.version, sensor_ch.nr_fields);
	}

	if (!proc_create_single("sensor", 0444, NULL, sensor_proc_show)) {
		err = -ENOMEM;
		goto free;
	}
	err = sensor_hook_exec();
	if (err)
		goto proc;
	pr_info("watching exec with %u rules from %s\n", sensor_ch.nr_rules, content);
	return 0;

proc:
	remove_proc_entry("sensor", NULL);
free:
	sensor_free_channel(&sensor_ch);
	return err;
}

static void __exit sensor_exit(void)
{
	sensor_unhook_exec();
	remove_proc_entry("sensor", NULL);
	pr_info("unloaded after %lld execs\n", (long long)atomic64_read(&sensor_execs));
	sensor_free_channel(&sensor_ch);
}

module_init(sensor_init);
module_exit(sensor_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("bootgate");
MODULE_DESCRIPTION("bootgate reference security sensor (with a deliberate content-parsing bug)");
MODULE_VERSION(SENSOR_VERSION);
