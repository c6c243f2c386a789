// SPDX-License-Identifier: GPL-2.0
/*
 * crashers: a kernel module that crashes the kernel on purpose, one way per content file.
 *
 * At module init it reads its content file (module parameter `content`, read with
 * kernel_read_file_from_path() like the sensor agent does) whose first word names a crash
 * kind, and triggers that crash for real, inside a function of this module:
 *
 *   null-deref        a load through a NULL pointer           crashers_null_deref()
 *   bug               BUG()                                   crashers_bug()
 *   warn              WARN_ON(), then the load succeeds       crashers_warn()
 *   soft-lockup       a spin with preemption disabled until
 *                     the watchdog reports it (~20-30 s)      crashers_soft_lockup()
 *   divide-error      integer division by zero (idiv, #DE)    crashers_divide_error()
 *   stack-corruption  overflow of a stack buffer: the stack
 *                     protector panics on return              crashers_stack_corruption()
 *   none              nothing: the module loads cleanly
 *
 * bootgate's crashers suite (suites/crashers.yaml) checks that the lab records each of them
 * with the right class, function and module. See README.md.
 *
 * Every crashing function is `noinline __noclone` so that the RIP line and the call trace
 * name it exactly (no .constprop/.isra copies), and every value that would let the compiler
 * see the crash coming (the NULL pointer, the zero divisor, the overflow length) is read
 * with READ_ONCE() from a variable the compiler cannot reason about.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kernel_read_file.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/processor.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#define CRASHERS_VERSION		"1.0.0"
#define CRASHERS_DEFAULT_CONTENT	"/var/lib/crashers/channel.txt"
#define CRASHERS_MAX_CONTENT		4096
#define CRASHERS_KIND_LEN		32
/*
 * The soft lockup watchdog reports a CPU stuck for more than 2 * watchdog_thresh (10 s by
 * default) from a timer that runs every watchdog_thresh * 2 / 5 s: about 20-24 s (more under
 * TCG). The spin stops as soon as the report is out (TAINT_SOFTLOCKUP), or after this long.
 */
#define CRASHERS_SPIN_MAX_SECONDS	60

static char *content = CRASHERS_DEFAULT_CONTENT;
module_param(content, charp, 0444);
MODULE_PARM_DESC(content, "path of the content file: its first word is the crash kind");

/* The kind read from the content file, for the health check. */
static char kind[CRASHERS_KIND_LEN] = "";
module_param_string(kind, kind, sizeof(kind), 0444);
MODULE_PARM_DESC(kind, "the crash kind read from the content file (set at load)");

static char version[] = CRASHERS_VERSION;
module_param_string(version, version, sizeof(version), 0444);
MODULE_PARM_DESC(version, "crashers version");

/* ------------------------------------------------------------ the crashes */

struct crashers_victim {
	unsigned long magic;
	unsigned long value;	/* at offset 8: the fault address is 0x8 */
};

/* Slot 0 is never filled: a lookup of slot 0 yields NULL, the compiler cannot know it. */
static struct crashers_victim crashers_victims[1];
static struct crashers_victim *crashers_slots[2] = { NULL, &crashers_victims[0] };
static unsigned int crashers_slot;		/* always 0 */
static int crashers_divisor;			/* always 0 */
static int crashers_true = 1;
static unsigned int crashers_smash_len = 24;	/* buf (16) + the canary (8) */
static unsigned long crashers_sink;

static noinline __noclone int crashers_null_deref(void)
{
	struct crashers_victim *v = READ_ONCE(crashers_slots[READ_ONCE(crashers_slot)]);

	pr_info("null-deref: reading victim->value through %px\n", v);
	/* A genuine load through NULL (+8): page fault, "BUG: kernel NULL pointer dereference". */
	WRITE_ONCE(crashers_sink, READ_ONCE(v->value));
	return 0;
}

static noinline __noclone int crashers_bug(void)
{
	pr_info("bug: calling BUG()\n");
	if (READ_ONCE(crashers_true))
		BUG();
	return 0;
}

static noinline __noclone int crashers_warn(void)
{
	pr_info("warn: calling WARN_ON(), the load goes on\n");
	WARN_ON(READ_ONCE(crashers_true));
	return 0;
}

static noinline __noclone int crashers_soft_lockup(void)
{
	unsigned long start = jiffies, end = start + CRASHERS_SPIN_MAX_SECONDS * HZ;
	unsigned long seen = start, now;
	bool reported = false;

	pr_info("soft-lockup: spinning with preemption disabled until the watchdog reports it\n");
	/*
	 * Interrupts stay on (the watchdog's timer fires) but this CPU never schedules, so the
	 * watchdog's stopper thread never runs: a genuine soft lockup. The watchdog taints the
	 * kernel `L` right after its report: that is checked once a tick only, so that the
	 * report's RIP is (almost always) in this loop, not in test_taint().
	 */
	preempt_disable();
	for (;;) {
		now = jiffies;
		if (now != seen) {
			seen = now;
			reported = test_taint(TAINT_SOFTLOCKUP);
			if (reported || !time_before(now, end))
				break;
		}
		cpu_relax();
	}
	preempt_enable();
	if (reported)
		pr_info("soft-lockup: reported after %u ms, the load goes on\n", jiffies_to_msecs(jiffies - start));
	else
		pr_warn("soft-lockup: no soft lockup report within %d s (watchdog off?)\n", CRASHERS_SPIN_MAX_SECONDS);
	return 0;
}

static noinline __noclone int crashers_divide_error(void)
{
	int divisor = READ_ONCE(crashers_divisor);

	pr_info("divide-error: dividing by %d\n", divisor);
	/* idiv by zero: #DE, "divide error: 0000 [#1]". */
	WRITE_ONCE(crashers_sink, (unsigned long)(READ_ONCE(crashers_true) * 1000 / divisor));
	return 0;
}

static noinline __noclone int crashers_stack_corruption(void)
{
	char buf[16];
	/* Through a volatile pointer: neither FORTIFY_SOURCE nor -Warray-bounds sees the overflow. */
	char *volatile p = buf;
	unsigned int n = READ_ONCE(crashers_smash_len);
	unsigned int i;

	pr_info("stack-corruption: writing %u bytes into a %zu-byte stack buffer\n", n, sizeof(buf));
	for (i = 0; i < n; i++)
		p[i] = 'A';
	WRITE_ONCE(crashers_sink, (unsigned long)READ_ONCE(p[0]));
	/* Returning checks the canary: __stack_chk_fail() panics "stack-protector: ...". */
	return 0;
}

static noinline __noclone int crashers_none(void)
{
	pr_info("none: nothing to crash\n");
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} crashers_kinds[] = {
	{ "null-deref",		crashers_null_deref },
	{ "bug",		crashers_bug },
	{ "warn",		crashers_warn },
	{ "soft-lockup",	crashers_soft_lockup },
	{ "divide-error",	crashers_divide_error },
	{ "stack-corruption",	crashers_stack_corruption },
	{ "none",		crashers_none },
};

/* ------------------------------------------------------------ the content */

/* The first word of the content file (blank lines and `#` comments skipped) into kind[]. */
static int crashers_read_kind(const char *path)
{
	void *raw = NULL;
	size_t file_size = 0;
	char *text, *cursor, *line, *word;
	ssize_t n;
	int err = -EINVAL;

	/* READING_POLICY, like the sensor: 6.12's IPE LSM WARNs on READING_UNKNOWN. */
	n = kernel_read_file_from_path(path, 0, &raw, CRASHERS_MAX_CONTENT, &file_size, READING_POLICY);
	if (n < 0) {
		pr_err("cannot read content %s: error %zd\n", path, n);
		return n;
	}
	text = kmemdup_nul(raw, n, GFP_KERNEL);
	vfree(raw);
	if (!text)
		return -ENOMEM;

	cursor = text;
	while ((line = strsep(&cursor, "\n"))) {
		line = strim(line);
		if (!*line || *line == '#')
			continue;
		word = strsep(&line, " \t");
		if (strscpy(kind, word, sizeof(kind)) < 0) {
			pr_err("content %s: kind `%s` too long\n", path, word);
			kind[0] = '\0';
			err = -EINVAL;
		} else {
			err = 0;
		}
		break;
	}
	if (err == -EINVAL && !kind[0])
		pr_err("content %s: no crash kind in it\n", path);
	kfree(text);
	return err;
}

/* --------------------------------------------------------- init and exit */

static int __init crashers_init(void)
{
	unsigned int i;
	int err;

	err = crashers_read_kind(content);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(crashers_kinds); i++) {
		if (strcmp(kind, crashers_kinds[i].name))
			continue;
		/* At warning level, so that the console (loglevel=5) shows what comes next. */
		pr_warn("version %s: content %s asks for %s\n", CRASHERS_VERSION, content, kind);
		err = crashers_kinds[i].fn();
		if (!err)
			pr_info("loaded, kind %s\n", kind);
		return err;
	}
	pr_err("content %s: unknown crash kind `%s`\n", content, kind);
	return -EINVAL;
}

static void __exit crashers_exit(void)
{
	pr_info("unloaded\n");
}

module_init(crashers_init);
module_exit(crashers_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("bootgate");
MODULE_DESCRIPTION("bootgate crash zoo: crashes the kernel at load, one way per content file");
MODULE_VERSION(CRASHERS_VERSION);
