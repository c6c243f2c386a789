// SPDX-License-Identifier: GPL-2.0
/*
 * crashers: a kernel module that crashes the kernel on purpose, one way per content file.
 *
 * At module init it reads its content file (module parameter `content`, read with
 * kernel_read_file_from_path() like the sensor agent does) whose first word names a crash
 * kind, and triggers that crash for real, inside a function of this module: at once in init
 * (faults.c), seconds later in a work item, a timer or a kernel thread (deferred.c), or as
 * misuse of memory the kernel's own checks catch (memory.c). The kinds are listed in
 * crashers_kinds[] below and in README.md.
 *
 * bootgate's crashers suite (suites/crashers.yaml) checks that the lab records each of them
 * with the right class, function and module. See README.md.
 *
 * Every crashing function is `noinline __noclone` so that the RIP line and the call trace
 * name it exactly (no .constprop/.isra copies).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kernel_read_file.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "crashers.h"

#define CRASHERS_VERSION		"1.1.0"
#define CRASHERS_DEFAULT_CONTENT	"/var/lib/crashers/channel.txt"
#define CRASHERS_MAX_CONTENT		4096
#define CRASHERS_KIND_LEN		32
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
	{ "panic",		crashers_panic },
	{ "stack-overflow",	crashers_stack_overflow },
	{ "sleep-in-atomic",	crashers_sleep_in_atomic },
	{ "work-fault",		crashers_work_fault },
	{ "timer-fault",	crashers_timer_fault },
	{ "work-lockup",	crashers_work_lockup },
	{ "hung-task",		crashers_hung_task },
	{ "lock-inversion",	crashers_lock_inversion },
	{ "use-after-free",	crashers_use_after_free },
	{ "double-free",	crashers_double_free },
	{ "refcount-underflow",	crashers_refcount_underflow },
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
	crashers_deferred_exit();
	pr_info("unloaded\n");
}

module_init(crashers_init);
module_exit(crashers_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("bootgate");
MODULE_DESCRIPTION("bootgate crash zoo: crashes the kernel at load, one way per content file");
MODULE_VERSION(CRASHERS_VERSION);
