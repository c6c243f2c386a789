/**
 * Kernel functions that show up at the top of crash stacks without being the culprit:
 * printing and dumping, the oops/WARN/BUG/panic machinery, exception entry, sanitizer
 * runtimes (KASAN, KMSAN, KFENCE, UBSAN, KCSAN, kcov), lockdep and locking primitives,
 * memory and user-copy routines, allocators, and the scheduler and timer paths that sit
 * under hung tasks and stalls. The guilty function of a report is its first frame that is
 * none of these.
 */

/** Exact names. */
const EXACT = new Set([
  // printing and dumping
  'printk', '_printk', 'vprintk', 'vprintk_emit', 'vprintk_default', 'vprintk_func', 'vprintk_deferred',
  'console_unlock', 'dump_stack', 'dump_stack_lvl', '__dump_stack', 'show_stack', 'show_regs',
  'show_trace_log_lvl', 'show_stack_log_lvl', 'dump_backtrace', 'unwind_backtrace', 'show_stack_lvl',
  'sched_show_task', 'show_state_filter', 'debug_show_all_locks', 'debug_show_held_locks',
  'nmi_cpu_backtrace', 'nmi_trigger_cpumask_backtrace', 'arch_trigger_cpumask_backtrace',
  'trigger_all_cpu_backtrace', 'trigger_single_cpu_backtrace', 'nmi_handle', 'default_do_nmi', 'do_nmi',
  'exc_nmi', 'asm_exc_nmi', 'end_repeat_nmi', 'nmi',
  // oops, BUG, WARN, panic
  'panic', 'vpanic', 'nmi_panic', 'check_panic_on_warn', '__warn', 'warn_slowpath_fmt', 'warn_slowpath_null',
  'warn_slowpath_common', '__warn_printk', 'report_bug', 'fixup_bug', 'handle_bug', 'do_error_trap',
  'do_trap', 'do_invalid_op', 'invalid_op', 'exc_invalid_op', 'do_general_protection', 'general_protection',
  'exc_general_protection', 'do_divide_error', 'divide_error', 'exc_divide_error', 'do_double_fault',
  'double_fault', 'exc_double_fault', 'die', '__die', '__die_body', 'die_addr', 'oops_end', 'oops_begin',
  'page_fault', 'handle_page_fault', 'exc_page_fault', 'page_fault_oops', 'kernelmode_fixup_or_oops',
  'spurious_kernel_fault', 'do_translation_fault', 'do_mem_abort', 'do_sect_fault', 'do_DataAbort', 'do_PrefetchAbort',
  'el1_abort', 'el1_da', 'el1_ia', 'el1_sync', 'el1_sync_handler', 'el1h_64_sync', 'el1h_64_sync_handler',
  'el1_dbg', 'el1_undef', 'el1_inv', 'el1_bti', 'el1_pc', 'el1_sp_pc', '__do_kernel_fault', 'do_alignment',
  'do_alignment_fault', 'die_kernel_fault', 'arm64_notify_die', 'do_undefinstr', 'bug_handler', 'brk_handler',
  'call_break_hook', 'do_debug_exception', 'early_brk64', '__bug', 'bug', 'kernel_bug',
  '__stack_chk_fail', '__stack_chk_fail_local', 'fortify_panic', '__fortify_panic', '__fortify_report',
  'handle_stack_overflow', 'panic_bad_stack', 'handle_bad_stack', '__schedule_bug', 'schedule_debug',
  'bad_page', 'print_bad_pte', 'dump_page', '__dump_page',
  // sanitizer entry points and kcov
  'check_memory_region', 'check_memory_region_inline', 'memory_is_poisoned', 'report_object',
  'describe_object', 'object_err', 'slab_err', 'print_trailer', 'check_bytes_and_report',
  '__sanitizer_cov_trace_pc', 'write_comp_data', 'instrument_atomic_read', 'instrument_atomic_write',
  'instrument_atomic_read_write', 'instrument_read', 'instrument_write', 'instrument_read_write',
  'instrument_copy_to_user', 'instrument_copy_from_user', 'instrument_copy_from_user_before',
  'instrument_copy_from_user_after', 'instrument_get_user', 'instrument_put_user', 'val_to_string',
  'handle_overflow', 'handle_null_ptr_deref', 'handle_misaligned_access', 'handle_object_size_mismatch',
  // lockdep and locking primitives
  'lock_acquire', 'lock_release', 'lock_acquired', 'lock_contended', 'lock_is_held', 'lock_is_held_type',
  '__lock_acquire', '__lock_release', '__lock_is_held', 'lock_downgrade', 'lock_sync', 'lock_pin_lock',
  'lock_unpin_lock', 'lock_repin_lock', 'check_noncircular', 'check_prev_add', 'check_prevs_add',
  'check_deadlock', 'check_irq_usage', 'check_usage', 'check_usage_backwards', 'check_usage_forwards',
  'check_flags', 'check_wait_context', 'validate_chain', 'mark_lock', 'mark_lock_irq', 'mark_usage',
  'mark_held_locks', 'valid_state', 'find_held_lock', 'hlock_class', 'look_up_lock_class',
  'register_lock_class', 'add_chain_cache', 'save_trace', 'graph_lock', 'debug_check_no_locks_freed',
  'debug_check_no_locks_held', 'held_lock_same', 'match_held_lock', 'lockdep_rcu_suspicious',
  'lock_chain_count', 'lock_page', '__lock_page', 'lock_page_killable', '__lock_page_killable',
  'unlock_page', 'folio_lock', '__folio_lock', 'folio_lock_killable', '__folio_lock_killable', 'folio_unlock',
  'do_raw_spin_lock', 'do_raw_spin_unlock', 'do_raw_spin_trylock', 'do_raw_read_lock', 'do_raw_write_lock',
  'do_raw_read_unlock', 'do_raw_write_unlock', 'queued_spin_lock', 'queued_spin_lock_slowpath',
  'native_queued_spin_lock_slowpath', '__pv_queued_spin_lock_slowpath', 'pv_queued_spin_lock_slowpath',
  'queued_spin_unlock', 'queued_read_lock', 'queued_read_lock_slowpath', 'queued_write_lock',
  'queued_write_lock_slowpath', 'arch_spin_lock', 'arch_spin_unlock', 'arch_read_lock', 'arch_write_lock',
  'spin_dump', 'spin_bug', 'debug_spin_lock_before', 'debug_spin_lock_after', 'debug_spin_unlock',
  'rwlock_bug', 'mutex_lock', 'mutex_lock_nested', 'mutex_lock_interruptible', 'mutex_lock_killable',
  'mutex_lock_interruptible_nested', 'mutex_lock_killable_nested', 'mutex_lock_io_nested', 'mutex_lock_io',
  'mutex_unlock', 'mutex_trylock', '__mutex_lock', '__mutex_lock_common', '__mutex_lock_slowpath',
  '__mutex_unlock_slowpath', '__mutex_trylock', 'mutex_destroy', 'down', 'up', 'down_read', 'down_write',
  'down_read_killable', 'down_write_killable', 'down_read_interruptible', 'down_read_nested',
  'down_write_nested', 'down_read_trylock', 'down_write_trylock', 'down_interruptible', 'down_killable',
  'down_timeout', 'down_trylock', 'up_read', 'up_write', 'downgrade_write', '__down', '__down_common',
  '__down_read', '__down_write', '__down_read_common', '__down_write_common', '__down_read_killable',
  '__down_write_killable', '__down_read_trylock', '__down_write_trylock', '__up_read', '__up_write',
  '__up', 'percpu_down_read', 'percpu_down_write', 'percpu_up_read', 'percpu_up_write',
  '__percpu_down_read', 'percpu_rwsem_wait', 'rt_mutex_lock', 'rt_mutex_unlock', 'rt_mutex_slowlock',
  '__rt_mutex_slowlock', 'rtlock_slowlock_locked', 'ww_mutex_lock', 'ww_mutex_lock_interruptible',
  '__ww_mutex_lock', 'ww_mutex_unlock', 'local_bh_disable', 'local_bh_enable', '__local_bh_disable_ip',
  '__local_bh_enable_ip', '_local_bh_enable', 'preempt_count_add', 'preempt_count_sub',
  'trace_hardirqs_on', 'trace_hardirqs_off', 'trace_hardirqs_on_caller', 'trace_hardirqs_off_caller',
  'trace_hardirqs_on_thunk', 'trace_hardirqs_off_thunk', 'lockdep_hardirqs_on', 'lockdep_hardirqs_off',
  'lockdep_hardirqs_on_prepare', 'arch_local_irq_restore', 'arch_local_irq_enable', 'arch_local_irq_disable',
  'native_irq_enable', 'native_irq_disable', 'native_safe_halt',
  // RCU read side
  'rcu_read_lock', 'rcu_read_unlock', '__rcu_read_lock', '__rcu_read_unlock', 'rcu_lock_acquire',
  'rcu_lock_release', 'rcu_read_lock_held', 'rcu_read_lock_sched_held', 'rcu_read_lock_bh_held',
  'rcu_read_lock_any_held', 'rcu_read_unlock_special', 'rcu_note_context_switch',
  // might_sleep and friends
  '__might_sleep', '___might_sleep', '__might_fault', 'might_fault', '__might_resched', '__cant_sleep',
  '__cant_migrate', 'might_sleep', 'might_resched', 'debug_smp_processor_id', 'check_preemption_disabled',
  '__this_cpu_preempt_check',
  // memory and string routines, user copies
  'memcpy', 'memmove', 'memset', 'memcmp', 'bcmp', 'memchr', 'memchr_inv', 'memscan', '__memcpy',
  '__memmove', '__memset', 'memcpy_erms', 'memcpy_orig', 'memset_erms', 'memset_orig', 'memcpy_fromio',
  'memcpy_toio', '__memcpy_fromio', '__memcpy_toio', 'strcmp', 'strncmp', 'strcasecmp', 'strncasecmp',
  'strlen', 'strnlen', 'strcpy', 'strncpy', 'strlcpy', 'strscpy', 'strscpy_pad', 'sized_strscpy', 'strcat',
  'strncat', 'strlcat', 'strchr', 'strrchr', 'strnchr', 'strstr', 'strnstr', 'strsep', 'strspn',
  'strcspn', 'strpbrk', 'kstrdup', 'kstrndup', 'kmemdup', 'kmemdup_nul', 'kstrdup_const', 'kvasprintf',
  'kasprintf', 'vsnprintf', 'snprintf', 'scnprintf', 'vscnprintf', 'sprintf', 'vsprintf', 'copy_to_user',
  'copy_from_user', '_copy_to_user', '_copy_from_user', '__copy_to_user', '__copy_from_user',
  'raw_copy_to_user', 'raw_copy_from_user', 'copy_user_generic', 'copy_user_generic_unrolled',
  'copy_user_generic_string', 'copy_user_enhanced_fast_string', 'rep_movs_alternative',
  '__copy_user_nocache', '__copy_user_flushcache', '__arch_copy_to_user', '__arch_copy_from_user',
  'arm_copy_to_user', 'arm_copy_from_user', '__copy_to_user_std', '__copy_from_user_std', 'copyout',
  'copyin', 'copy_page_to_iter', 'copy_page_from_iter', '_copy_to_iter', '_copy_from_iter',
  'copy_to_iter', 'copy_from_iter', '__get_user_1', '__get_user_2', '__get_user_4', '__get_user_8',
  '__put_user_1', '__put_user_2', '__put_user_4', '__put_user_8', '__get_user_nocheck_1',
  '__get_user_nocheck_2', '__get_user_nocheck_4', '__get_user_nocheck_8', '__put_user_nocheck_1',
  '__put_user_nocheck_2', '__put_user_nocheck_4', '__put_user_nocheck_8', 'strncpy_from_user',
  'strnlen_user', 'do_strncpy_from_user', 'check_copy_size', 'check_object_size', '__check_object_size',
  'check_heap_object', 'usercopy_abort', 'clear_user', '__clear_user', 'copy_in_user', 'memdup_user',
  'vmemdup_user', 'memdup_user_nul', 'strndup_user', 'csum_partial_copy_generic', 'csum_and_copy_from_user',
  'csum_and_copy_to_user', 'csum_partial', 'iov_iter_copy_from_user_atomic', 'copy_mc_to_kernel',
  'copy_mc_fragile', 'copy_mc_enhanced_fast_string', 'copy_page', 'copy_highpage', 'memcpy_to_page',
  'memcpy_from_page', 'memzero_page', 'zero_user_segments',
  // allocators (the frame that allocates is the culprit of a leak, not these)
  'kmalloc', '__kmalloc', 'kmalloc_trace', 'kmalloc_node', '__kmalloc_node', 'kmalloc_node_trace',
  '__kmalloc_track_caller', '__kmalloc_node_track_caller', 'kmalloc_track_caller', 'kmalloc_array',
  'kmalloc_array_node', 'kcalloc', 'kcalloc_node', 'kzalloc', 'kzalloc_node', 'krealloc', '__krealloc',
  'krealloc_array', 'kmalloc_order', 'kmalloc_order_trace', 'kmalloc_large', 'kmalloc_large_node',
  '__kmalloc_large_node', '__kmalloc_noprof', '__kmalloc_node_noprof', 'kmalloc_trace_noprof',
  '__kmalloc_cache_noprof', '__kmalloc_node_track_caller_noprof', 'kmalloc_large_noprof', 'kmalloc_slab',
  'kmalloc_noprof', 'kzalloc_noprof', 'krealloc_noprof', 'kmem_cache_alloc', 'kmem_cache_alloc_trace',
  'kmem_cache_alloc_node', 'kmem_cache_alloc_node_trace', 'kmem_cache_alloc_lru', 'kmem_cache_zalloc',
  'kmem_cache_alloc_noprof', 'kmem_cache_alloc_node_noprof', 'kmem_cache_alloc_lru_noprof',
  'kmem_cache_alloc_bulk', '__kmem_cache_alloc_node', '__kmem_cache_alloc_lru', 'kmem_cache_free',
  'kmem_cache_free_bulk', '__kmem_cache_free', 'kfree', 'kvfree', 'kzfree', 'kfree_sensitive',
  'kvfree_sensitive', 'kfree_const', 'kvmalloc', 'kvmalloc_node', 'kvzalloc', 'kvzalloc_node',
  'kvcalloc', 'kvmalloc_array', '__kvmalloc_node', '__kvmalloc_node_noprof', 'kvmalloc_node_noprof',
  'kvrealloc', 'vmalloc', 'vzalloc', 'vmalloc_node', 'vzalloc_node', 'vmalloc_user', '__vmalloc',
  '__vmalloc_node', '__vmalloc_node_range', '__vmalloc_node_noprof', '__vmalloc_node_range_noprof',
  'vmalloc_noprof', 'vzalloc_noprof', '__vmalloc_noprof', '__vmalloc_area_node', 'vmap', 'vfree',
  '__vfree', 'vfree_atomic', 'slab_alloc', 'slab_alloc_node', '__slab_alloc', '___slab_alloc',
  '__slab_alloc_node', 'slab_free', '__slab_free', 'do_slab_free', 'slab_free_freelist_hook',
  'slab_free_hook', 'slab_post_alloc_hook', 'slab_pre_alloc_hook', 'new_slab', 'allocate_slab',
  'alloc_slab_page', 'cache_alloc_refill', '____cache_alloc', '__do_cache_alloc', 'slab_alloc_node_noprof',
  'alloc_pages', 'alloc_pages_current', 'alloc_pages_node', '__alloc_pages', '__alloc_pages_nodemask',
  '__alloc_pages_node', 'alloc_pages_vma', '__alloc_pages_slowpath', 'get_page_from_freelist',
  'alloc_pages_noprof', 'alloc_pages_mpol', 'alloc_pages_mpol_noprof', '__alloc_pages_noprof',
  'alloc_page_interleave', '__get_free_pages', 'get_zeroed_page', 'get_free_pages', 'alloc_pages_exact',
  'folio_alloc', '__folio_alloc', 'vma_alloc_folio', 'prep_new_page', 'post_alloc_hook',
  'kmemleak_alloc', 'kmemleak_alloc_recursive', 'kmemleak_alloc_percpu', 'kmemleak_vmalloc',
  'kasprintf_noprof', '__alloc_percpu', '__alloc_percpu_gfp', 'pcpu_alloc', 'alloc_percpu',
  'pcpu_alloc_noprof', 'kstrdup_noprof', 'kmemdup_noprof', 'kmem_cache_create', 'kmem_cache_create_usercopy',
  // refcount, debugobjects, list debugging
  'refcount_warn_saturate', 'refcount_error_report', 'refcount_inc', 'refcount_dec', 'refcount_add',
  'refcount_sub', 'refcount_inc_not_zero', 'refcount_add_not_zero', 'refcount_inc_checked',
  'refcount_dec_checked', 'refcount_add_checked', 'refcount_sub_and_test', 'refcount_dec_and_test',
  'refcount_dec_and_test_checked', 'refcount_sub_and_test_checked', 'refcount_dec_not_one',
  'refcount_dec_and_lock', 'refcount_dec_and_mutex_lock', 'refcount_dec_if_one', 'kref_get', 'kref_put',
  'kref_put_mutex', 'kref_put_lock', 'kobject_put', 'debug_print_object', 'debug_check_no_obj_freed',
  'debug_object_free', 'debug_object_init', 'debug_object_activate', 'debug_object_deactivate',
  'debug_object_assert_init', 'debug_object_destroy', 'debug_object_init_on_stack',
  'debug_object_active_state', '__debug_check_no_obj_freed', '__debug_object_init', 'debug_objects_oom',
  '__list_add_valid', '__list_add_valid_or_report', '__list_del_entry_valid',
  '__list_del_entry_valid_or_report', '__list_add', '__list_del_entry', 'list_add', 'list_add_tail',
  'list_del', 'list_del_init', 'list_move', 'list_move_tail', '__list_del', 'list_del_rcu',
  'list_add_rcu', 'list_add_tail_rcu', 'hlist_del', 'hlist_del_init', 'hlist_add_head',
  '__hlist_del', 'hlist_del_rcu', 'hlist_add_head_rcu', '__list_del_clearprev', 'list_bug',
  // scheduler, waiting: under a hung task or a stall, never the culprit
  'schedule', '__schedule', 'schedule_timeout', 'schedule_timeout_uninterruptible',
  'schedule_timeout_interruptible', 'schedule_timeout_killable', 'schedule_timeout_idle',
  'schedule_preempt_disabled', 'schedule_hrtimeout', 'schedule_hrtimeout_range',
  'schedule_hrtimeout_range_clock', 'io_schedule', 'io_schedule_timeout', 'preempt_schedule',
  'preempt_schedule_common', 'preempt_schedule_irq', 'preempt_schedule_notrace',
  'preempt_schedule_thunk', 'preempt_schedule_notrace_thunk', '___preempt_schedule',
  '__preempt_schedule', 'context_switch', '__switch_to', '__switch_to_asm', 'switch_to', 'cpu_switch_to',
  'finish_task_switch', '__cond_resched', '_cond_resched', 'cond_resched', '__cond_resched_lock',
  'wait_for_completion', 'wait_for_completion_timeout', 'wait_for_completion_interruptible',
  'wait_for_completion_killable', 'wait_for_completion_io', 'wait_for_completion_io_timeout',
  'wait_for_completion_interruptible_timeout', 'wait_for_completion_killable_timeout',
  'wait_for_completion_state', '__wait_for_common', 'wait_for_common', 'wait_for_common_io',
  'do_wait_for_common', 'wait_woken', 'prepare_to_wait', 'prepare_to_wait_event', 'finish_wait',
  '__wait_on_bit', '__wait_on_bit_lock', 'out_of_line_wait_on_bit', 'out_of_line_wait_on_bit_lock',
  'out_of_line_wait_on_bit_timeout', 'wait_on_bit', 'wait_on_bit_lock', 'wait_on_bit_io', 'bit_wait',
  'bit_wait_io', 'bit_wait_timeout', 'bit_wait_io_timeout', 'wait_on_page_bit', 'wait_on_page_bit_common',
  'wait_on_page_locked', 'wait_on_page_writeback', 'folio_wait_bit', 'folio_wait_bit_common',
  'folio_wait_bit_killable', 'folio_wait_locked', 'folio_wait_writeback', '__folio_lock_or_retry',
  'wait_on_buffer', '__wait_on_buffer', 'lock_buffer', '__lock_buffer', 'io_wait_event',
  'rwsem_down_read_slowpath', 'rwsem_down_write_slowpath', 'rwsem_down_read_failed',
  'rwsem_down_write_failed', 'rwsem_down_read_failed_killable', 'rwsem_down_write_failed_killable',
  'call_rwsem_down_read_failed', 'call_rwsem_down_write_failed', 'rwsem_optimistic_spin',
  'rwsem_spin_on_owner', 'rwsem_wake', '__rwsem_down_read_failed_common', '__rwsem_down_write_failed_common',
  'rt_mutex_schedule', 'schedule_rtlock', 'futex_wait_queue', 'futex_wait_queue_me', '__wait_rcu_gp',
  'wait_rcu_gp', 'kthread_flush_work', 'flush_work', '__flush_work', 'wait_task_inactive', 'msleep',
  'usleep_range', 'usleep_range_state', 'do_nanosleep', 'hrtimer_nanosleep', 'ssleep', 'mdelay', 'udelay',
  '__udelay', '__const_udelay', 'delay_tsc', '__delay', 'delay_halt', 'cpu_relax', 'native_halt',
  // interrupt, timer and watchdog paths (under stalls and lockups)
  'apic_timer_interrupt', 'smp_apic_timer_interrupt', 'sysvec_apic_timer_interrupt',
  'asm_sysvec_apic_timer_interrupt', 'asm_common_interrupt', 'common_interrupt', 'ret_from_intr',
  'retint_kernel', 'irq_exit', 'irq_exit_rcu', '__irq_exit_rcu', 'do_softirq', '__do_softirq',
  'do_softirq_own_stack', 'invoke_softirq', 'run_ksoftirqd', 'call_on_stack', 'do_IRQ', 'handle_irq',
  'handle_edge_irq', 'handle_level_irq', 'handle_fasteoi_irq', 'handle_irq_event', 'handle_irq_event_percpu',
  '__handle_irq_event_percpu', 'generic_handle_irq', 'generic_handle_domain_irq', 'gic_handle_irq',
  'el1_irq', 'el1_interrupt', 'el1h_64_irq', 'el1h_64_irq_handler', 'el0_irq', 'call_on_irq_stack',
  'do_interrupt_handler', '__irq_svc', '__irq_usr', 'irq_svc', 'hrtimer_interrupt', '__hrtimer_run_queues',
  '__run_hrtimer', 'hrtimer_run_queues', 'local_apic_timer_interrupt', '__sysvec_apic_timer_interrupt',
  'tick_sched_timer', 'tick_sched_handle', 'tick_handle_periodic', 'tick_periodic', 'tick_nohz_handler',
  'update_process_times', 'scheduler_tick', 'sched_tick', 'run_timer_softirq', '__run_timers',
  'run_timer_base', 'expire_timers', 'call_timer_fn', 'rcu_check_callbacks', 'rcu_sched_clock_irq',
  'rcu_pending', 'check_cpu_stall', 'print_cpu_stall', 'print_other_cpu_stall', 'rcu_dump_cpu_stacks',
  'rcu_print_detail_task_stall', 'rcu_print_task_stall', 'rcu_stall_kick_kthreads', 'rcu_core',
  'rcu_core_si', 'rcu_process_callbacks', 'rcu_do_batch', 'watchdog_timer_fn', 'watchdog',
  'watchdog_overflow_callback', 'check_hung_uninterruptible_tasks', 'check_hung_task', 'hung_task_panic',
  'flush_smp_call_function_queue', 'flush_smp_call_function_from_idle',
  'generic_smp_call_function_single_interrupt', 'generic_smp_call_function_interrupt',
  'smp_call_function_single_interrupt', 'smp_call_function_interrupt', 'sysvec_call_function_single',
  'sysvec_call_function', 'asm_sysvec_call_function_single', 'asm_sysvec_call_function',
  '__sysvec_call_function_single', 'smp_reschedule_interrupt', 'sysvec_reschedule_ipi',
  'asm_sysvec_reschedule_ipi', 'reschedule_interrupt', 'ipi_handler', 'do_handle_IPI', 'handle_IPI',
  'irq_work_run', 'irq_work_single', 'irq_work_run_list', 'sysvec_irq_work', 'asm_sysvec_irq_work',
  'smp_irq_work_interrupt', 'irq_work_interrupt', 'default_idle', 'arch_cpu_idle',
  'default_idle_call', 'cpuidle_idle_call', 'do_idle', 'cpu_startup_entry', 'cpu_idle_poll', 'cpu_idle',
  'start_secondary', 'secondary_startup_64', 'secondary_startup_64_no_verify', 'start_kernel',
  'rest_init', 'x86_64_start_kernel', 'x86_64_start_reservations', 'arch_call_rest_init',
  'acpi_idle_enter', 'acpi_idle_do_entry', 'acpi_safe_halt', 'cpuidle_enter', 'cpuidle_enter_state',
  'mwait_idle', 'poll_idle', 'secondary_start_kernel', '__secondary_switched', 'cpu_do_idle',
  // entry code
  'ret_from_fork', 'ret_from_fork_asm', 'entry_SYSCALL_64', 'entry_SYSCALL_64_after_hwframe',
  'entry_SYSCALL_64_fastpath', 'entry_SYSENTER_compat', 'entry_SYSENTER_compat_after_hwframe',
  'entry_INT80_compat', 'entry_SYSCALL_compat', 'do_syscall_64', 'do_syscall_x64', 'do_syscall_32_irqs_on',
  'do_fast_syscall_32', 'do_int80_syscall_32', '__do_fast_syscall_32', 'syscall_exit_to_user_mode',
  'exit_to_user_mode_prepare', 'exit_to_usermode_loop', 'prepare_exit_to_usermode',
  'syscall_return_slowpath', 'error_entry', 'error_exit', 'error_return', 'paranoid_entry',
  'asm_exc_page_fault', 'asm_exc_invalid_op', 'asm_exc_general_protection', 'asm_exc_divide_error',
  'asm_exc_double_fault', 'asm_exc_int3', 'asm_exc_debug', 'irqentry_exit', 'irqentry_exit_cond_resched',
  'irqentry_enter', 'raw_irqentry_exit_cond_resched', 'ret_fast_syscall', 'vector_swi', 'invoke_syscall',
  'el0_svc_common', 'do_el0_svc', 'el0_svc', 'el0_sync', 'el0_sync_handler', 'el0t_64_sync',
  'el0t_64_sync_handler', '__invoke_syscall', 'el0_da', 'el0_ia',
  // unwinder, stack walking, tracing
  'save_stack', 'save_stack_trace', 'save_stack_trace_tsk', 'stack_trace_save', 'stack_trace_save_tsk',
  'arch_stack_walk', 'unwind_next_frame', '__unwind_start', 'show_trace', 'walk_stackframe',
  'stack_depot_save', '__stack_depot_save', 'stack_depot_save_flags', 'ftrace_graph_caller',
  // scheduler and tty lock wrappers
  'task_rq_lock', '__task_rq_lock', 'rq_lock', 'rq_lock_irq', 'rq_lock_irqsave', 'raw_spin_rq_lock',
  'raw_spin_rq_lock_nested', '_raw_spin_rq_lock', 'double_rq_lock', 'tty_ldisc_lock', 'tty_ldisc_lock_pair',
  'tty_ldisc_lock_pair_timeout', 'tty_lock', 'tty_lock_interruptible', 'tty_write_lock', 'lock_sock',
  'lock_sock_nested', 'lock_sock_fast', 'reacquire_held_locks', 'lock_set_class', '__lock_set_class',
  'osq_lock', 'osq_unlock', 'complete', 'complete_all', 'swake_up_locked',
  // workqueue and timer API, debugobjects callbacks
  'queue_work_on', '__queue_work', 'queue_work', 'queue_delayed_work_on', '__queue_delayed_work',
  'mod_delayed_work_on', 'insert_work', 'work_is_static_object', 'timer_is_static_object',
  'del_timer', 'del_timer_sync', 'try_to_del_timer_sync', '__del_timer_sync', 'timer_delete',
  'timer_delete_sync', '__timer_delete_sync', 'lock_timer_base', 'mod_timer', '__mod_timer', 'add_timer',
  'hrtimer_cancel', 'hrtimer_try_to_cancel', 'hrtimer_start_range_ns', 'init_timer_key',
  // driver core and kobjects: a driver's misuse surfaces inside them
  'kobject_del', '__kobject_del', 'kobject_put', 'kobject_get', 'kobject_release', 'kobject_cleanup',
  'kobject_uevent', 'kobject_uevent_env', 'add_uevent_var', 'kobject_add', 'kobject_add_internal',
  'kobject_init_and_add', 'device_del', 'device_unregister', 'device_add', 'device_register',
  'device_remove_file', 'device_create_file', 'device_release_driver_internal', 'put_device', 'get_device',
  'klist_next', 'klist_prev', 'klist_iter_exit', 'klist_del', 'klist_remove', 'iput', 'dput',
  // skb and page helpers that BUG or free on a caller's behalf
  'skb_pull', 'skb_push', 'skb_put', '__skb_pull', '__skb_push', '__skb_put', 'skb_over_panic',
  'skb_under_panic', 'skb_panic', 'kfree_skb', '__kfree_skb', 'kfree_skb_reason', 'consume_skb',
  'skb_release_data', 'skb_release_head_state', 'skb_release_all', 'skb_free_head', 'put_page',
  '__put_page', 'free_large_kmalloc', 'warn_alloc', 'free_page_is_bad_report', 'free_page_is_bad',
  'free_pages_prepare', 'free_unref_page', 'free_unref_page_prepare', '__free_pages',
  '__free_pages_ok', 'free_pages', '__folio_put', 'folio_put', 'release_pages',
  // string formatting and library routines that only read what they are given
  'string', 'string_nocheck', 'pointer', 'widen_string', 'format_decode', 'hex_dump_to_buffer',
  'print_hex_dump', 'read_word_at_a_time', 'crc_itu_t', 'crc16', 'crc32_le', 'crc32_be', 'crc32_le_base',
  '__crc32c_le', '__crc32c_le_base', 'crc32c', 'crc_t10dif', 'crc_t10dif_generic', 'rb_erase',
  'rb_insert_color', '__rb_erase_color', '__rb_insert_augmented', 'rb_next', 'rb_prev', 'rb_first',
  'test_and_clear_bit', 'test_and_set_bit', 'set_bit', 'clear_bit', 'change_bit', 'test_and_change_bit',
  '__test_and_clear_bit', '__test_and_set_bit', 'clear_bit_unlock', 'test_and_set_bit_lock',
  // more crash machinery
  'df_debug', 'do_tag_check_fault', 'do_tag_recovery', 'report_tag_fault', 'warn_bogus_irq_restore',
  'ref_tracker_dir_exit', 'ref_tracker_free', 'ref_tracker_alloc', '__bad_stack', '__virt_to_phys',
  '__phys_addr', 'handle_percpu_devid_irq', '__handle_domain_irq', 'handle_domain_irq',
  'generic_handle_arch_irq', 'dump_cpu_task', '_sched_show_task', 'print_context_stack', 'dump_trace',
  'release_sock', '__release_sock',
  'flush_workqueue', '__flush_workqueue', 'drain_workqueue', 'cancel_work_sync', '__cancel_work_timer',
  'flush_delayed_work', 'sk_skb_reason_drop', 'kfree_skb_list_reason', 'proc_register', 'proc_create_data',
  'proc_create', 'proc_create_seq_private', 'proc_create_single_data', 'proc_mkdir', 'proc_mkdir_data',
  'proc_mkdir_mode', 'proc_net_mkdir', 'proc_symlink', 'proc_create_net_data', '_proc_mkdir',
  'do_trap_break', 'do_trap_insn_illegal', 'do_page_fault_oops',
  // SLUB's own debug checks (mm/slub.c), run inside an allocation or a free on a caller's behalf
  'check_object', 'check_slab', 'check_pad_bytes', 'slab_pad_check', 'on_freelist', 'alloc_debug_processing',
  'free_debug_processing', 'free_to_partial_list', 'get_partial_node', 'get_partial', 'get_any_partial',
  'slab_bug', 'slab_fix', 'print_tracking', 'init_object', 'set_track', 'set_track_update',
  // x86 return thunks (retbleed, SRSO mitigations): every function returns through them
  '__x86_return_thunk', 'srso_return_thunk', 'srso_alias_return_thunk', 'retbleed_return_thunk',
  'srso_safe_ret', 'srso_alias_safe_ret', 'entry_untrain_ret', 'zen_untrain_ret',
]);

/** Name prefixes. */
const PREFIXES = [
  'kasan_', '__kasan_', '__asan_', 'asan_', 'kmsan_', '__kmsan_', '__msan_', 'kfence_', '__kfence_',
  'ubsan_', '__ubsan_', 'kcsan_', '__kcsan_', '__tsan_', '__sanitizer_', 'kcov_', '__kcov_',
  'dump_stack', 'print_', '__print_', 'printk_', 'vprintk', 'lockdep_', '__lockdep_',
  'lock_class', '_raw_spin_', '_raw_read_', '_raw_write_', 'raw_spin_', 'raw_read_', 'raw_write_',
  '__raw_spin_', '__raw_read_', '__raw_write_', 'spin_lock', 'spin_unlock', 'spin_trylock', 'read_lock',
  'read_unlock', 'write_lock', 'write_unlock', 'do_raw_', 'queued_', '__pv_queued_', 'rwsem_',
  '__rwsem_', 'mutex_lock', 'mutex_unlock', 'rt_mutex_', '__rt_mutex_', 'ww_mutex_', '__ww_mutex_',
  'warn_slowpath', '__warn_', 'refcount_', '__refcount_', 'debug_object', '__debug_object', 'copy_user_',
  '__copy_user', 'rep_movs', '__memcpy', '__memset', '__memmove', 'memcpy_', 'memset_', 'nmi_',
  'asm_exc_', 'asm_sysvec_', 'sysvec_', 'exc_', 'entry_SYSCALL', 'entry_SYSENTER', 'entry_INT80',
  '__schedule', 'schedule_timeout', 'schedule_hrtimeout', 'wait_for_completion', 'trace_hardirqs', 'stack_depot', 'fortify_',
  '__fortify_', '__stack_chk', '__list_add_valid', '__list_del_entry_valid', 'check_memory_region',
  'kmemleak_', '__kmem_cache_alloc', '__kmalloc', 'kmalloc_', 'kmem_cache_alloc', 'slab_alloc',
  '__slab_alloc', 'rcu_read_', '__rcu_read_', 'debug_lockdep_rcu', '__might_', '___might_', 'mutex_',
  '__mutex_', 'debug_mutex_', 'ldsem_', '__ldsem_', '__hwasan_', 'hwasan_', '__vmalloc', 'vmalloc',
  'kvmalloc', '__kvmalloc', 'work_fixup_', 'timer_fixup_', 'kobject_', '__kobject_', 'sysfs_', 'rcu_gp_',
  // Retpolines (`__x86_indirect_thunk_rax`, arm `__llvm_retpoline_`): an indirect call or jump
  // goes through them, so a crash "in" one is a crash in the code that made the call.
  '__x86_indirect_thunk_', '__x86_indirect_call_thunk_', '__x86_indirect_jump_thunk_', '__llvm_retpoline_',
  // Function-entry padding symbols of 6.x kernels (`__pfx_func`): never code that runs.
  '__pfx_',
];

/**
 * Functions that allocate on a caller's behalf: not the owner of a leaked object (but may be
 * the culprit of other reports).
 */
const ALLOCATING = new Set([
  'radix_tree_node_alloc', 'idr_get_free', 'idr_alloc', 'idr_alloc_u32', 'idr_alloc_cyclic', 'ida_alloc_range',
  'ida_simple_get', 'ida_pre_get', 'ida_alloc', 'xas_alloc', 'xas_create', 'xas_store', 'xa_store',
  '__xa_store', '__xa_alloc', 'xa_alloc', 'kvasprintf_const', 'kobject_set_name_vargs', 'dev_set_name',
  'kvasprintf', 'kasprintf', 'alloc_skb', '__alloc_skb', 'alloc_skb_with_frags', 'sock_alloc_send_pskb',
  'sk_prot_alloc', 'sk_alloc', 'kmemdup', 'kstrdup', 'kstrdup_const', 'kmemdup_nul', 'kstrndup',
]);

/** A simple lock wrapper: `reiserfs_write_lock`, `tty_unlock`, `foo_trylock`, `bar_lock_irqsave`. */
const LOCK_WRAPPER = /(?:^|_)(?:un|try)?lock(?:_nested|_irq|_irqsave|_bh|_interruptible|_killable|_shared)?$/;

/** isHelperFrame() for a kmemleak backtrace: also the allocating helpers. */
export function isLeakHelperFrame(fn: string): boolean {
  return ALLOCATING.has(fn) || isHelperFrame(fn);
}

const cache = new Map<string, boolean>();

/** True when `fn` is printing, crash machinery, a sanitizer, locking or a copy/alloc helper. */
export function isHelperFrame(fn: string): boolean {
  const hit = cache.get(fn);
  if (hit !== undefined) return hit;
  // `smp_apic_timer_interrupt`, `smp_trace_apic_timer_interrupt_entry_after_kaiser_bti`...
  let helper = EXACT.has(fn) || fn.includes('apic_timer_interrupt') || LOCK_WRAPPER.test(fn);
  if (!helper) {
    for (const p of PREFIXES) {
      if (fn.startsWith(p)) {
        helper = true;
        break;
      }
    }
  }
  if (cache.size < 10_000) cache.set(fn, helper);
  return helper;
}
