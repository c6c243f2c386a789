// SPDX-License-Identifier: GPL-2.0
/*
 * Misuse of memory that the kernel's own checks catch on a stock Debian kernel (no KASAN):
 * SLUB's debug checks on a cache created with them, the hardened freelist's double-free check,
 * and refcount_t's saturation.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/printk.h>
#include <linux/refcount.h>
#include <linux/slab.h>

#include "crashers.h"

#define CRASHERS_OBJ_SIZE	64
/* Allocations tried to get the freed object back (SLUB hands out the last freed first). */
#define CRASHERS_UAF_TRIES	16

struct crashers_session {
	refcount_t refs;
	unsigned long data[7];
};

/*
 * A write after free, into an object of a cache with SLUB's debug checks (poisoning, red
 * zones, owner tracking): the next allocation of that object finds its poison overwritten and
 * SLUB reports "Poison overwritten" with where the object was allocated and freed.
 */
noinline __noclone int crashers_use_after_free(void)
{
	struct kmem_cache *cache;
	unsigned long *obj, *again[CRASHERS_UAF_TRIES];
	unsigned int i, n = 0;

	cache = kmem_cache_create("crashers_session", CRASHERS_OBJ_SIZE, 0,
				  SLAB_POISON | SLAB_RED_ZONE | SLAB_STORE_USER | SLAB_CONSISTENCY_CHECKS, NULL);
	if (!cache)
		return -ENOMEM;
	obj = kmem_cache_alloc(cache, GFP_KERNEL);
	if (!obj) {
		kmem_cache_destroy(cache);
		return -ENOMEM;
	}
	kmem_cache_free(cache, obj);
	pr_info("use-after-free: writing into a freed object\n");
	WRITE_ONCE(obj[1], 0xdead);
	while (n < CRASHERS_UAF_TRIES) {
		again[n] = kmem_cache_alloc(cache, GFP_KERNEL);
		if (!again[n] || again[n++] == obj)
			break;
	}
	for (i = 0; i < n; i++)
		kmem_cache_free(cache, again[i]);
	/* The cache stays: SLUB marked its slab unusable after the report. */
	return 0;
}

/* Two frees of one object in a row: the hardened freelist finds it pointing to itself, BUG. */
noinline __noclone int crashers_double_free(void)
{
	void *obj = kmalloc(CRASHERS_OBJ_SIZE, GFP_KERNEL);

	if (!obj)
		return -ENOMEM;
	pr_info("double-free: freeing an object twice\n");
	kfree(obj);
	if (READ_ONCE(crashers_true))
		kfree(obj);
	return 0;
}

/* A put too many: the reference count goes below zero, refcount_t warns and saturates. */
noinline __noclone int crashers_refcount_underflow(void)
{
	static struct crashers_session session = { .refs = REFCOUNT_INIT(1) };

	pr_info("refcount-underflow: dropping a reference twice\n");
	if (refcount_dec_and_test(&session.refs))
		WRITE_ONCE(crashers_sink, 1);
	if (refcount_dec_and_test(&session.refs))
		WRITE_ONCE(crashers_sink, 2);
	return 0;
}
