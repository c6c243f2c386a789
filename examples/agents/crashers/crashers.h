/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The crash kinds of the crashers module, one function each. A kind returns 0 to let the
 * module load (the crash, if any, comes later or does not stop the kernel), or an error.
 */
#ifndef CRASHERS_H
#define CRASHERS_H

#include <linux/compiler.h>

/* faults.c: crashes inside module init, in the function named. */
int crashers_null_deref(void);
int crashers_bug(void);
int crashers_warn(void);
int crashers_soft_lockup(void);
int crashers_divide_error(void);
int crashers_stack_corruption(void);
int crashers_panic(void);
int crashers_stack_overflow(void);
int crashers_sleep_in_atomic(void);
int crashers_none(void);

/* deferred.c: crashes after init returned, in a work item, a timer or a kernel thread. */
int crashers_work_fault(void);
int crashers_timer_fault(void);
int crashers_work_lockup(void);
int crashers_hung_task(void);
int crashers_lock_inversion(void);
void crashers_deferred_exit(void);

/* memory.c: misuse of memory that the kernel's own checks catch. */
int crashers_use_after_free(void);
int crashers_double_free(void);
int crashers_refcount_underflow(void);

/* Values read with READ_ONCE() so that the compiler cannot see a crash coming. */
extern int crashers_true;
extern unsigned long crashers_sink;

/* faults.c: spins with preemption off until the soft lockup watchdog reported it, at most 60 s. */
void crashers_busy_wait(void);

#endif
