/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sensor-ebpf: what the BPF program (sensor.bpf.c) and its loader (loader.c) share.
 *
 * The loader parses the content file in user space and writes the rules into the
 * program's read-only data (`cfg`, in .rodata) BEFORE the program is loaded. libbpf
 * freezes that map, so the verifier reads every rule as a constant: it sees each
 * rule's field index and proves (or refuses) every access to the 20-entry inputs array.
 *
 * Plain C types only: this header is compiled by clang -target bpf and by the host cc.
 */
#ifndef SENSOR_EBPF_H
#define SENSOR_EBPF_H

#include <linux/types.h>

#define SENSOR_VERSION		"2.1.0"
#define SENSOR_NR_INPUTS	20	/* input values the interpreter supplies per exec */
#define SENSOR_MAX_FIELDS	32	/* a template may declare up to this many */
#define SENSOR_MAX_RULES	256
#define SENSOR_NAME_LEN		32
#define SENSOR_VALUE_LEN	64	/* rule values: at most 63 bytes */
#define SENSOR_STR_LEN		128	/* string inputs are truncated to 127 bytes */
#define SENSOR_COMM_LEN		16

enum sensor_type { SENSOR_UNSET = 0, SENSOR_STR = 1, SENSOR_INT = 2 };

enum sensor_op {
	OP_ANY,		/* wildcard: matches everything, the field is never looked at */
	OP_EXACT, OP_PREFIX, OP_SUFFIX, OP_CONTAINS,	/* string fields */
	OP_EQ, OP_NE, OP_LT, OP_GT,			/* integer fields */
	OP_COUNT
};

/* The input values, in content order (field=1 is IN_FILENAME). */
enum {
	IN_FILENAME, IN_INTERP, IN_COMM, IN_PARENT_COMM,
	IN_PID, IN_TGID, IN_PPID, IN_OLD_PID,
	IN_UID, IN_EUID, IN_SUID, IN_FSUID,
	IN_GID, IN_EGID, IN_SGID, IN_FSGID,
	IN_ARGC, IN_ENVC, IN_SECUREEXEC, IN_CPU,
	IN_COUNT
};

struct sensor_rule {
	__u32 field;		/* 1-based, as written in the content */
	__u32 op;		/* enum sensor_op */
	__s64 num;		/* integer operand */
	__u32 value_len;
	__u32 log;		/* action=log */
	char value[SENSOR_VALUE_LEN];	/* NUL-terminated: a constant string for bpf_strncmp */
	char name[SENSOR_NAME_LEN];
};

/* The program's .rodata: the only read-only global of sensor.bpf.c. */
struct sensor_config {
	char version[16];
	__u32 content_version;
	__u32 nr_fields;	/* declared by the template line */
	__u32 nr_rules;
	__u32 pad;
	struct sensor_rule rules[SENSOR_MAX_RULES];
};

/* One input value: a string (s, with its length in n) or an integer (n). */
struct sensor_value {
	__s64 n;
	char s[SENSOR_STR_LEN];
};

/* The interpreter's inputs for one exec: a per-CPU scratch map value of exactly 20 entries. */
struct sensor_inputs {
	struct sensor_value v[SENSOR_NR_INPUTS];
};

struct sensor_last_log {
	__u32 rule;		/* index + 1; 0: none yet */
	__s32 pid;
	__s64 uid;
	char filename[SENSOR_STR_LEN];
};

/* The program's .bss: the only writable global of sensor.bpf.c. */
struct sensor_stats {
	__u64 execs;
	__u64 matches;
	__u64 logged;
	__u64 hits[SENSOR_MAX_RULES];
	struct sensor_last_log last_log;
};

#endif
