// SPDX-License-Identifier: GPL-2.0
/*
 * Crashes after module init returned: the module loads, its health check may answer, and the
 * failure comes seconds later from a work item, a timer or a kernel thread the module started,
 * as much of what agents do wrong does. The lab must still blame the boot they happen in.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

#include "crashers.h"

/* Seconds after init until a deferred fault: the guest is usually ready by then. */
#define CRASHERS_DEFER_SECONDS	3

struct crashers_job {
	unsigned long id;
	unsigned long *counter;	/* never set: a job's counter is NULL */
};

static struct crashers_job crashers_jobs[1];

/* The fault of a deferred job: a store through the job's NULL counter. */
static noinline __noclone void crashers_count(struct crashers_job *job)
{
	unsigned long *counter = READ_ONCE(job->counter);

	WRITE_ONCE(*counter, READ_ONCE(*counter) + 1);
}

/* ------------------------------------------------ a fault in a work item */

static noinline __noclone void crashers_work_fn(struct work_struct *work)
{
	pr_info("work-fault: the work item runs\n");
	crashers_count(&crashers_jobs[0]);
}

static DECLARE_DELAYED_WORK(crashers_fault_work, crashers_work_fn);

int crashers_work_fault(void)
{
	pr_info("work-fault: queueing a work item that faults in %d s\n", CRASHERS_DEFER_SECONDS);
	schedule_delayed_work(&crashers_fault_work, CRASHERS_DEFER_SECONDS * HZ);
	return 0;
}

/* ---------------------------------------------- a fault in a timer callback */

static noinline __noclone void crashers_timer_fn(struct timer_list *t)
{
	pr_info("timer-fault: the timer fires\n");
	crashers_count(&crashers_jobs[0]);
}

static DEFINE_TIMER(crashers_timer, crashers_timer_fn);

int crashers_timer_fault(void)
{
	pr_info("timer-fault: arming a timer that faults in %d s\n", CRASHERS_DEFER_SECONDS);
	mod_timer(&crashers_timer, jiffies + CRASHERS_DEFER_SECONDS * HZ);
	return 0;
}

/* ------------------------------------ a soft lockup in a helper of a work item */

static noinline __noclone void crashers_lockup_work_fn(struct work_struct *work)
{
	pr_info("work-lockup: the work item spins in a helper\n");
	crashers_busy_wait();
}

static DECLARE_WORK(crashers_lockup_work, crashers_lockup_work_fn);

int crashers_work_lockup(void)
{
	schedule_work(&crashers_lockup_work);
	return 0;
}

/* ---------------------------------- kernel threads that block forever */

/* Never completed: whoever waits for it waits for ever, uninterruptibly. */
static DECLARE_COMPLETION(crashers_never);

static noinline __noclone int crashers_hung_thread(void *unused)
{
	pr_info("hung-task: the thread waits for an event that never comes\n");
	wait_for_completion(&crashers_never);
	return 0;
}

/* A thread that never ends would outlive the module's code: the module stays loaded. */
static int crashers_start_thread(int (*fn)(void *), const char *name)
{
	struct task_struct *t = kthread_run(fn, NULL, "%s", name);

	if (IS_ERR(t))
		return PTR_ERR(t);
	__module_get(THIS_MODULE);
	return 0;
}

int crashers_hung_task(void)
{
	return crashers_start_thread(crashers_hung_thread, "crashers_hung");
}

/*
 * Two locks taken in both orders by two threads, each waiting until the other holds its first
 * lock: a certain AB-BA deadlock. A kernel with lockdep would report the inversion at once;
 * Debian's kernels have no lockdep, and the hung-task watchdog reports both threads blocked.
 */
static DEFINE_MUTEX(crashers_lock_a);
static DEFINE_MUTEX(crashers_lock_b);
static DECLARE_COMPLETION(crashers_a_held);
static DECLARE_COMPLETION(crashers_b_held);

static noinline __noclone int crashers_lock_ab(void *unused)
{
	mutex_lock(&crashers_lock_a);
	complete(&crashers_a_held);
	wait_for_completion(&crashers_b_held);
	mutex_lock(&crashers_lock_b);	/* never returns */
	mutex_unlock(&crashers_lock_b);
	mutex_unlock(&crashers_lock_a);
	return 0;
}

static noinline __noclone int crashers_lock_ba(void *unused)
{
	mutex_lock(&crashers_lock_b);
	complete(&crashers_b_held);
	wait_for_completion(&crashers_a_held);
	mutex_lock(&crashers_lock_a);	/* never returns */
	mutex_unlock(&crashers_lock_a);
	mutex_unlock(&crashers_lock_b);
	return 0;
}

int crashers_lock_inversion(void)
{
	int err;

	pr_info("lock-inversion: two threads take two locks in opposite orders\n");
	err = crashers_start_thread(crashers_lock_ab, "crashers_ab");
	return err ? err : crashers_start_thread(crashers_lock_ba, "crashers_ba");
}

/* What is still pending when the module goes (only kinds that did not crash let it go). */
void crashers_deferred_exit(void)
{
	cancel_delayed_work_sync(&crashers_fault_work);
	cancel_work_sync(&crashers_lockup_work);
	del_timer_sync(&crashers_timer);
}
