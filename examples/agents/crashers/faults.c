// SPDX-License-Identifier: GPL-2.0
/*
 * Crashes inside module init: each in a function of its own, `noinline __noclone` so that the
 * RIP line and the call trace name it exactly (no .constprop/.isra copies). Every value that
 * would let the compiler see the crash coming is read with READ_ONCE() from a variable it
 * cannot reason about.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/panic.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/processor.h>

#include "crashers.h"

/*
 * The soft lockup watchdog reports a CPU stuck for more than 2 * watchdog_thresh s, from a
 * timer that runs every watchdog_thresh * 2 / 5 s. A spin stops as soon as the report is out
 * (TAINT_SOFTLOCKUP), or after this long.
 */
#define CRASHERS_SPIN_MAX_SECONDS	60

struct crashers_victim {
	unsigned long magic;
	unsigned long value;	/* at offset 8: the fault address is 0x8 */
};

/* Slot 0 is never filled: a lookup of slot 0 yields NULL, the compiler cannot know it. */
static struct crashers_victim crashers_victims[1];
static struct crashers_victim *crashers_slots[2] = { NULL, &crashers_victims[0] };
static unsigned int crashers_slot;		/* always 0 */
static int crashers_divisor;			/* always 0 */
static unsigned int crashers_smash_len = 24;	/* buf (16) + the canary (8) */
int crashers_true = 1;
unsigned long crashers_sink;

noinline __noclone int crashers_null_deref(void)
{
	struct crashers_victim *v = READ_ONCE(crashers_slots[READ_ONCE(crashers_slot)]);

	pr_info("null-deref: reading victim->value through %px\n", v);
	/* A genuine load through NULL (+8): page fault, "BUG: kernel NULL pointer dereference". */
	WRITE_ONCE(crashers_sink, READ_ONCE(v->value));
	return 0;
}

noinline __noclone int crashers_bug(void)
{
	pr_info("bug: calling BUG()\n");
	if (READ_ONCE(crashers_true))
		BUG();
	return 0;
}

noinline __noclone int crashers_warn(void)
{
	pr_info("warn: calling WARN_ON(), the load goes on\n");
	WARN_ON(READ_ONCE(crashers_true));
	return 0;
}

/*
 * The spin of a soft lockup. Interrupts stay on (the watchdog's timer fires) but this CPU never
 * schedules, so the watchdog's stopper thread never runs: a genuine soft lockup. The watchdog
 * taints the kernel `L` right after its report: that is checked once a tick only, so that the
 * report's RIP is (almost always) in this loop, not in test_taint().
 */
static __always_inline bool crashers_spin(void)
{
	unsigned long start = jiffies, end = start + CRASHERS_SPIN_MAX_SECONDS * HZ;
	unsigned long seen = start, now;
	bool reported = false;

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
		pr_info("soft-lockup: reported after %u ms, going on\n", jiffies_to_msecs(jiffies - start));
	else
		pr_warn("soft-lockup: no soft lockup report within %d s (watchdog off?)\n", CRASHERS_SPIN_MAX_SECONDS);
	return reported;
}

noinline __noclone int crashers_soft_lockup(void)
{
	pr_info("soft-lockup: spinning with preemption disabled until the watchdog reports it\n");
	crashers_spin();
	return 0;
}

/* The spin in a helper of its own: the RIP names this function, not its caller. */
noinline __noclone void crashers_busy_wait(void)
{
	crashers_spin();
}

noinline __noclone int crashers_divide_error(void)
{
	int divisor = READ_ONCE(crashers_divisor);

	pr_info("divide-error: dividing by %d\n", divisor);
	/* idiv by zero: #DE, "divide error: 0000 [#1]". */
	WRITE_ONCE(crashers_sink, (unsigned long)(READ_ONCE(crashers_true) * 1000 / divisor));
	return 0;
}

noinline __noclone int crashers_stack_corruption(void)
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

/* A module that gives up on the machine: panic() itself, no oops before it. */
noinline __noclone int crashers_panic(void)
{
	pr_info("panic: calling panic()\n");
	if (READ_ONCE(crashers_true))
		panic("crashers: content asks for a panic");
	return 0;
}

/*
 * Unbounded recursion. The volatile buffer is used after the call returns, so the call is not
 * a tail call and the compiler cannot turn the recursion into a loop: each level takes a real
 * stack frame until the guard page below the (vmapped) kernel stack is hit, a double fault.
 */
static noinline __noclone unsigned long crashers_recurse(unsigned long depth)
{
	volatile char frame[64];

	frame[depth % sizeof(frame)] = (char)depth;
	if (READ_ONCE(crashers_true))
		return crashers_recurse(depth + 1) + frame[depth % sizeof(frame)];
	return frame[0];
}

noinline __noclone int crashers_stack_overflow(void)
{
	pr_info("stack-overflow: recursing without end\n");
	WRITE_ONCE(crashers_sink, crashers_recurse(0));
	return 0;
}

/*
 * Sleeping with preemption disabled, as code that sleeps under a spinlock does: the scheduler
 * prints "BUG: scheduling while atomic" and goes on. It resets the preempt count when it
 * reports, so enabling preemption again would underflow the count: skipped then.
 */
noinline __noclone int crashers_sleep_in_atomic(void)
{
	pr_info("sleep-in-atomic: sleeping with preemption disabled\n");
	preempt_disable();
	msleep(10);
	if (preempt_count())
		preempt_enable();
	return 0;
}

noinline __noclone int crashers_none(void)
{
	pr_info("none: nothing to crash\n");
	return 0;
}
