// SPDX-License-Identifier: GPL-2.0
/*
 * sensor-ebpf: the user-space half of the eBPF sensor.
 *
 *   sensor-ebpf load   [-c CONTENT] [-o OBJECT] [-p PINDIR] [-s STATEDIR]
 *   sensor-ebpf check  [-c CONTENT] [-o OBJECT]      parse + verify only: nothing is attached
 *   sensor-ebpf status [-p PINDIR] [-s STATEDIR]     exit 0 only when the program is attached
 *   sensor-ebpf unload [-p PINDIR]
 *   sensor-ebpf explain LOG                          a verifier log: a missing kernel feature, or the content
 *
 * `load` parses the content file (the same format and the same parser logic as the kernel
 * module, including its bug: a rule's field is checked against the template, not against the
 * 20 inputs), writes the rules into the program's read-only data, and asks the kernel to load
 * the program. The verifier sees every rule's field index as a constant: content that indexes
 * past the 20 inputs is refused by the verifier, the loader prints the verifier's log on the
 * console and exits non-zero, and the machine boots without the sensor. Content that passes
 * is attached to sched_process_exec; the link and the maps are pinned in bpffs, so the
 * program stays attached after the loader exits (no daemon).
 *
 * A kernel too old for the program (the verifier does not know a helper it calls: bpf_strncmp
 * came in 5.17) is not the content's fault: the loader says so and falls back to the compat
 * program built from the same source without that helper (sensor-compat.bpf.o), which does not
 * enforce string rules. It runs in reduced functionality, and `status` reports that as unhealthy.
 *
 * Linked statically (libbpf, libelf, libz, libc): it runs in a busybox initramfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sensor.h"

#define PFX			"sensor-ebpf: "
#define DEFAULT_CONTENT		"/var/lib/sensor-ebpf/channel.txt"
#define DEFAULT_OBJECT		"/opt/sensor-ebpf/sensor.bpf.o"
#define DEFAULT_PINDIR		"/sys/fs/bpf/sensor-ebpf"
#define DEFAULT_STATEDIR	"/run/sensor-ebpf"
#define BPF_FS			"/sys/fs/bpf"
#define BPF_FS_MAGIC_		0xcafe4a11
#define MAX_CONTENT		(1 << 20)
#define VERIFIER_LOG_SIZE	(16u << 20)	/* 6.1 drops what does not fit: keep the tail */
#define CONSOLE_LOG_LINES	40		/* verifier lines printed on the console */
#define HEALTH_LOG_LINES	12		/* ... and kept for `status` */
#define LOG_FILE_NAME		"verifier.log"
#define REFUSED_FILE_NAME	"refused"
#define LOADED_FILE_NAME	"loaded"
#define FALLBACK_FILE_NAME	"fallback"	/* the compat program runs: why */
#define COMPAT_OBJECT_NAME	"sensor-compat.bpf.o"

static const char *content_path = DEFAULT_CONTENT;
static const char *object_path;
static const char *pin_dir = DEFAULT_PINDIR;
static const char *state_dir = DEFAULT_STATEDIR;

/* ---------------------------------------------------------------- helpers */

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs(PFX, stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0) {
		perror("asprintf");
		exit(3);
	}
	return p;
}

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	char *s;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static void write_state(const char *name, const char *text)
{
	char *p = path_in(state_dir, name);
	FILE *f;

	if (mkdir_p(state_dir) == 0 && (f = fopen(p, "w"))) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

static void clear_state(void)
{
	/*
	 * Not LOADED_FILE_NAME: a refused reload leaves the previous program (and its record) in
	 * place. FALLBACK_FILE_NAME goes: a later load decides again which program runs.
	 */
	const char *names[] = { REFUSED_FILE_NAME, LOG_FILE_NAME, FALLBACK_FILE_NAME };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = path_in(state_dir, names[i]);

		unlink(p);
		free(p);
	}
}

/* A growing string for the `refused` state file. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *s = realloc(b->s, cap);

		if (!s)
			return;
		b->s = s;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

/* ---------------------------------------------------------------- content */

struct input_desc {
	const char *name;
	enum sensor_type type;
};

/* What the interpreter supplies for every exec: 20 values (sensor.bpf.c gathers them). */
static const struct input_desc sensor_inputs[SENSOR_NR_INPUTS] = {
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

static const struct {
	const char *name;
	enum sensor_type type;
} sensor_ops[OP_COUNT] = {
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

static char parse_error[512];

#define content_error(...) snprintf(parse_error, sizeof(parse_error), __VA_ARGS__)

static char *next_token(char **cursor)
{
	char *tok;

	do {
		tok = strsep(cursor, " \t");
	} while (tok && !*tok);
	return tok;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool parse_uint(const char *s, __u32 *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT_MAX)
		return false;
	*out = v;
	return true;
}

static int parse_rule(char *line, unsigned int lineno, struct sensor_rule *r)
{
	char *kw = next_token(&line);
	char *name = next_token(&line);
	char *tok, *value = NULL;
	bool have_field = false, have_op = false;
	unsigned int i;

	if (!kw || strcmp(kw, "rule") || !name) {
		content_error("content line %u: expected `rule <name> field=<n> op=<op> value=<v>`", lineno);
		return -EINVAL;
	}
	if (strlen(name) >= sizeof(r->name)) {
		content_error("content line %u: rule name longer than %d bytes", lineno, SENSOR_NAME_LEN - 1);
		return -EINVAL;
	}
	memset(r, 0, sizeof(*r));
	strcpy(r->name, name);
	while ((tok = next_token(&line))) {
		if (!strncmp(tok, "field=", 6)) {
			if (!parse_uint(tok + 6, &r->field))
				goto bad_token;
			have_field = true;
		} else if (!strncmp(tok, "op=", 3)) {
			for (i = 0; i < OP_COUNT && strcmp(tok + 3, sensor_ops[i].name); i++)
				;
			if (i == OP_COUNT)
				goto bad_token;
			r->op = i;
			have_op = true;
		} else if (!strncmp(tok, "value=", 6)) {
			value = tok + 6;
		} else if (!strcmp(tok, "action=log")) {
			r->log = 1;
		} else if (!strcmp(tok, "action=count")) {
			r->log = 0;
		} else {
			goto bad_token;
		}
	}
	/* `value=*` is the wildcard spelling of op=any. */
	if (value && !strcmp(value, "*")) {
		r->op = OP_ANY;
		have_op = true;
	}
	if (!have_field || !have_op) {
		content_error("content line %u: rule %s needs field= and op=", lineno, r->name);
		return -EINVAL;
	}
	if (r->op != OP_ANY && !value) {
		content_error("content line %u: rule %s needs value=", lineno, r->name);
		return -EINVAL;
	}
	if (value) {
		if (strlen(value) >= sizeof(r->value)) {
			content_error("content line %u: rule %s: value longer than %d bytes", lineno, r->name,
				      SENSOR_VALUE_LEN - 1);
			return -EINVAL;
		}
		strcpy(r->value, value);
		r->value_len = strlen(value);
	}
	if (r->op != OP_ANY && sensor_ops[r->op].type == SENSOR_INT) {
		char *end;

		errno = 0;
		r->num = strtoll(value, &end, 0);
		if (errno || !*value || *end) {
			content_error("content line %u: rule %s: value=%s is not an integer", lineno, r->name, value);
			return -EINVAL;
		}
	}
	return 0;

bad_token:
	content_error("content line %u: rule %s: bad token `%s`", lineno, r->name, tok);
	return -EINVAL;
}

/*
 * The same parser as the kernel module's sensor_parse_channel(), with the same bug: the
 * field-type table is sized from the template but filled from the 20 inputs, and a rule's
 * field is validated against the template. In user space an unfilled slot is SENSOR_UNSET
 * (not a NULL pointer), so the type check has nothing to compare and the rule passes on
 * to the program, field 21 and all. The verifier is what stands between it and the kernel.
 */
static int parse_channel(char *text, struct sensor_config *cfg)
{
	enum sensor_type *fields = NULL;	/* the field-type table */
	char *cursor = text, *line;
	unsigned int lineno = 0, i;
	int stage = 0, err = 0;

	while ((line = strsep(&cursor, "\n"))) {
		struct sensor_rule *r;

		lineno++;
		line = trim(line);
		if (!*line || *line == '#')
			continue;

		if (stage == 0) {
			char *kw = next_token(&line), *num = next_token(&line);

			if (!kw || strcmp(kw, "channel") || !num || next_token(&line) ||
			    !parse_uint(num, &cfg->content_version)) {
				content_error("content line %u: expected `channel <version>`", lineno);
				err = -EINVAL;
				goto out;
			}
			stage = 1;
			continue;
		}

		if (stage == 1) {
			char *kw = next_token(&line), *arg = next_token(&line);

			if (!kw || strcmp(kw, "template") || !arg || strncmp(arg, "fields=", 7) ||
			    next_token(&line) || !parse_uint(arg + 7, &cfg->nr_fields)) {
				content_error("content line %u: expected `template fields=<n>`", lineno);
				err = -EINVAL;
				goto out;
			}
			if (cfg->nr_fields < 1 || cfg->nr_fields > SENSOR_MAX_FIELDS) {
				content_error("content line %u: template fields=%u out of range 1..%d", lineno,
					      cfg->nr_fields, SENSOR_MAX_FIELDS);
				err = -ERANGE;
				goto out;
			}
			/* Sized from the template ... */
			fields = calloc(cfg->nr_fields, sizeof(*fields));
			if (!fields) {
				err = -ENOMEM;
				goto out;
			}
			/* ... but filled from the interpreter, which supplies only 20 inputs. */
			for (i = 0; i < cfg->nr_fields && i < SENSOR_NR_INPUTS; i++)
				fields[i] = sensor_inputs[i].type;
			stage = 2;
			continue;
		}

		if (cfg->nr_rules == SENSOR_MAX_RULES) {
			content_error("content line %u: more than %d rules", lineno, SENSOR_MAX_RULES);
			err = -E2BIG;
			goto out;
		}
		r = &cfg->rules[cfg->nr_rules];
		err = parse_rule(line, lineno, r);
		if (err)
			goto out;

		/* The bug, kept: checked against the template, not SENSOR_NR_INPUTS. */
		if (r->field < 1 || r->field > cfg->nr_fields) {
			content_error("content line %u: rule %s: field=%u outside the template (1..%u)", lineno,
				      r->name, r->field, cfg->nr_fields);
			err = -ERANGE;
			goto out;
		}
		/* Bind the operator to the field's type; an unfilled slot has no type to disagree with. */
		if (r->op != OP_ANY && fields[r->field - 1] != SENSOR_UNSET &&
		    fields[r->field - 1] != sensor_ops[r->op].type) {
			content_error("content line %u: rule %s: op=%s does not apply to field %u (%s)", lineno,
				      r->name, sensor_ops[r->op].name, r->field, sensor_inputs[r->field - 1].name);
			err = -EINVAL;
			goto out;
		}
		cfg->nr_rules++;
	}
	if (stage < 2) {
		content_error("content: missing %s line", stage == 0 ? "`channel <version>`" : "`template fields=<n>`");
		err = -EINVAL;
	}
out:
	free(fields);
	return err;
}

static int read_content(const char *path, struct sensor_config *cfg)
{
	char *text;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		content_error("cannot read content %s: %s", path, strerror(errno));
		return -errno;
	}
	text = malloc(MAX_CONTENT + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, text, MAX_CONTENT + 1);
	close(fd);
	if (n < 0 || n > MAX_CONTENT) {
		content_error("cannot read content %s: %s", path, n < 0 ? strerror(errno) : "larger than 1 MiB");
		free(text);
		return -EINVAL;
	}
	if (memchr(text, '\0', n)) {
		content_error("content %s is not a text file (contains NUL bytes)", path);
		free(text);
		return -EINVAL;
	}
	text[n] = '\0';
	err = parse_channel(text, cfg);
	free(text);
	return err;
}

/* ------------------------------------------------------------------ libbpf */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	char *line, *save = NULL;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(stdout, PFX "%s\n", line);
	fflush(stdout);
	return 0;
}

static int ensure_bpffs(void)
{
	struct statfs st;

	if (statfs(BPF_FS, &st) == 0 && (unsigned long)st.f_type == BPF_FS_MAGIC_)
		return 0;
	mkdir_p(BPF_FS);
	if (mount("bpf", BPF_FS, "bpf", 0, "mode=0700")) {
		int err = -errno;

		say("cannot mount bpffs on %s: %s", BPF_FS, strerror(errno));
		return err;
	}
	return 0;
}

/* The last `max` lines of text (in place: returns a pointer into it). */
static const char *tail_lines(const char *text, unsigned int max)
{
	const char *p = text + strlen(text);
	unsigned int n = 0;

	while (p > text && (p[-1] == '\n'))
		p--;
	while (p > text) {
		if (p[-1] == '\n' && ++n == max)
			break;
		p--;
	}
	return p;
}

static void each_line(const char *text, void (*fn)(const char *line, size_t len, void *arg), void *arg)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		if (len)
			fn(text, len, arg);
		text += len + (nl ? 1 : 0);
	}
}

static void print_verifier_line(const char *line, size_t len, void *arg)
{
	(void)arg;
	fprintf(stdout, PFX "verifier: %.*s\n", (int)len, line);
}

static void keep_verifier_line(const char *line, size_t len, void *arg)
{
	sb_printf(arg, PFX "verifier: %.*s\n", (int)len, line);
}

static char *content_label(const struct sensor_config *cfg)
{
	char *s;

	if (cfg->content_version || cfg->nr_fields) {
		if (asprintf(&s, "content %u", cfg->content_version) < 0)
			return NULL;
	} else if (asprintf(&s, "content %s", content_path) < 0) {
		return NULL;
	}
	return s;
}

/*
 * Map the verifier's complaint back to the content: when the rejected access is past the end of
 * the inputs map value, the offset names the input entry, and so the rules that use it.
 */
static void explain_rejection(const struct sensor_config *cfg, const char *vlog, char *out, size_t size)
{
	const char *at = NULL, *p = vlog;
	unsigned long vs, off, entry;
	unsigned int i;
	int n;

	out[0] = '\0';
	while ((p = strstr(p, "invalid access to map value, value_size=")))
		at = p++;
	if (!at || sscanf(at, "invalid access to map value, value_size=%lu off=%lu", &vs, &off) != 2 ||
	    vs != sizeof(struct sensor_inputs))
		return;
	entry = off / sizeof(struct sensor_value);
	n = snprintf(out, size, "the rejected access reads input %lu of the %d the interpreter supplies (rules on field %lu:",
		     entry + 1, SENSOR_NR_INPUTS, entry + 1);
	for (i = 0; i < cfg->nr_rules && n > 0 && (size_t)n < size; i++)
		if (cfg->rules[i].field == entry + 1)
			n += snprintf(out + n, size - n, " %s", cfg->rules[i].name);
	if (n > 0 && (size_t)n < size)
		snprintf(out + n, size - n, ")");
}

/* Refused content or a failed load: say it on the console and keep it for `status`. */
static int refuse(const struct sensor_config *cfg, const char *why, const char *vlog, int code)
{
	char *label = content_label(cfg);
	struct sbuf b = {};
	char hint[512] = "";

	if (vlog && *vlog) {
		fflush(stdout);
		each_line(tail_lines(vlog, CONSOLE_LOG_LINES), print_verifier_line, NULL);
		explain_rejection(cfg, vlog, hint, sizeof(hint));
	}
	say("refused %s: %s", label ? label : content_path, why);
	sb_printf(&b, PFX "refused %s: %s\n", label ? label : content_path, why);
	if (*hint) {
		say("%s", hint);
		sb_printf(&b, PFX "%s\n", hint);
	}
	if (vlog && *vlog)
		each_line(tail_lines(vlog, HEALTH_LOG_LINES), keep_verifier_line, &b);
	write_state(REFUSED_FILE_NAME, b.s ? b.s : "");
	free(b.s);
	free(label);
	return code;
}

/* Helpers the program calls that not every kernel has: named in the fallback's message. */
static const struct {
	int id;
	const char *name, *since;
} late_helpers[] = {
	{ 182, "bpf_strncmp", "5.17" },
};

/*
 * Whether the verifier refused the program because this kernel lacks a helper it calls (the
 * kernel is too old: the compat program may load) rather than for what the program does with
 * the content. The kernel's messages (kernel/bpf/verifier.c): "invalid func unknown#N" (an id
 * past this kernel's last helper), "unknown func NAME#N" (5.x: not offered to this program
 * type), "program of this type cannot use helper NAME#N" (6.x). On true, out holds one line:
 * the verifier's message and the helper it names.
 */
static bool missing_helper(const char *vlog, char *out, size_t size)
{
	static const char *const forms[] = { "invalid func ", "unknown func ", "program of this type cannot use helper " };
	char name[64], line[160];
	unsigned int i, k;
	const char *at;
	int id;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		at = strstr(vlog, forms[i]);
		if (!at || sscanf(at + strlen(forms[i]), "%63[^#\n]#%d", name, &id) != 2)
			continue;
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(at, "\n"), at);
		for (k = 0; k < sizeof(late_helpers) / sizeof(late_helpers[0]); k++)
			if (late_helpers[k].id == id) {
				snprintf(out, size, "%s: the helper %s#%d is missing (it came in Linux %s)", line,
					 late_helpers[k].name, id, late_helpers[k].since);
				return true;
			}
		snprintf(out, size, "%s: helper #%d is missing on this kernel", line, id);
		return true;
	}
	return false;
}

/* The compat object beside the given one, or NULL when there is none (or it is that one). */
static char *compat_object(const char *object)
{
	const char *slash = strrchr(object, '/');
	char *p;

	if (!strcmp(slash ? slash + 1 : object, COMPAT_OBJECT_NAME))
		return NULL;
	if (asprintf(&p, "%.*s%s", slash ? (int)(slash - object + 1) : 0, object, COMPAT_OBJECT_NAME) < 0)
		return NULL;
	if (access(p, R_OK)) {
		free(p);
		return NULL;
	}
	return p;
}

/* How many rules the compat program does not enforce (string operators). */
static unsigned int string_rules(const struct sensor_config *cfg)
{
	unsigned int i, n = 0;

	for (i = 0; i < cfg->nr_rules; i++)
		n += cfg->rules[i].op >= OP_EXACT && cfg->rules[i].op <= OP_CONTAINS;
	return n;
}

/* One verifier log, classified as `load` does: for `sensor-ebpf explain LOG` (and its tests). */
static int cmd_explain(const char *path)
{
	FILE *f = fopen(path, "r");
	char *log = calloc(1, VERIFIER_LOG_SIZE), out[512], *p;
	size_t n;

	if (!f || !log) {
		fprintf(stderr, PFX "cannot read %s: %s\n", path, strerror(errno));
		return 2;
	}
	n = fread(log, 1, VERIFIER_LOG_SIZE - 1, f);
	log[n] = '\0';
	fclose(f);
	if (missing_helper(log, out, sizeof(out))) {
		printf("missing-helper: %s\n", out);
		return 0;
	}
	p = strstr(log, "outside of the allowed memory range");
	if (!p)
		p = strstr(log, "invalid access to map value");
	if (p) {
		while (p > log && p[-1] != '\n')
			p--;
		printf("content: %.*s\n", (int)strcspn(p, "\n"), p);
		return 0;
	}
	printf("other: %s\n", tail_lines(log, 1));
	return 0;
}

static void unpin_all(void)
{
	const char *names[] = { "link", "stats", "config" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = path_in(pin_dir, names[i]);

		unlink(p);
		free(p);
	}
}

static const char *default_object(const char *argv0)
{
	static char buf[PATH_MAX + 32];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	(void)argv0;
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, sizeof(buf), "%s/sensor.bpf.o", self);
			if (access(buf, R_OK) == 0)
				return buf;
		}
	}
	return DEFAULT_OBJECT;
}

/*
 * Open an object, give it the rules and load it: the verifier runs. 0 when it loaded (*objp);
 * else the object is closed, why says what failed, and the code is refuse()'s: 1 the verifier
 * refused it (vlog holds its log), 3 anything else.
 */
static int load_object(const char *path, const struct sensor_config *cfg, char *vlog,
		       struct bpf_object **objp, char *why, size_t size)
{
	struct bpf_object *obj;
	struct bpf_map *rodata, *bss;
	struct bpf_program *prog;
	int err;

	vlog[0] = '\0';
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		snprintf(why, size, "cannot open %s: %s", path, strerror(errno));
		return 3;
	}
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	bss = bpf_object__find_map_by_name(obj, ".bss");
	prog = bpf_object__find_program_by_name(obj, "sensor_exec");
	if (!rodata || !bss || !prog || bpf_map__value_size(rodata) != sizeof(*cfg) ||
	    bpf_map__value_size(bss) != sizeof(struct sensor_stats)) {
		bpf_object__close(obj);
		snprintf(why, size, "the object %s does not match this loader (.rodata/.bss/sensor_exec)", path);
		return 3;
	}
	/* The rules become read-only data: frozen before the verifier runs. */
	if (bpf_map__set_initial_value(rodata, cfg, sizeof(*cfg))) {
		bpf_object__close(obj);
		snprintf(why, size, "cannot prepare the program");
		return 3;
	}
	/* Our own log buffer: on failure libbpf reloads at log level 1 into it. */
	bpf_program__set_log_buf(prog, vlog, VERIFIER_LOG_SIZE);
	err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		if (*vlog) {
			snprintf(why, size, "verifier rejected the program%s",
				 strlen(vlog) >= VERIFIER_LOG_SIZE - 1 ? " (log truncated)" : "");
			return 1;
		}
		snprintf(why, size, "cannot load the program: %s", strerror(-err));
		return 3;
	}
	*objp = obj;
	return 0;
}

/* load (attach = true) or check (attach = false). */
static int cmd_load(bool attach)
{
	struct sensor_config *cfg = calloc(1, sizeof(*cfg));
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_map *rodata, *bss;
	struct bpf_link *link;
	char why[PATH_MAX + 768], missing[512], fallback[768] = "";
	char *vlog, *compat = NULL, *p, *label;
	int err;

	if (!cfg)
		return 3;
	if (attach)
		clear_state();
	snprintf(cfg->version, sizeof(cfg->version), "%s", SENSOR_VERSION);

	err = read_content(content_path, cfg);
	if (err)
		return refuse(cfg, parse_error, NULL, 2);

	libbpf_set_print(libbpf_print);
	vlog = calloc(1, VERIFIER_LOG_SIZE);
	if (!vlog)
		return refuse(cfg, "cannot prepare the program", NULL, 3);
	err = load_object(object_path, cfg, vlog, &obj, why, sizeof(why));
	if (err == 1 && missing_helper(vlog, missing, sizeof(missing)) && (compat = compat_object(object_path))) {
		/* The kernel is too old for the program, the content is not at fault: the compat program. */
		fflush(stdout);
		each_line(tail_lines(vlog, CONSOLE_LOG_LINES), print_verifier_line, NULL);
		snprintf(fallback, sizeof(fallback), "the verifier refused the full program: %s", missing);
		say("%s; falling back to %s (string rules not enforced)", fallback, COMPAT_OBJECT_NAME);
		err = load_object(compat, cfg, vlog, &obj, why, sizeof(why));
		if (err)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " (%s, the fallback after: %s)",
				 COMPAT_OBJECT_NAME, missing);
		free(compat);
	}
	if (err) {
		if (err == 1 && attach)
			write_state(LOG_FILE_NAME, vlog);
		err = refuse(cfg, why, err == 1 ? vlog : NULL, err);
		free(vlog);
		return err;
	}
	free(vlog);
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	bss = bpf_object__find_map_by_name(obj, ".bss");
	prog = bpf_object__find_program_by_name(obj, "sensor_exec");
	label = content_label(cfg);
	if (*fallback) {
		char head[sizeof(fallback)];

		/* One line, first in `status`: what a cell's verdict quotes. */
		snprintf(head, sizeof(head), "reduced functionality (%s, %u of %u rules not enforced): %s",
			 COMPAT_OBJECT_NAME, string_rules(cfg), cfg->nr_rules, fallback);
		snprintf(fallback, sizeof(fallback), "%s", head);
	}
	if (!attach) {
		say("%s verified: %u rules accepted by the verifier", label, cfg->nr_rules);
		if (*fallback)
			say("%s", fallback);
		bpf_object__close(obj);
		return 0;
	}

	unpin_all();	/* a previous load of this boot: replaced */
	link = bpf_program__attach(prog);
	if (!link) {
		char why[256];

		snprintf(why, sizeof(why), "cannot attach to sched_process_exec: %s", strerror(errno));
		bpf_object__close(obj);
		return refuse(cfg, why, NULL, 3);
	}
	err = mkdir_p(pin_dir);
	if (!err) {
		p = path_in(pin_dir, "link");
		err = bpf_link__pin(link, p);
		free(p);
	}
	if (!err) {
		p = path_in(pin_dir, "stats");
		err = bpf_map__pin(bss, p);
		free(p);
	}
	if (!err) {
		p = path_in(pin_dir, "config");
		err = bpf_map__pin(rodata, p);
		free(p);
	}
	if (err) {
		char why[PATH_MAX + 64];

		snprintf(why, sizeof(why), "cannot pin in %s: %s", pin_dir, strerror(-err));
		unpin_all();
		bpf_link__destroy(link);
		bpf_object__close(obj);
		return refuse(cfg, why, NULL, 3);
	}
	say("loaded version %s %s fields %u", SENSOR_VERSION, label, cfg->nr_fields);
	say("watching exec with %u rules from %s (link pinned at %s/link)", cfg->nr_rules, content_path, pin_dir);
	write_state(LOADED_FILE_NAME, content_path);
	if (*fallback) {
		say("%s", fallback);
		strncat(fallback, "\n", sizeof(fallback) - strlen(fallback) - 1);
		write_state(FALLBACK_FILE_NAME, fallback);
	}
	/* The pinned link keeps the program attached: leave without detaching. */
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	free(label);
	return 0;
}

/* ------------------------------------------------------------------ status */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = calloc(1, 65536);
	if (buf) {
		n = fread(buf, 1, 65535, f);
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

static int read_pinned(const char *name, void *value)
{
	char *p = path_in(pin_dir, name);
	__u32 zero = 0;
	int fd = bpf_obj_get(p), err;

	free(p);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &zero, value);
	close(fd);
	return err ? -errno : 0;
}

static int cmd_status(void)
{
	struct sensor_config *cfg = calloc(1, sizeof(*cfg));
	struct sensor_stats *st = calloc(1, sizeof(*st));
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};
	__u32 len;
	char *p = path_in(pin_dir, "link"), *text, *reduced;
	int link_fd, prog_fd, err;
	unsigned int i;

	if (!cfg || !st)
		return 3;
	link_fd = bpf_obj_get(p);
	free(p);
	if (link_fd < 0) {
		p = path_in(state_dir, REFUSED_FILE_NAME);
		text = slurp(p);
		free(p);
		if (text && *text) {
			fputs(text, stdout);
			return 1;
		}
		say("not loaded: no pinned link at %s/link (the loader did not run this boot?)", pin_dir);
		return 3;
	}
	len = sizeof(li);
	err = bpf_obj_get_info_by_fd(link_fd, &li, &len);
	if (err) {
		say("cannot read the link: %s", strerror(errno));
		return 3;
	}
	prog_fd = bpf_prog_get_fd_by_id(li.prog_id);
	len = sizeof(pi);
	if (prog_fd < 0 || bpf_obj_get_info_by_fd(prog_fd, &pi, &len)) {
		say("link %u has no program (detached?)", li.id);
		return 1;
	}
	if ((err = read_pinned("config", cfg)) || (err = read_pinned("stats", st))) {
		say("cannot read the pinned maps in %s: %s", pin_dir, strerror(-err));
		return 3;
	}
	p = path_in(state_dir, FALLBACK_FILE_NAME);
	reduced = slurp(p);
	free(p);
	/* The compat program runs: attached, but not the whole sensor. First, so a verdict quotes it. */
	if (reduced && *reduced)
		printf(PFX "%s", reduced);
	p = path_in(state_dir, LOADED_FILE_NAME);
	text = slurp(p);
	free(p);

	printf("version %s\n", cfg->version);
	printf("content %s\n", text && *text ? text : "?");
	printf("content_version %u\n", cfg->content_version);
	printf("fields %u\n", cfg->nr_fields);
	printf("inputs %d\n", SENSOR_NR_INPUTS);
	printf("rules %u\n", cfg->nr_rules);
	printf("execs %llu\n", (unsigned long long)st->execs);
	printf("matches %llu\n", (unsigned long long)st->matches);
	printf("attached tp_btf/sched_process_exec link %u prog %u (%s)\n", li.id, li.prog_id, pi.name);
	for (i = 0; i < cfg->nr_rules && i < SENSOR_MAX_RULES; i++) {
		const struct sensor_rule *r = &cfg->rules[i];

		printf("rule %s field=%u op=%s value=%s action=%s hits=%llu\n", r->name, r->field,
		       r->op < OP_COUNT ? sensor_ops[r->op].name : "?", r->value_len ? r->value : "*",
		       r->log ? "log" : "count", (unsigned long long)st->hits[i]);
	}
	if (st->last_log.rule && st->last_log.rule <= cfg->nr_rules)
		printf("last_log rule=%s pid=%d uid=%lld filename=%.*s\n", cfg->rules[st->last_log.rule - 1].name,
		       st->last_log.pid, (long long)st->last_log.uid, SENSOR_STR_LEN - 1, st->last_log.filename);
	/* A reload refused after a good load leaves the good program attached: say so. */
	p = path_in(state_dir, REFUSED_FILE_NAME);
	free(text);
	text = slurp(p);
	free(p);
	if (text && *text)
		printf("note: a later load was refused, content %u still runs: %s", cfg->content_version, text);
	free(text);
	close(prog_fd);
	close(link_fd);
	err = reduced && *reduced ? 1 : 0;
	free(reduced);
	return err;
}

static int cmd_unload(void)
{
	unpin_all();
	rmdir(pin_dir);
	say("unloaded (pins removed from %s)", pin_dir);
	return 0;
}

/* ------------------------------------------------------------------- main */

static int usage(void)
{
	fprintf(stderr,
		"usage: sensor-ebpf load|check [-c CONTENT] [-o OBJECT] [-p PINDIR] [-s STATEDIR]\n"
		"       sensor-ebpf status|unload [-p PINDIR] [-s STATEDIR]\n"
		"       sensor-ebpf explain LOG\n"
		"       sensor-ebpf version\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	cmd = argv[1];
	if (!strcmp(cmd, "explain"))
		return argc == 3 ? cmd_explain(argv[2]) : usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "c:o:p:s:")) != -1) {
		switch (opt) {
		case 'c': content_path = optarg; break;
		case 'o': object_path = optarg; break;
		case 'p': pin_dir = optarg; break;
		case 's': state_dir = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (!object_path)
		object_path = default_object(argv[0]);

	if (!strcmp(cmd, "load")) {
		int err = ensure_bpffs();

		if (err) {
			struct sensor_config cfg = {};

			return refuse(&cfg, "bpffs is not available", NULL, 3);
		}
		return cmd_load(true);
	}
	if (!strcmp(cmd, "check"))
		return cmd_load(false);
	if (!strcmp(cmd, "status"))
		return cmd_status();
	if (!strcmp(cmd, "unload"))
		return cmd_unload();
	if (!strcmp(cmd, "version")) {
		printf("sensor-ebpf %s (libbpf %s)\n", SENSOR_VERSION, libbpf_version_string());
		return 0;
	}
	return usage();
}
