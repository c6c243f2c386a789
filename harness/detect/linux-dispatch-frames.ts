/**
 * Generic dispatch layers of the kernel: syscall entry, VFS, sockets and netlink, packet
 * receive, softirqs, timers, workqueues, kthreads. A stall or lockup interrupts a loop at a
 * different instruction each time; the function that the nearest dispatch layer called (the
 * operation's handler: `kvm_vcpu_ioctl`, `rtnl_newlink`, `fuse_dev_release`) is the stable
 * name for it.
 */
import { syscallName } from './linux-syscall-name.js';

const EXACT = new Set([
  // VFS and file lifetime
  'do_vfs_ioctl', 'vfs_ioctl', '__vfs_write', '__vfs_read', 'vfs_write', 'vfs_read', 'new_sync_write',
  'new_sync_read', 'do_iter_readv_writev', 'do_iter_write', 'do_iter_read', 'vfs_writev', 'vfs_readv',
  'do_writev', 'do_readv', 'vfs_iter_write', 'vfs_iter_read', 'do_dentry_open', 'vfs_open', 'path_openat',
  'do_filp_open', '__fput', '____fput', 'fput', 'delayed_fput', 'task_work_run', 'vfs_fsync_range',
  'do_fsync', 'do_splice', 'do_splice_to', 'do_splice_from', 'splice_direct_to_actor', 'vfs_fallocate',
  'mmap_region', 'do_mmap', 'do_mmap_pgoff', 'vm_mmap_pgoff', 'vm_mmap', 'ksys_mmap_pgoff',
  'call_read_iter', 'call_write_iter', 'compat_ptr_ioctl', 'vfs_poll', 'do_sys_poll', 'do_select',
  'blkdev_ioctl', 'compat_blkdev_ioctl', 'blkdev_compat_ioctl', 'block_ioctl', '__blkdev_driver_ioctl',
  'blkdev_driver_ioctl', 'kvm_vm_compat_ioctl', 'kvm_vcpu_compat_ioctl', 'compat_sys_ioctl',
  // sockets and netlink
  'sock_sendmsg', 'sock_recvmsg', '__sock_sendmsg', 'sock_sendmsg_nosec', 'sock_recvmsg_nosec',
  'sock_write_iter', 'sock_read_iter', 'sock_ioctl', 'sock_do_ioctl', 'compat_sock_ioctl', '__sys_sendmsg',
  '___sys_sendmsg', '____sys_sendmsg', '__sys_recvmsg', '___sys_recvmsg', '____sys_recvmsg', '__sys_sendto',
  '__sys_recvfrom', '__sys_setsockopt', '__sys_getsockopt', '__sys_connect', '__sys_bind', '__sys_accept4',
  'netlink_rcv_skb', 'netlink_unicast', 'netlink_unicast_kernel', 'netlink_sendmsg', 'rtnetlink_rcv_msg',
  'rtnetlink_rcv', 'nfnetlink_rcv_msg', 'nfnetlink_rcv', 'nfnetlink_rcv_batch', 'genl_rcv_msg', 'genl_rcv',
  'genl_family_rcv_msg', 'genl_family_rcv_msg_doit', 'genl_family_rcv_msg_dumpit',
  // packet receive and transmit
  '__netif_receive_skb_core', '__netif_receive_skb_one_core', '__netif_receive_skb', 'netif_receive_skb',
  'netif_receive_skb_internal', '__netif_receive_skb_list_core', 'netif_receive_skb_list_internal',
  'process_backlog', 'net_rx_action', '__napi_poll', 'napi_poll', 'napi_gro_receive', 'napi_gro_frags',
  'gro_normal_list', 'dev_queue_xmit', '__dev_queue_xmit', 'dev_hard_start_xmit', 'sch_direct_xmit',
  '__qdisc_run', 'net_tx_action',
  // softirqs, timers, tasklets, IPIs
  '__do_softirq', 'handle_softirqs', 'do_softirq', 'call_timer_fn', 'expire_timers', '__run_timers',
  'run_timer_softirq', 'run_timer_base', '__run_timer_base', '__hrtimer_run_queues', '__run_hrtimer',
  'hrtimer_run_softirq', 'tasklet_action_common', 'tasklet_action', 'tasklet_hi_action', 'rcu_do_batch',
  'on_each_cpu', 'on_each_cpu_cond_mask', 'on_each_cpu_mask', 'smp_call_function_many_cond',
  // threads and work
  'process_one_work', 'process_scheduled_works', 'worker_thread', 'kthread', 'ret_from_fork',
  'ret_from_fork_asm', 'smpboot_thread_fn', 'do_initcall_level', 'do_initcalls', 'kernel_init_freeable',
  'do_one_initcall', 'do_init_module', 'load_module',
  // syscall entry
  'do_syscall_64', 'do_syscall_x64', 'x64_sys_call', 'do_fast_syscall_32', 'do_int80_syscall_32',
  '__do_fast_syscall_32', 'invoke_syscall', 'el0_svc_common', 'sysenter_dispatch', 'ia32_sysenter_target',
  'ret_fast_syscall', 'vector_swi', 'system_call_fastpath', 'tracesys_phase2',
]);

// A system call's own entry symbols (`__x64_sys_rmdir`...) are not a dispatch layer: they name
// the operation, and a stall under them is named after the call (linux-syscall-name.ts).
const PREFIXES = ['ksys_', 'entry_SYSCALL', 'entry_SYSENTER', 'entry_INT80'];

/**
 * System calls that only pass the operation on to a file's, socket's or device's own handler
 * (file_operations, proto_ops): under them the handler is the name of the operation.
 */
const MULTIPLEXED_CALLS = new Set([
  'ioctl', 'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2',
  'pwritev2', 'sendfile', 'sendfile64', 'splice', 'mmap', 'mmap_pgoff', 'old_mmap', 'poll', 'ppoll',
  'select', 'pselect6', 'sendmsg', 'sendmmsg', 'sendto', 'send', 'recvmsg', 'recvmmsg', 'recvfrom', 'recv',
  'connect', 'bind', 'listen', 'accept', 'accept4', 'socketpair', 'setsockopt', 'getsockopt', 'socketcall',
]);

export function isDispatchFrame(fn: string): boolean {
  if (EXACT.has(fn)) return true;
  const call = syscallName(fn);
  if (call !== fn || call.startsWith('sys_') || call.startsWith('compat_sys_')) {
    return MULTIPLEXED_CALLS.has(call.slice(call.indexOf('sys_') + 4));
  }
  // 32-bit compat shims in front of the real ioctl handler.
  if (fn.endsWith('_compat_ioctl')) return true;
  for (const p of PREFIXES) if (fn.startsWith(p)) return true;
  return false;
}
